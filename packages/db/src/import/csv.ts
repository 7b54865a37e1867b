/** Streaming CSV reading shared by the importers: content hashing, header checks, line numbers. */
import { createHash, type Hash } from "node:crypto";
import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { parse } from "csv-parse";
import { ImportError } from "../errors.js";

/** CSV content: the text itself, its bytes, or a readable stream (file, HTTP upload). */
export type CsvSource = string | Uint8Array | Readable | AsyncIterable<string | Uint8Array>;

export interface CsvRecord { fields: string[]; line: number }

/** Streams records (header excluded) while hashing the raw bytes; `digest()` is valid after the iteration ends. */
export class CsvReader {
  readonly file: string;
  header: string[] = [];
  headerLine = 1;
  private readonly hash: Hash = createHash("sha256");
  private readonly source: CsvSource;

  constructor(source: CsvSource, file: string) {
    this.source = source;
    this.file = file;
  }

  private async *bytes(): AsyncGenerator<Buffer> {
    const src = this.source;
    const iterable: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array> =
      typeof src === "string" || src instanceof Uint8Array ? [src] : src;
    for await (const chunk of iterable) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      this.hash.update(buf);
      yield buf;
    }
  }

  /** Hash the content (to compare with a stored checksum) and count its data rows, without validating values. */
  async hashAndCount(): Promise<{ checksum: string; rows: number }> {
    let rows = 0;
    for await (const batch of this.batches()) rows += batch.length;
    return { checksum: this.digest(), rows };
  }

  digest(): string {
    return this.hash.digest("hex");
  }

  /** Data records one by one (see batches()). */
  async *records(): AsyncGenerator<CsvRecord> {
    for await (const batch of this.batches()) yield* batch;
  }

  /**
   * Data records with their line numbers, in batches (one per chunk of input: an await per record
   * would cost more than splitting it). Lines without a quote or a stray CR (the usual export) are
   * split directly, several times faster than csv-parse; from the first line that has one, the rest
   * of the input goes through csv-parse (same options, line numbers offset), so quoting rules are
   * the library's. csv.test.ts checks that both give the same records.
   */
  async *batches(): AsyncGenerator<CsvRecord[]> {
    let first = true;
    let sawData = false;
    try {
      for await (const raw of this.rawBatches()) {
        let batch = raw;
        if (first && raw.length > 0) {
          this.header = raw[0]!.fields.map((h) => h.trim());
          this.headerLine = raw[0]!.line;
          first = false;
          batch = raw.slice(1);
        }
        const width = this.header.length;
        for (const item of batch) {
          // An extra field (e.g. an unquoted "1,234") would otherwise shift or truncate values silently.
          if (item.fields.length !== width) {
            throw new ImportError(this.file, item.line, null, `${item.fields.length} fields where the header has ${width} (quote values that contain commas)`);
          }
        }
        if (batch.length === 0) continue;
        sawData = true;
        yield batch;
      }
    } catch (err) {
      if (err instanceof ImportError) throw err;
      const e = err as { code?: string; message?: string; lines?: number };
      if (typeof e.code === "string" && e.code.startsWith("CSV_")) {
        throw new ImportError(this.file, e.lines ?? 0, null, `malformed CSV: ${e.message ?? e.code}`);
      }
      throw err;
    }
    if (first) throw new ImportError(this.file, 1, null, "the file is empty (a header line is required)");
    if (!sawData) throw new ImportError(this.file, this.headerLine, null, "no data rows");
  }

  /** All records, header included: the fast line splitter, then csv-parse from the first line it does not handle. */
  private async *rawBatches(): AsyncGenerator<CsvRecord[]> {
    const chunks = this.bytes();
    const decoder = new StringDecoder("utf8");
    let pending = "";
    let line = 0; // physical lines consumed so far
    let atStart = true;
    for (;;) {
      const next = await chunks.next();
      let text = next.done ? pending + decoder.end() : pending + decoder.write(next.value);
      if (atStart && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // UTF-8 BOM (csv-parse `bom: true`)
        atStart = false;
      }
      const batch: CsvRecord[] = [];
      let pos = 0;
      for (;;) {
        let nl = text.indexOf("\n", pos);
        if (nl < 0) {
          if (!next.done || pos >= text.length) break;
          nl = text.length; // last line without a newline
        }
        const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        const ln = text.slice(pos, end);
        if (ln.includes('"') || ln.includes("\r")) {
          if (batch.length > 0) yield batch;
          for await (const rec of csvParseRest(text.slice(pos), next.done ? null : chunks, decoder, line)) yield [rec];
          return;
        }
        line++;
        pos = nl + 1;
        if (ln.length > 0 && !BLANK.test(ln)) batch.push({ fields: splitLine(ln), line });
      }
      if (batch.length > 0) yield batch;
      if (next.done) return;
      pending = text.slice(pos);
    }
  }

  /** Index of each required column in the header (fails naming the missing column). */
  require(columns: readonly string[]): Record<string, number> {
    const idx: Record<string, number> = {};
    for (const c of columns) {
      const i = this.header.indexOf(c);
      if (i < 0) throw new ImportError(this.file, this.headerLine, c, `missing column "${c}" (header: ${this.header.join(",")})`);
      idx[c] = i;
    }
    const dup = this.header.find((h, i) => this.header.indexOf(h) !== i);
    if (dup !== undefined) throw new ImportError(this.file, this.headerLine, dup, `column "${dup}" appears twice in the header`);
    return idx;
  }
}

/** A line of spaces and tabs only: csv-parse (trim + skip_empty_lines) skips it too. */
const BLANK = /^[ \t]*$/;

/** Fields of one unquoted line, trimmed of spaces and tabs like csv-parse's `trim`. */
function splitLine(ln: string): string[] {
  const fields = ln.split(",");
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const a = f.charCodeAt(0);
    const z = f.charCodeAt(f.length - 1);
    if (a === 32 || a === 9 || z === 32 || z === 9) fields[i] = f.replace(/^[ \t]+|[ \t]+$/g, "");
  }
  return fields;
}

/** csv-parse over `head` and then the rest of `chunks`, with line numbers continuing after `linesBefore`. */
async function* csvParseRest(
  head: string, chunks: AsyncGenerator<Buffer> | null, decoder: StringDecoder, linesBefore: number,
): AsyncGenerator<CsvRecord> {
  const text = async function* () {
    yield head;
    if (chunks) {
      for await (const buf of chunks) yield decoder.write(buf);
      yield decoder.end();
    }
  };
  const parser = Readable.from(text()).pipe(
    // relax_column_count only so that the count check in records() can name file and line itself.
    parse({ trim: true, skip_empty_lines: true, relax_column_count: true, info: true }),
  );
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      yield { fields: item.record, line: item.info.lines + linesBefore };
    }
  } catch (err) {
    const e = err as { lines?: unknown };
    if (typeof e.lines === "number") e.lines += linesBefore;
    throw err;
  }
}

export function field(rec: CsvRecord, i: number): string {
  return rec.fields[i] ?? "";
}

const YEAR_MIN = 1900;
const YEAR_MAX = 2100;

export function parseYear(file: string, rec: CsvRecord, i: number, column = "year"): number {
  const s = field(rec, i);
  const y = Number(s);
  if (!/^\d{4}$/.test(s) || y < YEAR_MIN || y > YEAR_MAX) {
    throw new ImportError(file, rec.line, column, `bad year "${s}" (expected a year ${YEAR_MIN}-${YEAR_MAX})`);
  }
  return y;
}

/** Plain decimal notation only: Number() alone would also take "0x1A", "0b11", "Infinity" and " ". */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function parseNumber(file: string, rec: CsvRecord, i: number, column: string): number {
  const s = field(rec, i);
  const v = DECIMAL.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(v)) throw new ImportError(file, rec.line, column, `"${s}" is not a number (decimal notation, e.g. 12.5 or -3e4)`);
  return v;
}
