import { readFileSync } from "node:fs";
import type { Table } from "../types.js";

/** A small reference CSV with a header: numeric-looking cells become numbers, the others stay text. */
export function readCsv(path: string): Table {
  const [head, ...lines] = readFileSync(path, "utf8").trim().split("\n");
  const names = head!.split(",");
  const cols: Record<string, (number | string)[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const line of lines) {
    line.split(",").forEach((cell, j) => {
      const x = Number(cell);
      cols[names[j]!]!.push(cell !== "" && Number.isFinite(x) ? x : cell);
    });
  }
  return cols;
}
