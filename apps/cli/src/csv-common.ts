/** What both CSV readers (csv-scan.ts, the fast path; csv.ts, the general reader) share: types, checks, messages. */
import type { Table } from "@govdiffusion/estimation";
import { CliError } from "./errors.js";

export interface CsvColumns {
  /**
   * Only the requested columns, in data-row order (row 0 = first line after the header): numeric
   * columns as Float64Array with NaN for a missing cell, string columns with null for one.
   */
  table: Table;
  /** Every column name of the header, in file order. */
  header: string[];
  rows: number;
}

/** A requested column: its position in the header and how its cells are read. */
export interface Wanted {
  name: string;
  index: number;
  kind: "number" | "string";
}

// A plain decimal number: "12", "-3.5", ".5", "1e-6". Hex, "Infinity" and friends are refused on purpose.
export const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Empty cells and NA are missing values (as R's read.csv writes them). */
export function isMissing(cell: string): boolean {
  return cell === "" || cell === "NA";
}

/**
 * Checks the header (no empty or repeated names) and finds the requested columns: numeric ones
 * first, in request order, then string ones (a column asked for twice is read once, as numeric).
 */
export function checkHeader(file: string, header: readonly string[], numeric: readonly string[], strings: readonly string[]): Wanted[] {
  const seen = new Set<string>();
  for (const name of header) {
    if (name === "") throw new CliError(`${file}: the header row has an empty column name`);
    if (seen.has(name)) throw new CliError(`${file}: column "${name}" appears twice in the header`);
    seen.add(name);
  }
  const wanted: Wanted[] = [];
  const need = (name: string, kind: "number" | "string") => {
    const index = header.indexOf(name);
    if (index < 0) throw new CliError(`unknown column "${name}" in ${file} (columns: ${header.join(", ")})`);
    if (!wanted.some((w) => w.name === name)) wanted.push({ name, index, kind });
  };
  for (const name of numeric) need(name, "number");
  for (const name of strings) need(name, "string");
  return wanted;
}

export function nonNumeric(file: string, line: number, column: string, cell: string): string {
  return `${file} line ${line}: column "${column}" has a non-numeric value "${cell.slice(0, 40)}"`;
}

/** csv-parse's wording for a ragged row (the general reader passes csv-parse's own message on). */
export function recordLengthError(expected: number, got: number, line: number): string {
  return `Invalid Record Length: expect ${expected}, got ${got} on line ${line}`;
}

export const emptyFile = (file: string) => `${file} is empty (expected a header row)`;
export const noRows = (file: string) => `${file} has a header but no data rows`;
