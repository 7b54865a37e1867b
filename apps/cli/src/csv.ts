import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { parse, CsvError } from "csv-parse";
import type { Table } from "@govdiffusion/estimation";
import { CliError } from "./errors.js";
import { type CsvColumns, type Wanted, NUMBER, checkHeader, emptyFile, isMissing, nonNumeric, noRows } from "./csv-common.js";
import { scanCsvColumns } from "./csv-scan.js";

export { type CsvColumns, isMissing } from "./csv-common.js";

/**
 * Reads a comma-separated file with a header row, keeping only the named columns: numeric
 * columns become Float64Arrays (missing cells, empty or NA, become NaN), string columns stay
 * strings (e.g. cluster labels; missing cells become null). Every problem is a CliError naming the
 * file, the column and the line.
 *
 * A regular file is read by the byte scanner (csv-scan.ts), which parses numbers without a string
 * per cell; pipes, and files the scanner hands back (quoted line breaks, stray quotes, bare CRs),
 * are read by csv-parse with the same options, so both give the same values and messages.
 */
export async function readCsvColumns(
  file: string,
  numeric: readonly string[],
  strings: readonly string[] = [],
): Promise<CsvColumns> {
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new CliError(`cannot read ${file}: no such file`);
  }
  // Pipes are fine (e.g. /dev/stdin); a directory is a mistake worth naming.
  if (info.isDirectory()) throw new CliError(`cannot read ${file}: it is a directory`);
  if (info.isFile()) {
    let scanned: CsvColumns | null;
    try {
      scanned = scanCsvColumns(file, numeric, strings);
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
    }
    if (scanned !== null) return scanned;
  }
  return readCsvColumnsGeneral(file, numeric, strings);
}

/**
 * The general reader: csv-parse, streamed, so memory is the kept columns, not the whole text.
 * Exported for the tests that check the byte scanner against it.
 */
export async function readCsvColumnsGeneral(
  file: string,
  numeric: readonly string[],
  strings: readonly string[] = [],
): Promise<CsvColumns> {
  const parser = parse({ bom: true, trim: true, skip_empty_lines: true, info: true });
  const source = createReadStream(file);
  // pipe() does not forward read errors; hand them to the parser so the loop below sees them.
  source.on("error", (err) => parser.destroy(err));
  source.pipe(parser);
  let header: string[] | undefined;
  let wanted: (Wanted & { values: (number | string | null)[] })[] = [];
  let rows = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (header === undefined) {
        header = record;
        wanted = checkHeader(file, header, numeric, strings).map((w) => ({ ...w, values: [] }));
        continue;
      }
      for (const col of wanted) {
        const cell = record[col.index] ?? "";
        if (isMissing(cell)) col.values.push(col.kind === "number" ? NaN : null);
        else if (col.kind === "string") col.values.push(cell);
        else if (NUMBER.test(cell)) col.values.push(Number(cell));
        else throw new CliError(nonNumeric(file, info.lines, col.name, cell));
      }
      rows++;
    }
  } catch (err) {
    source.destroy();
    parser.destroy();
    if (err instanceof CliError) throw err;
    if (err instanceof CsvError) throw new CliError(`${file}: ${err.message}`);
    const e = err as NodeJS.ErrnoException;
    throw new CliError(`cannot read ${file}: ${e.message}`);
  }
  if (header === undefined) throw new CliError(emptyFile(file));
  if (rows === 0) throw new CliError(noRows(file));
  const table: Table = {};
  for (const col of wanted) table[col.name] = col.kind === "number" ? Float64Array.from(col.values as number[]) : col.values;
  return { table, header, rows };
}
