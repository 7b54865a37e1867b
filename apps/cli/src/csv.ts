import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { parse, CsvError } from "csv-parse";
import type { Table } from "@govdiffusion/estimation";
import { CliError } from "./errors.js";

export interface CsvColumns {
  /** Only the requested columns, in data-row order (row 0 = first line after the header). */
  table: Table;
  /** Every column name of the header, in file order. */
  header: string[];
  rows: number;
}

// A plain decimal number: "12", "-3.5", ".5", "1e-6". Hex, "Infinity" and friends are refused on purpose.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Empty cells and NA are missing values (as R's read.csv writes them). */
export function isMissing(cell: string): boolean {
  return cell === "" || cell === "NA";
}

/**
 * Reads a comma-separated file with a header row, keeping only the named columns: numeric
 * columns become numbers (missing cells become null), string columns stay strings (e.g. cluster
 * labels). Streams the file so memory is the kept columns, not the whole text. Every problem is a
 * CliError naming the file, the column and the line.
 */
export async function readCsvColumns(
  file: string,
  numeric: readonly string[],
  strings: readonly string[] = [],
): Promise<CsvColumns> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(file)).isDirectory();
  } catch {
    throw new CliError(`cannot read ${file}: no such file`);
  }
  // Pipes are fine (e.g. /dev/stdin); a directory is a mistake worth naming.
  if (isDirectory) throw new CliError(`cannot read ${file}: it is a directory`);
  const parser = parse({ bom: true, trim: true, skip_empty_lines: true, info: true });
  const source = createReadStream(file);
  // pipe() does not forward read errors; hand them to the parser so the loop below sees them.
  source.on("error", (err) => parser.destroy(err));
  source.pipe(parser);
  let header: string[] | undefined;
  const wanted: { name: string; index: number; kind: "number" | "string"; values: (number | string | null)[] }[] = [];
  let rows = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (header === undefined) {
        header = record;
        const seen = new Set<string>();
        for (const name of header) {
          if (name === "") throw new CliError(`${file}: the header row has an empty column name`);
          if (seen.has(name)) throw new CliError(`${file}: column "${name}" appears twice in the header`);
          seen.add(name);
        }
        const need = (name: string, kind: "number" | "string") => {
          const index = header!.indexOf(name);
          if (index < 0) {
            throw new CliError(`unknown column "${name}" in ${file} (columns: ${header!.join(", ")})`);
          }
          if (!wanted.some((w) => w.name === name)) wanted.push({ name, index, kind, values: [] });
        };
        for (const name of numeric) need(name, "number");
        for (const name of strings) need(name, "string");
        continue;
      }
      for (const col of wanted) {
        const cell = record[col.index] ?? "";
        if (isMissing(cell)) col.values.push(null);
        else if (col.kind === "string") col.values.push(cell);
        else if (NUMBER.test(cell)) col.values.push(Number(cell));
        else {
          throw new CliError(
            `${file} line ${info.lines}: column "${col.name}" has a non-numeric value "${cell.slice(0, 40)}"`,
          );
        }
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
  if (header === undefined) throw new CliError(`${file} is empty (expected a header row)`);
  if (rows === 0) throw new CliError(`${file} has a header but no data rows`);
  const table: Table = {};
  for (const col of wanted) table[col.name] = col.values;
  return { table, header, rows };
}
