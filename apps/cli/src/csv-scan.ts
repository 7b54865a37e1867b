/**
 * The fast path of `readCsvColumns`: scans the bytes of a regular file and parses the used numeric
 * columns straight into Float64Array columns, without making a string per cell. It accepts what
 * the general reader (csv-parse, see csv.ts) accepts with the same options (header row, comma,
 * BOM, trim, blank lines skipped, RFC 4180 quotes within a line) and gives the same values and the
 * same messages. Input it is not sure about (a quoted field spanning lines, a stray quote, a bare
 * CR, mixed line ends) makes it return null, and the general reader reads the file instead, so
 * every unusual case keeps csv-parse's behaviour by construction.
 *
 * Why not a CSV library: the JS parsers measured (udsv, papaparse, csv-parse) hand out a string
 * per cell, and converting 9 million strings to numbers alone costs about a second; DuckDB and
 * Polars are fast but add 70-115 MB of native code and more RSS than the fit. See README.md.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { Table } from "@govdiffusion/estimation";
import { CliError } from "./errors.js";
import { type CsvColumns, type Wanted, checkHeader, emptyFile, nonNumeric, noRows, recordLengthError } from "./csv-common.js";

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
const LOWER_E = 101;
const UPPER_E = 69;

/** 10^0 .. 10^22: every one is exact in a double. */
const POW10 = new Float64Array(23).map((_, i) => Number(`1e${i}`));

/** Set by parseNumberAt: where the number it read ends (its start when there was none). */
let numberEnd = 0;

/**
 * Reads the longest plain decimal number ([+-]digits[.digits][(e|E)[+-]digits], or .digits) at
 * b[start..] (before `end`), sets numberEnd past it, and returns its value (NaN and numberEnd =
 * start when there is none). The value equals Number() of the text: with at most 15 significant
 * digits and a power of ten within 10^±22 both operands of the one multiplication or division are
 * exact doubles, so its correctly rounded result is the correctly rounded decimal (Clinger's fast
 * path); longer numbers are handed to Number().
 */
function parseNumberAt(b: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (b[i] === MINUS) {
    negative = true;
    i++;
  } else if (b[i] === PLUS) i++;
  let mantissa = 0;
  let intDigits = 0;
  let fracDigits = 0;
  let d = 0;
  while (i < end && (d = b[i]! - ZERO) >= 0 && d <= 9) {
    mantissa = mantissa * 10 + d;
    intDigits++;
    i++;
  }
  if (i < end && b[i] === DOT) {
    i++;
    while (i < end && (d = b[i]! - ZERO) >= 0 && d <= 9) {
      mantissa = mantissa * 10 + d;
      fracDigits++;
      i++;
    }
  }
  if (intDigits + fracDigits === 0) {
    numberEnd = start;
    return NaN;
  }
  let exponent = 0;
  if (i < end && (b[i] === LOWER_E || b[i] === UPPER_E)) {
    let j = i + 1;
    let negativeExponent = false;
    if (j < end && b[j] === MINUS) {
      negativeExponent = true;
      j++;
    } else if (j < end && b[j] === PLUS) j++;
    const digitsStart = j;
    while (j < end && (d = b[j]! - ZERO) >= 0 && d <= 9) {
      if (exponent < 1e6) exponent = exponent * 10 + d; // far beyond any double; Number() decides below
      j++;
    }
    // "1e" or "1e+" is not a number: leave the e to the caller, which sees text after the number.
    if (j > digitsStart) {
      i = j;
      if (negativeExponent) exponent = -exponent;
    }
  }
  numberEnd = i;
  const power = exponent - fracDigits;
  if (intDigits + fracDigits <= 15 && power >= -22 && power <= 22) {
    const v = power < 0 ? mantissa / POW10[-power]! : mantissa * POW10[power]!;
    return negative ? -v : v;
  }
  return Number(Buffer.from(b.buffer, b.byteOffset + start, i - start).toString("latin1"));
}

/** The number b[start, end) holds when it is exactly a plain decimal number, else NaN. */
export function parseDecimal(b: Uint8Array, start: number, end: number): number {
  const v = parseNumberAt(b, start, end);
  return numberEnd === end ? v : NaN;
}

/**
 * Bytes trimmed around a field: space, tab, form feed. csv-parse's trim also removes CR and LF,
 * but a CR that does not end a line is left to it (it may take CR as the record delimiter).
 */
function isTrimmable(c: number): boolean {
  return c === 32 || c === 9 || c === 12;
}

/**
 * The end of an unquoted cell that starts at or before q: the next comma or the line end. A
 * quote or a bare CR inside it hands the file back to csv-parse.
 */
function unquotedEnd(buf: Buffer, q: number, le: number): number {
  let c = 0;
  while (q < le && (c = buf[q]!) !== COMMA) {
    if (c === CR || c === QUOTE) throw new NeedsGeneralReader();
    q++;
  }
  return q;
}

/** e moved back over trailing trimmable bytes, not before s. */
function trimmedEnd(buf: Buffer, s: number, e: number): number {
  while (e > s && isTrimmable(buf[e - 1]!)) e--;
  return e;
}

/** How the scan reads: first chunk size (bytes). Lines longer than this grow the buffer. */
const CHUNK = 1 << 21;

/** Thrown inside the scan to hand the file to the general reader. */
class NeedsGeneralReader extends Error {}

/**
 * Reads the named columns of a regular file, or returns null when the general reader must do it.
 * Numeric columns are Float64Arrays with NaN for missing cells (empty or NA); string columns are
 * arrays with null for missing cells.
 */
export function scanCsvColumns(file: string, numeric: readonly string[], strings: readonly string[]): CsvColumns | null {
  const fd = openSync(file, "r");
  try {
    return scan(fd, file, numeric, strings);
  } catch (err) {
    if (err instanceof NeedsGeneralReader) return null;
    throw err;
  } finally {
    closeSync(fd);
  }
}

function scan(fd: number, file: string, numeric: readonly string[], strings: readonly string[]): CsvColumns {
  const fileSize = fstatSync(fd).size;
  let buf = Buffer.allocUnsafe(CHUNK);
  let filled = 0; // bytes of buf holding unread input
  let atStart = true;
  let eof = false;

  let header: string[] | undefined;
  let k = 0;
  // Per file column: -1 unused, else the index into numCols (kind 1) or strCols (kind 2).
  let slot = new Int32Array(0);
  let kind = new Uint8Array(0);
  let names: string[] = [];
  let wanted: Wanted[] = [];
  let numCols: Float64Array[] = [];
  let strCols: (string | null)[][] = [];
  let capacity = 0;
  let rows = 0;
  let line = 0;
  let crlf: boolean | undefined;

  const grow = (min: number) => {
    const next = Math.max(min, Math.ceil(capacity * 1.5) + 1024);
    numCols = numCols.map((col) => {
      const bigger = new Float64Array(next);
      bigger.set(col.subarray(0, rows));
      return bigger;
    });
    capacity = next;
  };

  /**
   * The cells of the header line buf[p, le), or an empty list for a blank line (skipped, as
   * csv-parse does). Hands the file back on the quote problems `record` hands back on.
   */
  const headerCells = (p: number, le: number): string[] => {
    const cells: string[] = [];
    let q = p;
    for (;;) {
      while (q < le && isTrimmable(buf[q]!)) q++;
      if (q < le && buf[q] === QUOTE) {
        const s = ++q;
        for (;;) {
          while (q < le && buf[q] !== QUOTE) q++;
          if (q >= le) throw new NeedsGeneralReader();
          if (q + 1 < le && buf[q + 1] === QUOTE) q += 2;
          else break;
        }
        cells.push(buf.toString("utf8", s, q++).replaceAll('""', '"'));
        while (q < le && isTrimmable(buf[q]!)) q++;
        if (q < le && buf[q] !== COMMA) throw new NeedsGeneralReader();
      } else {
        const s = q;
        q = unquotedEnd(buf, q, le);
        const e = trimmedEnd(buf, s, q);
        if (q === le && cells.length === 0 && e === s) return cells; // blank line
        cells.push(buf.toString("utf8", s, e));
      }
      if (q >= le) return cells;
      q++; // the comma
    }
  };

  const onHeader = (cells: string[]) => {
    header = cells;
    k = cells.length;
    wanted = checkHeader(file, cells, numeric, strings);
    slot = new Int32Array(k).fill(-1);
    kind = new Uint8Array(k);
    names = cells;
    for (const w of wanted) {
      if (w.kind === "number") {
        slot[w.index] = numCols.length;
        kind[w.index] = 1;
        numCols.push(new Float64Array(0));
      } else {
        slot[w.index] = strCols.length;
        kind[w.index] = 2;
        strCols.push([]);
      }
    }
  };

  /** Stores a quoted cell buf[s, e) (doubled = it holds "" for a quote) of column i. */
  const storeQuoted = (i: number, which: number, s: number, e: number, doubled: boolean) => {
    const missing = e === s || (e - s === 2 && buf[s] === 78 && buf[s + 1] === 65);
    const text = () => {
      const t = buf.toString("utf8", s, e);
      return doubled ? t.replaceAll('""', '"') : t;
    };
    if (which === 1) {
      let v = NaN;
      if (!missing) {
        v = doubled ? NaN : parseDecimal(buf, s, e);
        if (Number.isNaN(v)) throw new CliError(nonNumeric(file, line, names[i]!, text()));
      }
      numCols[slot[i]!]![rows] = v;
    } else if (which === 2) strCols[slot[i]!]!.push(missing ? null : text());
  };

  /**
   * One record, parsed as it is split: numbers are read in place (one pass over their bytes).
   * Returns the number of cells (0 for a blank line). Anything but a plain number in an unquoted
   * numeric cell takes the careful branch, which finds NA and errors; a quote inside an unquoted
   * cell, text after a closing quote, an unclosed quote (a line break inside quotes) and a bare CR
   * hand the file to csv-parse.
   */
  const record = (p: number, le: number): number => {
    let q = p;
    while (q < le && isTrimmable(buf[q]!)) q++;
    if (q === le) return 0; // blank (or whitespace-only) line
    if (rows === capacity) grow(rows + 1);
    let i = 0;
    for (;;) {
      while (q < le && isTrimmable(buf[q]!)) q++;
      const which = i < k ? kind[i]! : 0;
      if (q < le && buf[q] === QUOTE) {
        const s = ++q;
        let doubled = false;
        for (;;) {
          while (q < le && buf[q] !== QUOTE) q++;
          if (q >= le) throw new NeedsGeneralReader();
          if (q + 1 < le && buf[q + 1] === QUOTE) {
            doubled = true;
            q += 2;
            continue;
          }
          break;
        }
        const e = q++;
        while (q < le && isTrimmable(buf[q]!)) q++;
        if (q < le && buf[q] !== COMMA) throw new NeedsGeneralReader();
        if (which !== 0) storeQuoted(i, which, s, e, doubled);
      } else if (which === 1) {
        let v = NaN; // an empty cell is missing
        if (q < le && buf[q] !== COMMA) {
          const s = q;
          v = parseNumberAt(buf, s, le);
          q = numberEnd;
          while (q < le && isTrimmable(buf[q]!)) q++;
          if (q < le && buf[q] !== COMMA) {
            // Not just a number: NA (missing), a non-numeric value, or a quote or bare CR.
            q = unquotedEnd(buf, q, le);
            const e = trimmedEnd(buf, s, q);
            if (e - s === 2 && buf[s] === 78 && buf[s + 1] === 65) v = NaN;
            else throw new CliError(nonNumeric(file, line, names[i]!, buf.toString("utf8", s, e)));
          }
        }
        numCols[slot[i]!]![rows] = v;
      } else {
        const s = q;
        q = unquotedEnd(buf, q, le);
        if (which === 2) {
          const e = trimmedEnd(buf, s, q);
          const missing = e === s || (e - s === 2 && buf[s] === 78 && buf[s + 1] === 65);
          strCols[slot[i]!]!.push(missing ? null : buf.toString("utf8", s, e));
        }
      }
      i++;
      if (q >= le) break;
      q++; // the comma
    }
    return i;
  };

  for (;;) {
    if (!eof) {
      if (filled === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2); // a line longer than the buffer
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const got = readSync(fd, buf, filled, buf.length - filled, null);
      if (got === 0) eof = true;
      filled += got;
    }
    let p = 0;
    if (atStart) {
      if (!eof && filled < 3) continue;
      atStart = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) p = 3;
    }
    // Whole lines in buf[p, filled); at the end of input the last line needs no LF.
    for (;;) {
      let nl = buf.indexOf(LF, p);
      if (nl < 0 || nl >= filled) {
        if (!eof || p >= filled) break;
        nl = filled;
      }
      line++;
      let le = nl;
      if (nl < filled) {
        const isCrlf = le > p && buf[le - 1] === CR;
        if (crlf === undefined) crlf = isCrlf;
        else if (crlf !== isCrlf) throw new NeedsGeneralReader(); // mixed line ends: csv-parse detects one
        if (isCrlf) le--;
      } else if (crlf === true && le > p && buf[le - 1] === CR) le--;
      if (header !== undefined) {
        const count = record(p, le);
        p = nl + 1;
        if (count === 0) continue;
        if (count !== k) throw new CliError(`${file}: ${recordLengthError(k, count, line)}`);
        rows++;
        continue;
      }
      const cells = headerCells(p, le);
      p = nl + 1;
      if (cells.length === 0) continue;
      onHeader(cells);
      // Size the columns from the average line length in this first read (an overestimate costs
      // no RSS: pages of a zero-filled array are only resident once written).
      let lines = 0;
      for (let at = buf.indexOf(LF, p); at >= 0 && at < filled; at = buf.indexOf(LF, at + 1)) lines++;
      const lineBytes = lines > 0 ? (filled - p) / lines : filled - p + 1;
      grow(Math.ceil((fileSize / Math.max(1, lineBytes)) * 1.05) + 16);
    }
    if (eof) break;
    // Keep the partial last line for the next read.
    buf.copy(buf, 0, p, filled);
    filled -= p;
  }

  if (header === undefined) throw new CliError(emptyFile(file));
  if (rows === 0) throw new CliError(noRows(file));
  const table: Table = {};
  for (const w of wanted) {
    table[w.name] = w.kind === "number" ? numCols[slot[w.index]!]!.subarray(0, rows) : strCols[slot[w.index]!]!;
  }
  return { table, header, rows };
}
