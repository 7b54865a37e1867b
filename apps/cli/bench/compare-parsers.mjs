// The parser comparison of README.md ("Choosing the reader"): reads every column of a numeric CSV
// into Float64Arrays with one candidate, in its own process; prints wall and CPU ms and peak RSS.
// The candidates are not dependencies: install them in a scratch directory first, e.g.
//   mkdir /tmp/parsers && cd /tmp/parsers && npm init -y && npm install udsv papaparse csv-parse @duckdb/node-api nodejs-polars
// then (after npm run build):
//   node bench/compare-parsers.mjs <scanner|csv-parse-stream|csv-parse-sync|papaparse|udsv|duckdb|polars> FILE.csv /tmp/parsers
// FILE.csv: the bench's file (npm run bench writes it to a temp dir; any all-numeric CSV works).
import { readFileSync, openSync, readSync, closeSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
const [which, file, from = process.cwd()] = process.argv.slice(2);
const fromScratch = createRequire(join(from, "package.json"));
const load = (name) => import(pathToFileURL(fromScratch.resolve(name)).href);
const t0 = performance.now(); const c0 = process.cpuUsage();
let cols, n;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
function num(s) { if (s === "" || s === "NA") return NaN; if (!NUMBER.test(s)) throw new Error("bad " + s); return Number(s); }
function grow(cols, n) { return cols.map((c) => { const d = new Float64Array(c.length * 2); d.set(c); return d; }); }
if (which === "csv-parse-sync") {
  const { parse } = await load("csv-parse/sync");
  const recs = parse(readFileSync(file), { bom: true, trim: true, skip_empty_lines: true });
  n = recs.length - 1; cols = recs[0].map(() => new Float64Array(n));
  for (let i = 1; i <= n; i++) { const r = recs[i]; for (let j = 0; j < cols.length; j++) cols[j][i - 1] = num(r[j]); }
} else if (which === "papaparse") {
  const Papa = (await load("papaparse")).default;
  const text = readFileSync(file, "utf8");
  let header = null; n = 0; cols = null;
  Papa.parse(text, { skipEmptyLines: true, step: (res) => {
    const r = res.data;
    if (header === null) { header = r; cols = r.map(() => new Float64Array(1 << 16)); return; }
    if (n === cols[0].length) cols = grow(cols, n);
    for (let j = 0; j < cols.length; j++) cols[j][n] = num(r[j]);
    n++;
  }});
} else if (which === "papaparse-fast") {
  const Papa = (await load("papaparse")).default;
  const text = readFileSync(file, "utf8");
  const res = Papa.parse(text, { skipEmptyLines: true, fastMode: true });
  n = res.data.length - 1; cols = res.data[0].map(() => new Float64Array(n));
  for (let i = 1; i <= n; i++) { const r = res.data[i]; for (let j = 0; j < cols.length; j++) cols[j][i - 1] = num(r[j]); }
} else if (which === "udsv") {
  const { inferSchema, initParser } = await load("udsv");
  // streamed: 1 MB chunks, each row written straight into the columns
  const fd = openSync(file, "r"); const buf = Buffer.alloc(1 << 20); const dec = new TextDecoder();
  let parser = null; n = 0; cols = null; let first = true;
  const onRow = (r) => {
    if (n === cols[0].length) cols = grow(cols, n);
    for (let j = 0; j < cols.length; j++) cols[j][n] = num(r[j]);
    n++;
  };
  for (;;) {
    const got = readSync(fd, buf, 0, buf.length, null);
    const s = dec.decode(buf.subarray(0, got), { stream: got > 0 });
    if (parser === null) { const schema = inferSchema(s); parser = initParser(schema); cols = schema.cols.map(() => new Float64Array(1 << 16)); }
    if (got === 0) break;
    parser.chunk(s, parser.stringArrs, onRow);
  }
  parser.end();
  closeSync(fd);
} else if (which === "udsv-whole") {
  const { inferSchema, initParser } = await load("udsv");
  const text = readFileSync(file, "utf8");
  const schema = inferSchema(text); const parser = initParser(schema);
  const sc = parser.stringCols(text); n = sc[0].length;
  cols = sc.map((c) => { const out = new Float64Array(n); for (let i = 0; i < n; i++) out[i] = num(c[i]); return out; });
} else if (which === "duckdb") {
  const { DuckDBInstance } = await load("@duckdb/node-api");
  const inst = await DuckDBInstance.create(":memory:");
  const conn = await inst.connect();
  const res = await conn.run(`SELECT * FROM read_csv('${file}', header = true, nullstr = ['', 'NA'], auto_type_candidates = ['DOUBLE', 'VARCHAR'])`);
  const k = res.columnCount; cols = Array.from({ length: k }, () => new Float64Array(1 << 16)); n = 0;
  for (;;) {
    const chunk = await res.fetchChunk(); if (!chunk || chunk.rowCount === 0) break;
    const m = chunk.rowCount;
    while (n + m > cols[0].length) cols = grow(cols, n);
    // items: the vector's Float64Array view (validity ignored here: the file has no missing cells)
    for (let j = 0; j < k; j++) { const v = chunk.getColumnVector(j); cols[j].set(v.items, n); }
    n += m;
  }
} else if (which === "scanner") {
  const { readCsvColumns } = await import("../dist/csv.js");
  const r = await readCsvColumns(file, ["y","x1","x2","x3","x4","x5","x6","x7","x8"]);
  n = r.rows; cols = Object.values(r.table);
} else if (which === "csv-parse-stream") {
  const { readCsvColumnsGeneral } = await import("../dist/csv.js");
  const r = await readCsvColumnsGeneral(file, ["y","x1","x2","x3","x4","x5","x6","x7","x8"]);
  n = r.rows; cols = Object.values(r.table);
} else if (which === "polars") {
  const pl = (await load("nodejs-polars")).default;
  const df = pl.readCSV(file);
  n = df.height; cols = df.columns.map((c) => { const s = df.getColumn(c).cast(pl.Float64); return Float64Array.from(s.toTypedArray()); });
}
const ms = performance.now() - t0;
let sum = 0; for (const c of cols) sum += c[n - 1] + c[0];
const cpu = process.cpuUsage(c0);
console.log(JSON.stringify({ which, ms: Math.round(ms), cpuMs: Math.round((cpu.user + cpu.system) / 1000), n, check: sum, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }));
