import { EstimationError } from "./errors.js";
import type { Table } from "./types.js";

/** Row count of a table; all columns must agree. */
export function rowCount(table: Table): number {
  let n: number | undefined;
  for (const [name, col] of Object.entries(table)) {
    if (n === undefined) n = col.length;
    else if (col.length !== n) {
      throw new EstimationError("INVALID_INPUT", `column "${name}" has ${col.length} rows, expected ${n}`, { column: name });
    }
  }
  return n ?? 0;
}

/**
 * Reads a numeric column: missing cells (null, undefined, "", "NA", NaN) become NaN so callers can
 * drop the row; anything else that is not a finite number is refused with the offending rows.
 */
export function numericColumn(table: Table, name: string): Float64Array {
  const col = table[name];
  if (col === undefined) {
    throw new EstimationError("INVALID_INPUT", `unknown column "${name}"`, { column: name });
  }
  const out = new Float64Array(col.length);
  const bad: number[] = [];
  for (let i = 0; i < col.length; i++) {
    const v = col[i];
    if (v === null || v === undefined || v === "" || v === "NA") out[i] = NaN;
    else if (typeof v === "number") {
      if (Number.isNaN(v)) out[i] = NaN;
      else if (!Number.isFinite(v)) bad.push(i);
      else out[i] = v;
    } else {
      const x = Number(v);
      if (Number.isFinite(x) && v.trim() !== "") out[i] = x;
      else bad.push(i);
    }
  }
  if (bad.length > 0) {
    throw new EstimationError(
      "INVALID_INPUT",
      `column "${name}" has non-numeric or infinite values at rows ${formatRows(bad)}`,
      { column: name, rows: bad },
    );
  }
  return out;
}

/** "3, 7, 12 and 40 more" — keeps messages readable for large inputs. */
export function formatRows(rows: readonly number[], max = 10): string {
  const head = rows.slice(0, max).join(", ");
  return rows.length > max ? `${head} and ${rows.length - max} more` : head;
}
