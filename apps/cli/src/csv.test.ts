import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCsvColumns, readCsvColumnsGeneral } from "./csv.js";
import { CliError } from "./errors.js";

const dir = mkdtempSync(join(tmpdir(), "govdiffusion-csv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return (err as CliError).message;
  }
  throw new Error("expected a CliError");
}

// Every case runs through both readers: the byte scanner (readCsvColumns on a regular file) and
// csv-parse (the general reader, used for pipes and for what the scanner hands back).
describe.each([
  ["readCsvColumns", readCsvColumns],
  ["the general reader", readCsvColumnsGeneral],
])("%s", (_name, readCsvColumns) => {
  it("keeps only the requested columns, converts numbers, and treats empty cells and NA as missing", async () => {
    const file = csv("a.csv", "y,x,z,g\n1,2.5,9,A\n0,,9,B\n3,NA,9,\n4,-1e-3,9,A\n");
    const { table, header, rows } = await readCsvColumns(file, ["y", "x"], ["g"]);
    expect(header).toEqual(["y", "x", "z", "g"]);
    expect(rows).toBe(4);
    expect(Object.keys(table)).toEqual(["y", "x", "g"]);
    expect(table.y).toBeInstanceOf(Float64Array);
    expect(Array.from(table.y!)).toEqual([1, 0, 3, 4]);
    expect(table.x).toBeInstanceOf(Float64Array);
    expect(Array.from(table.x!)).toEqual([2.5, NaN, NaN, -0.001]);
    expect(Array.from(table.g!)).toEqual(["A", "B", null, "A"]);
  });

  it("handles a BOM, quoted cells, CRLF line ends and blank lines", async () => {
    const file = csv("b.csv", '\uFEFF"y","label"\r\n"2","a, b"\r\n\r\n5,c\r\n');
    const { table, rows } = await readCsvColumns(file, ["y"], ["label"]);
    expect(rows).toBe(2);
    expect(Array.from(table.y!)).toEqual([2, 5]);
    expect(Array.from(table.label!)).toEqual(["a, b", "c"]);
  });

  it("names the column and file line of a non-numeric cell", async () => {
    const file = csv("c.csv", "y,x\n1,2\n3,abc\n");
    expect(await failure(readCsvColumns(file, ["y", "x"]))).toBe(`${file} line 3: column "x" has a non-numeric value "abc"`);
  });

  it("refuses hex and infinite values rather than guessing", async () => {
    expect(await failure(readCsvColumns(csv("d.csv", "y\n0x10\n"), ["y"]))).toContain('non-numeric value "0x10"');
    expect(await failure(readCsvColumns(csv("e.csv", "y\nInfinity\n"), ["y"]))).toContain('non-numeric value "Infinity"');
  });

  it("names an unknown column and lists the header", async () => {
    const file = csv("f.csv", "y,x\n1,2\n");
    expect(await failure(readCsvColumns(file, ["y", "w"]))).toBe(`unknown column "w" in ${file} (columns: y, x)`);
  });

  it("refuses an empty file, a header without rows, duplicate and empty names", async () => {
    expect(await failure(readCsvColumns(csv("g.csv", ""), ["y"]))).toContain("is empty");
    expect(await failure(readCsvColumns(csv("h.csv", "y,x\n"), ["y"]))).toContain("has a header but no data rows");
    expect(await failure(readCsvColumns(csv("i.csv", "y,y\n1,2\n"), ["y"]))).toContain('column "y" appears twice');
    expect(await failure(readCsvColumns(csv("j.csv", "y,\n1,2\n"), ["y"]))).toContain("empty column name");
  });

  it("reports a row with the wrong number of cells with its line", async () => {
    const msg = await failure(readCsvColumns(csv("k.csv", "y,x\n1,2\n3\n"), ["y"]));
    expect(msg).toMatch(/line 3/);
  });
});

describe("readCsvColumns", () => {
  it("refuses a missing file and a directory", async () => {
    expect(await failure(readCsvColumns(join(dir, "nope.csv"), ["y"]))).toBe(`cannot read ${join(dir, "nope.csv")}: no such file`);
    const sub = join(dir, "sub");
    mkdirSync(sub);
    expect(await failure(readCsvColumns(sub, ["y"]))).toBe(`cannot read ${sub}: it is a directory`);
  });
});
