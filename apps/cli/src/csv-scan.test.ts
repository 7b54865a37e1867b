/**
 * The byte scanner against csv-parse (the general reader) and Number(): same values, same
 * messages, and a hand-back to csv-parse for everything the scanner does not read itself.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRng, fitCountModel, type Table } from "@govdiffusion/estimation";
import { parseDecimal, scanCsvColumns } from "./csv-scan.js";
import { readCsvColumns, readCsvColumnsGeneral } from "./csv.js";
import type { CsvColumns } from "./csv-common.js";
import { CliError } from "./errors.js";

const dir = mkdtempSync(join(tmpdir(), "govdiffusion-scan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function csv(text: string | Buffer): string {
  const path = join(dir, `f${fileNo++}.csv`);
  writeFileSync(path, text);
  return path;
}

/** Columns as plain arrays with Object.is-comparable cells (keeps -0 and NaN apart from 0 and null). */
function plain(result: CsvColumns) {
  const table: Record<string, unknown[]> = {};
  for (const [name, col] of Object.entries(result.table)) {
    table[name] = Array.from(col, (v) => (typeof v === "number" && Object.is(v, -0) ? "-0" : v));
  }
  return { header: result.header, rows: result.rows, table };
}

type Outcome = { ok: ReturnType<typeof plain> } | { error: string };
async function outcome(read: () => Promise<CsvColumns> | CsvColumns | null): Promise<Outcome | null> {
  try {
    const r = await read();
    return r === null ? null : { ok: plain(r) };
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return { error: (err as Error).message };
  }
}

/** Scanner and general reader on the same file: the scanner must not hand it back, and both agree. */
async function same(text: string | Buffer, numeric: string[], strings: string[] = []): Promise<Outcome> {
  const file = csv(text);
  const scanned = await outcome(() => scanCsvColumns(file, numeric, strings));
  expect(scanned, "the scanner read the file itself").not.toBeNull();
  const general = await outcome(() => readCsvColumnsGeneral(file, numeric, strings));
  expect(scanned).toEqual(general);
  return scanned!;
}

describe("parseDecimal", () => {
  const bytes = (s: string) => Buffer.from(s, "latin1");
  const parse = (s: string) => parseDecimal(bytes(s), 0, s.length);

  it("reads the plain decimal forms exactly as Number() does, -0 included", () => {
    for (const s of ["0", "-0", "+0", "12", "-3.5", ".5", "5.", "-.5", "1e-3", "1E+2", "1e5", "0.1", "0.2", "0.3",
      "123456789012345", "1234567890123456", "9007199254740993", "0.1234567890123456789", "1e22", "1e23", "1e-22",
      "1e-23", "1e300", "1e308", "1.7976931348623157e308", "2.2250738585072014e-308", "4.9e-324", "1e-400",
      "1e999", "-1e999", "000000000000000000001", "0.000000000000000000001", "3.14159265358979323846", "1e0000000000002"]) {
      expect(Object.is(parse(s), Number(s)), s).toBe(true);
    }
  });

  it("refuses what the documented grammar refuses (hex, Infinity, spaces, lone signs and dots, bad exponents)", () => {
    for (const s of ["", "-", "+", ".", "e5", "1e", "1e+", "0x10", "0b1", "0o7", "Infinity", "-Infinity", "NaN",
      "1.2.3", "1 2", " 1", "1 ", "1_000", "1,5", "--1", "+-1", "1e5.5", "١"]) {
      expect(parse(s), s).toBeNaN();
    }
  });

  it("agrees with Number() on 50,000 random decimals of every shape", () => {
    const rng = createRng(7);
    const digits = (count: number) => {
      let out = "";
      for (let i = 0; i < count; i++) out += String(Math.floor(rng.uniform() * 10));
      return out;
    };
    const wrong: string[] = [];
    for (let t = 0; t < 50_000; t++) {
      const sign = ["", "-", "+"][Math.floor(rng.uniform() * 3)]!;
      const int = digits(Math.floor(rng.uniform() * 12));
      const frac = rng.uniform() < 0.7 ? "." + digits(Math.floor(rng.uniform() * 12)) : "";
      const exp = rng.uniform() < 0.3 ? (rng.uniform() < 0.5 ? "e" : "E") + ["", "-", "+"][Math.floor(rng.uniform() * 3)] + digits(1 + Math.floor(rng.uniform() * 2)) : "";
      const s = sign + int + frac + exp;
      const valid = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s);
      const got = parse(s);
      if (valid ? !Object.is(got, Number(s)) : !Number.isNaN(got)) wrong.push(s);
    }
    expect(wrong).toEqual([]);
  });
});

describe("the byte scanner reads what csv-parse reads, with the same values and messages", () => {
  it("numbers in every plain form, -0, missing cells (empty, NA, quoted), and unused columns left alone", async () => {
    const r = await same("y,x,z\n1,1e-3,zz\n2,-0,\n3,.5,\"q\"\n4,5.,1\n5,+2,NA\n6,1E+2,x\n7,,\n8,NA,\n9,\"\",a\n10,\"NA\",b\n", ["y", "x"]);
    expect(r).toEqual({
      ok: {
        header: ["y", "x", "z"],
        rows: 10,
        table: { y: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], x: [0.001, "-0", 0.5, 5, 2, 100, NaN, NaN, NaN, NaN] },
      },
    });
  });

  it("a BOM, CRLF line ends, blank and whitespace-only lines, spaces and tabs around cells", async () => {
    const r = await same("\uFEFFy , x\r\n\r\n 1 ,\t2.5 \r\n   \r\n3,4\r\n", ["y", "x"]);
    expect(r).toEqual({ ok: { header: ["y", "x"], rows: 2, table: { y: [1, 3], x: [2.5, 4] } } });
    await same("y,x\n1,2", ["x"]); // no final line end
    await same("y,x\r\n1,2", ["x"]);
    await same("\n\ny,x\n\n1,2\n\n\n3,4\n\n", ["x"]); // blank lines before the header
  });

  it("quoted cells: R's write.csv style with row names, escaped quotes, commas and text after spaces", async () => {
    const r = await same('"id","y","x","g"\n"1",0,0.5,"a, b"\n"2",3,"-1.25","say ""hi"""\n"3",4,  "7"  ,""\n', ["y", "x"], ["g"]);
    expect(r).toEqual({
      ok: {
        header: ["id", "y", "x", "g"],
        rows: 3,
        table: { y: [0, 3, 4], x: [0.5, -1.25, 7], g: ["a, b", 'say "hi"', null] },
      },
    });
  });

  it("text labels in UTF-8 (cluster columns), missing labels as null", async () => {
    const r = await same("y,g\n1,壮族\n2,\n3,NA\n4,Guangxi Zhuang\n", ["y"], ["g"]);
    expect(r).toEqual({ ok: { header: ["y", "g"], rows: 4, table: { y: [1, 2, 3, 4], g: ["壮族", null, null, "Guangxi Zhuang"] } } });
  });

  it("names file, line and column of a non-numeric cell, whatever its shape", async () => {
    for (const bad of ["abc", "0x10", "Infinity", "1e", "1e+", "-", ".", "1.2.3", "1 2", "NaN", "na", "NB", "N", '" 1"', '"a""b"', "5x"]) {
      const r = await same(`y,x,z\n1,2,3\n\n3,${bad},4\n`, ["y", "x"]);
      expect("error" in r && r.error, bad).toMatch(/line 4: column "x" has a non-numeric value/);
    }
  });

  it("ragged rows, short and long, with csv-parse's message and line", async () => {
    const short = await same("y,x\n1,2\n3\n", ["y"]);
    expect(short).toEqual({ error: expect.stringMatching(/: Invalid Record Length: expect 2, got 1 on line 3$/) });
    const long = await same("y,x\n1,2\n\n3,4,5\n", ["y"]);
    expect(long).toEqual({ error: expect.stringMatching(/: Invalid Record Length: expect 2, got 3 on line 4$/) });
  });

  it("header problems: unknown, repeated and empty names", async () => {
    expect(await same("y,x\n1,2\n", ["y", "w"])).toEqual({ error: expect.stringContaining('unknown column "w"') });
    expect(await same('y,"y"\n1,2\n', ["y"])).toEqual({ error: expect.stringContaining('column "y" appears twice') });
    expect(await same("y, \n1,2\n", ["y"])).toEqual({ error: expect.stringContaining("empty column name") });
    expect(await same("\n\n", ["y"])).toEqual({ error: expect.stringContaining("is empty") });
  });

  it("files larger than one read, a line longer than the read buffer, and more rows than first estimated", async () => {
    // Many rows across several 2 MB reads.
    const lines = ["y,x,label"];
    const rng = createRng(3);
    const filler = "f".repeat(40);
    for (let i = 0; i < 100_000; i++) lines.push(`${i % 7},${(rng.normal() * 1e3).toPrecision(1 + (i % 17))},l${i % 13},${filler}`);
    lines[0] += ",filler";
    const big = await same(lines.join("\n") + "\n", ["y", "x"], ["label"]);
    expect("ok" in big && big.ok.rows).toBe(100_000);
    // A 3 MB cell in the first row; then rows far shorter than the first read suggested.
    const long = ["y,t", `1,${"a".repeat(3 << 20)}`];
    for (let i = 0; i < 30; i++) long.push(`${i},${"b".repeat(60_000)}`);
    for (let i = 0; i < 50_000; i++) long.push(`${i % 5},c`);
    const grown = await same(long.join("\n"), ["y"], []);
    expect("ok" in grown && grown.ok.rows).toBe(50_031);
  }, 60_000);
});

describe("the byte scanner hands unusual input to csv-parse", () => {
  const handBack: [string, string, string[], string[]][] = [
    ["a quoted line break", 'y,g\n1,"a\nb"\n2,c\n', ["y"], ["g"]],
    ["a quote inside an unquoted cell", 'y,x\n1,a"b\n', ["y", "x"], []],
    ["a quote inside an unquoted cell of an unused column", 'y,x,z\n1,2,a"b\n', ["y"], []],
    ["a quote after a number", 'y,x\n1,2"\n', ["y", "x"], []],
    ["text after a closing quote", 'y,x\n1,"2"3\n', ["y", "x"], []],
    ["an unclosed quote", 'y,x\n1,"2\n', ["y", "x"], []],
    ["a header name with a line break", 'y,"x\n2"\n1,2\n', ["y"], []],
    ["CR line ends", "y,x\r1,2\r3,4\r", ["y", "x"], []],
    ["a bare CR in a cell", "y,x\n1,2\r5\n", ["y", "x"], []],
    ["mixed line ends", "y,x\n1,2\r\n3,4\n", ["y", "x"], []],
  ];
  for (const [name, text, numeric, strings] of handBack) {
    it(name, async () => {
      const file = csv(text);
      expect(scanCsvColumns(file, numeric, strings)).toBeNull();
      // readCsvColumns then gives exactly what csv-parse gives.
      expect(await outcome(() => readCsvColumns(file, numeric, strings))).toEqual(
        await outcome(() => readCsvColumnsGeneral(file, numeric, strings)),
      );
    });
  }

  it("so a quoted line break is still read correctly", async () => {
    const { table } = await readCsvColumns(csv('y,g\n1,"a\nb"\n2,c\n'), ["y"], ["g"]);
    expect(Array.from(table.y!)).toEqual([1, 2]);
    expect(table.g).toEqual(["a\nb", "c"]);
  });
});

describe("round trip", () => {
  it("a fit from the CSV file equals the fit of the same data in memory, missing cells included", async () => {
    const n = 3000;
    const rng = createRng(11);
    const data: Record<string, Float64Array | (string | null)[]> = {
      y: new Float64Array(n),
      a: new Float64Array(n),
      b: new Float64Array(n),
      e: new Float64Array(n),
    };
    const g: (string | null)[] = [];
    const [y, a, b, e] = [data.y, data.a, data.b, data.e] as Float64Array[];
    for (let i = 0; i < n; i++) {
      a![i] = rng.normal() * 3;
      b![i] = rng.uniform() < 0.4 ? 1 : 0;
      e![i] = 0.5 + rng.uniform() * 2;
      y![i] = rng.negBin2(e![i]! * Math.exp(0.3 + 0.2 * a![i]! - 0.5 * b![i]!), 0.7);
      g.push(`county ${i % 40}`);
    }
    a![5] = NaN;
    b![17] = NaN;
    g[23] = null;
    data.g = g;
    // String() of a double reads back as the same double; missing cells are written as R writes them.
    const cell = (v: number | string | null, i: number) =>
      v === null || (typeof v === "number" && Number.isNaN(v)) ? (i % 2 === 0 ? "NA" : "") : String(v);
    const names = ["y", "a", "b", "e", "g"];
    const lines = [names.join(",")];
    for (let i = 0; i < n; i++) lines.push(names.map((c) => cell((data[c] as ArrayLike<number | string | null>)[i]!, i)).join(","));
    const file = csv(lines.join("\n") + "\n");
    const spec = { family: "negbin2" as const, outcome: "y", predictors: ["a", "b"], exposure: "e", seType: "cluster" as const, cluster: "g" };
    const { table } = await readCsvColumns(file, ["y", "a", "b", "e"], ["g"]);
    const fromFile = fitCountModel(table, spec);
    const inMemory = fitCountModel(data as Table, spec);
    expect(fromFile.dropped).toBe(3);
    expect(fromFile).toEqual(inMemory);
  });
});
