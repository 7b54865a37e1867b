/**
 * First pass of an observation import: reads and validates the whole CSV into compact typed
 * columns (about 24 bytes per observation) before anything is written, so that the write pass can
 * run in one short transaction at driver speed. Errors name the file line and column; when several
 * rows are wrong, the first one in file order is reported (as when rows were checked one by one).
 */
import { PEER_TERMS } from "../analysis-frame.js";
import { ImportError } from "../errors.js";
import { CsvReader, field, parseNumber, parseYear, type CsvRecord } from "./csv.js";

const YEAR_BASE = 1900;
const YEAR_SPAN = 201; // years 1900..2100 (parseYear)
const KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

export interface ParsedObservations {
  /** CSV data rows (the summary's `rows`). */
  rows: number;
  /** Observations: entries of the columns below, in file order. */
  n: number;
  county: Int32Array; // index into countyCodes
  year: Int32Array;
  key: Int32Array; // index into keys
  value: Float64Array;
  countyCodes: readonly string[];
  /** Indicator keys by index: the known ones, then the ones this file creates (createIndicators). */
  keys: string[];
  /** Keys that were not in the Indicator table when the import started (createIndicators). */
  newKeys: string[];
  checksum: string;
  distinct: { counties: number; years: number; indicators: number };
}

export interface ParseOptions {
  file: string;
  format: "long" | "wide";
  createIndicators: boolean;
  /** Every county code, sorted. */
  countyCodes: readonly string[];
  /** Every indicator key in the database. */
  indicatorKeys: readonly string[];
}

/** Growable typed columns: one entry per observation, with its file line for error messages. */
class Columns {
  n = 0;
  county = new Int32Array(1024);
  year = new Int32Array(1024);
  key = new Int32Array(1024);
  value = new Float64Array(1024);
  line = new Int32Array(1024);

  push(c: number, y: number, k: number, v: number, line: number): void {
    if (this.n === this.county.length) this.grow();
    const i = this.n++;
    this.county[i] = c;
    this.year[i] = y;
    this.key[i] = k;
    this.value[i] = v;
    this.line[i] = line;
  }

  private grow(): void {
    const cap = this.county.length * 2;
    const widen = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.county = widen(this.county, (k) => new Int32Array(k));
    this.year = widen(this.year, (k) => new Int32Array(k));
    this.key = widen(this.key, (k) => new Int32Array(k));
    this.value = widen(this.value, (k) => new Float64Array(k));
    this.line = widen(this.line, (k) => new Int32Array(k));
  }
}

export async function parseObservations(reader: CsvReader, opts: ParseOptions): Promise<ParsedObservations> {
  const { file } = opts;
  const countyIndex = new Map(opts.countyCodes.map((c, i) => [c, i]));
  // Peer terms are never importable, even when an Indicator row describes them: left out of the
  // fast lookup so that keyIndex reports them.
  const keys = opts.indicatorKeys.filter((k) => !(PEER_TERMS as readonly string[]).includes(k));
  const keyIndex = new Map(keys.map((k, i) => [k, i]));
  const newKeys: string[] = [];
  const cols = new Columns();
  let rows = 0;

  const indexOfKey = (key: string, line: number, column: string): number => {
    const known = keyIndex.get(key);
    if (known !== undefined) return known;
    if ((PEER_TERMS as readonly string[]).includes(key)) {
      throw new ImportError(file, line, column, `"${key}" is a derived peer term (computed from the outcome by the analysis), not an importable indicator`);
    }
    if (!KEY_PATTERN.test(key)) throw new ImportError(file, line, column, `bad indicator key "${key}" (letters, digits, _)`);
    if (!opts.createIndicators) {
      throw new ImportError(file, line, column, `unknown indicator "${key}" (import with --create-indicators to create it)`);
    }
    keys.push(key);
    newKeys.push(key);
    keyIndex.set(key, keys.length - 1);
    return keys.length - 1;
  };
  const county = (rec: CsvRecord, i: number): number => {
    const code = field(rec, i);
    const idx = countyIndex.get(code);
    if (idx === undefined) throw new ImportError(file, rec.line, "county_code", `unknown county code "${code}"`);
    return idx;
  };

  try {
    const batches = reader.batches();
    // The header is known once the first batch has been read.
    const first = await batches.next();
    const all = async function* () {
      if (!first.done) yield first.value;
      yield* batches;
    };
    if (opts.format === "long") {
      const ix = reader.require(["county_code", "year", "indicator", "value"]);
      const [ic, iy, ik, iv] = [ix["county_code"]!, ix["year"]!, ix["indicator"]!, ix["value"]!];
      for await (const batch of all()) {
        for (const rec of batch) {
          rows++;
          const c = county(rec, ic);
          const year = parseYear(file, rec, iy);
          const k = indexOfKey(field(rec, ik), rec.line, "indicator");
          cols.push(c, year, k, parseNumber(file, rec, iv, "value"), rec.line);
        }
      }
    } else {
      const ix = reader.require(["county_code", "year"]);
      const valueCols = reader.header.map((h, i) => ({ h, i })).filter(({ i }) => i !== ix["county_code"] && i !== ix["year"]);
      if (valueCols.length === 0) throw new ImportError(file, reader.headerLine, null, "no indicator columns after county_code,year");
      const colKeys = valueCols.map(({ h }) => indexOfKey(h, reader.headerLine, h));
      const [ic, iy] = [ix["county_code"]!, ix["year"]!];
      for await (const batch of all()) {
        for (const rec of batch) {
          rows++;
          const c = county(rec, ic);
          const year = parseYear(file, rec, iy);
          for (let j = 0; j < valueCols.length; j++) {
            const { h, i } = valueCols[j]!;
            const s = field(rec, i);
            if (s === "" || s === "NA") continue; // wide files mark missing cells as empty or NA
            cols.push(c, year, colKeys[j]!, parseNumber(file, rec, i, h), rec.line);
          }
        }
      }
    }
  } catch (err) {
    // A duplicate before the failing line is the first problem of the file.
    if (err instanceof ImportError) throw duplicateError(cols, keys, opts) ?? err;
    throw err;
  }
  const dup = duplicateError(cols, keys, opts);
  if (dup) throw dup;

  const n = cols.n;
  const seenCounty = new Uint8Array(opts.countyCodes.length);
  const seenYear = new Uint8Array(YEAR_SPAN);
  const seenKey = new Uint8Array(keys.length);
  for (let i = 0; i < n; i++) {
    seenCounty[cols.county[i]!] = 1;
    seenYear[cols.year[i]! - YEAR_BASE] = 1;
    seenKey[cols.key[i]!] = 1;
  }
  const count = (a: Uint8Array) => a.reduce((s, x) => s + x, 0);
  return {
    rows, n,
    county: cols.county.subarray(0, n), year: cols.year.subarray(0, n), key: cols.key.subarray(0, n), value: cols.value.subarray(0, n),
    countyCodes: opts.countyCodes, keys, newKeys, checksum: reader.digest(),
    distinct: { counties: count(seenCounty), years: count(seenYear), indicators: count(seenKey) },
  };
}

/**
 * The error for the first observation (in file order) whose (county, year, indicator) came
 * before, or null. A sort of numeric keys tells whether there is any (fast); only then is the
 * first one looked for in order.
 */
function duplicateError(cols: Columns, keys: readonly string[], opts: ParseOptions): ImportError | null {
  const n = cols.n;
  const K = keys.length;
  const composite = new Float64Array(n);
  for (let i = 0; i < n; i++) composite[i] = (cols.county[i]! * YEAR_SPAN + (cols.year[i]! - YEAR_BASE)) * K + cols.key[i]!;
  const sorted = composite.slice().sort();
  let any = false;
  for (let i = 1; i < n && !any; i++) any = sorted[i] === sorted[i - 1];
  if (!any) return null;
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    if (seen.has(composite[i]!)) {
      const key = keys[cols.key[i]!]!;
      return new ImportError(
        opts.file, cols.line[i]!, opts.format === "long" ? "value" : key,
        `duplicate value for county ${opts.countyCodes[cols.county[i]!]}, year ${cols.year[i]}, indicator ${key}`,
      );
    }
    seen.add(composite[i]!);
  }
  return null;
}
