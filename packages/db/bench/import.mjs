// Import benchmark: importObservations (the CLI/API code path) into SQLite and, when BENCH_PG_URL
// or TEST_PG_URL is set, PostgreSQL, for two files:
//   long: 1,000,000 rows county_code,year,indicator,value (1000 counties x 50 years x 20 indicators)
//   wide: 111 counties x 200 years x 45 indicator columns (999,000 observations in 22,200 rows)
// Each case runs in a child process of its own (time, rows/s, peak RSS = the child's maxRSS), next
// to a floor measured in the same run: the same observations, already in memory, written by the
// plainest raw driver loop (better-sqlite3 prepared INSERT in one transaction / pg COPY of CSV text).
// Each is run BENCH_REPEAT (2) times, alternating, and the fastest run of each kind is kept.
// The write path of the previous importer (Prisma $executeRawUnsafe, 500-row INSERTs, one
// interactive transaction) is measured too, on the first OLD_ROWS (100,000) observations only.
// Usage: npm run bench -w @govdiffusion/db   (after `npm run build`); ROWS=… changes the long size.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { createDb, importObservations, migrateDatabase, providerOf, sqlitePath } from "../dist/index.js";
import { BATCH_ROWS, LONG_TX, insertRows } from "../dist/import/sql.js";

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const OLD_ROWS = Number(process.env.OLD_ROWS ?? 100_000);
// Floor and import are measured alternately this many times and the fastest of each is printed:
// on a shared machine, other jobs only ever add time.
const REPEAT = Number(process.env.BENCH_REPEAT ?? 2);
const LONG = { counties: 1000, indicators: 20 };
const WIDE = { counties: 111, years: 200, indicators: 45 };
const countyCodes = (n) => Array.from({ length: n }, (_, i) => String(450000 + i + 1).padStart(6, "0"));
const indicatorKeys = (n) => Array.from({ length: n }, (_, i) => `ind_${i}`);

/** The observations of each file, in file order, as [county, year, key, value]. */
function* longRows() {
  const counties = countyCodes(LONG.counties);
  const keys = indicatorKeys(LONG.indicators);
  let n = 0;
  for (let y = 1971; ; y++) for (const c of counties) for (const k of keys) {
    if (n++ >= ROWS) return;
    yield [c, y, k, (n * 0.37) % 1000];
  }
}
function* wideRows() {
  const counties = countyCodes(WIDE.counties);
  const keys = indicatorKeys(WIDE.indicators);
  let n = 0;
  for (let y = 1901; y < 1901 + WIDE.years; y++) for (const c of counties) for (const k of keys) yield [c, y, k, (++n * 0.37) % 1000];
}

async function writeCsv(file, format) {
  const out = fs.createWriteStream(file);
  const put = async (s) => { if (!out.write(s)) await new Promise((r) => out.once("drain", r)); };
  if (format === "long") {
    await put("county_code,year,indicator,value\n");
    let chunk = "";
    for (const [c, y, k, v] of longRows()) {
      chunk += `${c},${y},${k},${v}\n`;
      if (chunk.length > 1 << 16) { await put(chunk); chunk = ""; }
    }
    await put(chunk);
  } else {
    await put(`county_code,year,${indicatorKeys(WIDE.indicators).join(",")}\n`);
    let line = [];
    let chunk = "";
    for (const [c, y, , v] of wideRows()) {
      if (line.length === 0) line.push(c, y);
      line.push(v);
      if (line.length === WIDE.indicators + 2) { chunk += line.join(",") + "\n"; line = []; }
      if (chunk.length > 1 << 16) { await put(chunk); chunk = ""; }
    }
    await put(chunk);
  }
  await new Promise((r) => out.end(r));
}

// ------------------------------------------------------------------ child: one measured case
if (process.argv[2] === "--child") {
  const [, , , kind, url, format, csv] = process.argv;
  const dataset = `${kind}-${format}`;
  const t0 = performance.now();
  let rows;
  if (kind === "import") {
    const db = createDb({ url });
    rows = (await importObservations(db, fs.createReadStream(csv), { file: csv, dataset, format })).rows;
    await db.$disconnect();
  } else if (kind === "old") {
    // The previous importer's write path, rows already in memory.
    const db = createDb({ url });
    const all = [...(format === "long" ? longRows() : wideRows())].slice(0, OLD_ROWS);
    const t1 = performance.now();
    await db.$transaction(async (tx) => {
      const id = (await tx.dataset.create({ data: { name: dataset, source: "", provenance: "", checksum: "" } })).id;
      for (let i = 0; i < all.length; i += BATCH_ROWS) {
        const batch = all.slice(i, i + BATCH_ROWS).map(([c, y, k, v]) => [id, c, y, k, v]);
        await insertRows(tx, providerOf(db), "Observation", ["datasetId", "countyCode", "year", "indicatorKey", "value"], batch);
      }
    }, LONG_TX);
    await db.$disconnect();
    console.log(JSON.stringify({ seconds: (performance.now() - t1) / 1000, rows: all.length, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
    process.exit(0);
  } else if (url.startsWith("file:")) {
    // Floor: the plainest better-sqlite3 loop, rows already in memory.
    const conn = new Database(sqlitePath(url));
    const id = conn.prepare(`INSERT INTO "Dataset" ("name","source","provenance","checksum") VALUES (?,'','','') `).run(dataset).lastInsertRowid;
    const st = conn.prepare(`INSERT INTO "Observation" ("datasetId","countyCode","year","indicatorKey","value") VALUES (?,?,?,?,?)`);
    const all = [...(format === "long" ? longRows() : wideRows())];
    const t1 = performance.now();
    conn.transaction(() => { for (const [c, y, k, v] of all) st.run(id, c, y, k, v); })();
    rows = all.length;
    conn.close();
    console.log(JSON.stringify({ seconds: (performance.now() - t1) / 1000, rows, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
    process.exit(0);
  } else {
    // Floor: one COPY of CSV text generated from memory, in one transaction.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const all = [...(format === "long" ? longRows() : wideRows())];
    const t1 = performance.now();
    await client.query("BEGIN");
    const id = (await client.query(`INSERT INTO "Dataset" ("name","source","provenance","checksum") VALUES ($1,'','','') RETURNING "id"`, [dataset])).rows[0].id;
    const text = function* () {
      let chunk = "";
      for (const [c, y, k, v] of all) { chunk += `${id},${c},${y},${k},${v}\n`; if (chunk.length > 1 << 20) { yield chunk; chunk = ""; } }
      yield chunk;
    };
    await pipeline(Readable.from(text()), client.query(copyFrom(`COPY "Observation" ("datasetId","countyCode","year","indicatorKey","value") FROM STDIN (FORMAT csv)`)));
    await client.query("COMMIT");
    await client.end();
    console.log(JSON.stringify({ seconds: (performance.now() - t1) / 1000, rows: all.length, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
    process.exit(0);
  }
  console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, rows, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

// ------------------------------------------------------------------ parent
const self = fileURLToPath(import.meta.url);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "govdiffusion-bench-"));
const files = { long: path.join(dir, "long.csv"), wide: path.join(dir, "wide.csv") };
const pgAdmin = process.env.BENCH_PG_URL ?? process.env.TEST_PG_URL;
const pgName = `govdiffusion_bench_${process.pid}`;
let failed = false;

async function prepare(url) {
  await migrateDatabase({ url });
  const db = createDb({ url });
  await db.prefecture.create({ data: { code: "450000", name: "bench", nameEn: "bench" } });
  await db.county.createMany({ data: countyCodes(LONG.counties).map((code) => ({ code, nameZh: code, nameEn: code, kind: "county", prefectureCode: "450000" })) });
  await db.indicator.createMany({ data: indicatorKeys(WIDE.indicators).map((key) => ({ key, label: key, unit: "", description: "", role: "determinant" })) });
  await db.$disconnect();
}

function run(kind, url, format) {
  const out = execFileSync(process.execPath, [self, "--child", kind, url, format, files[format]], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return JSON.parse(out.trim().split("\n").pop());
}

async function bench(label, url, count) {
  await prepare(url);
  const db = createDb({ url });
  // Observations first: the dataset row alone would leave them to the cascade.
  const drop = async (name) => {
    await db.observation.deleteMany({ where: { dataset: { name } } });
    await db.dataset.deleteMany({ where: { name } });
  };
  for (const format of ["long", "wide"]) {
    const fastest = (a, b) => (!a || b.seconds < a.seconds ? b : a);
    let floor;
    let imp;
    let stored = 0;
    for (let r = 0; r < REPEAT; r++) {
      await drop(`floor-${format}`);
      floor = fastest(floor, run("floor", url, format));
      await drop(`import-${format}`);
      imp = fastest(imp, run("import", url, format));
      stored = await count(`import-${format}`);
    }
    await drop(`old-${format}`);
    const old = run("old", url, format);
    const rate = (r) => Math.round(r.rows / r.seconds).toLocaleString("en");
    const obs = format === "long" ? imp.rows : stored;
    const impRate = obs / imp.seconds;
    console.log(
      `${label.padEnd(10)} ${format.padEnd(4)} ${obs.toLocaleString("en").padStart(9)} obs  import ${imp.seconds.toFixed(1).padStart(5)} s ` +
        `${Math.round(impRate).toLocaleString("en").padStart(9)} obs/s  peak RSS ${imp.maxRssMb.toFixed(0).padStart(4)} MB  |  ` +
        `floor ${floor.seconds.toFixed(1).padStart(5)} s ${rate(floor).padStart(9)} obs/s  peak RSS ${floor.maxRssMb.toFixed(0).padStart(4)} MB  |  import/floor time ${(imp.seconds / floor.seconds).toFixed(2)}x  |  ` +
        `old write path ${rate(old).padStart(7)} obs/s (${old.rows.toLocaleString("en")} obs): import ${(impRate / (old.rows / old.seconds)).toFixed(1)}x faster`,
    );
    if (stored !== floor.rows) { console.error(`${label} ${format}: stored ${stored}, expected ${floor.rows}`); failed = true; }
    if (obs >= 900_000 && obs / imp.seconds < 150_000) console.error(`${label} ${format}: below the 150,000 obs/s target`);
  }
  await db.$disconnect();
}

try {
  await writeCsv(files.long, "long");
  await writeCsv(files.wide, "wide");
  const mb = (f) => (fs.statSync(f).size / 1024 / 1024).toFixed(0);
  console.log(`files: long ${mb(files.long)} MB, wide ${mb(files.wide)} MB; ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}`);

  const sqliteUrl = `file:${path.join(dir, "bench.db")}`;
  const sq = new Database(sqlitePath(sqliteUrl), { fileMustExist: false });
  await bench("SQLite", sqliteUrl, async (name) => sq.prepare(`SELECT count(*) AS n FROM "Observation" o JOIN "Dataset" d ON d.id = o."datasetId" WHERE d.name = ?`).get(name).n);
  sq.close();

  if (pgAdmin) {
    const admin = new pg.Client({ connectionString: pgAdmin });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${pgName}"`);
    const u = new URL(pgAdmin);
    u.pathname = `/${pgName}`;
    const c = new pg.Client({ connectionString: u.toString() });
    try {
      await c.connect();
      await bench("PostgreSQL", u.toString(), async (name) => Number((await c.query(`SELECT count(*) AS n FROM "Observation" o JOIN "Dataset" d ON d.id = o."datasetId" WHERE d.name = $1`, [name])).rows[0].n));
    } finally {
      await c.end();
      // Without FORCE: an autovacuum worker still on the database (after the imports) is stopped by
      // DROP DATABASE itself, whereas FORCE needs the right to signal it (42501).
      await admin.query(`DROP DATABASE IF EXISTS "${pgName}"`);
      await admin.end();
    }
  } else {
    console.log("PostgreSQL: skipped (set BENCH_PG_URL or TEST_PG_URL)");
  }
  console.log(`load average after: ${os.loadavg()[0].toFixed(1)}`);
  if (failed) process.exitCode = 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
