// importObservations called from worker threads, each with its own client (the API's pool does
// this): the import's driver connection is opened in the calling thread, two threads importing the
// same dataset at once are serialised (one writes, the other finds identical content), and an
// invalid file writes nothing. SQLite always; PostgreSQL when TEST_PG_URL is set.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createDb, migrateDatabase, type Db } from "@govdiffusion/db";

const WORKER = new URL("./fixtures/import-worker.mjs", import.meta.url);
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function inWorker(url: string, csv: string, opts: Record<string, unknown>): Promise<{ summary?: Record<string, unknown>; error?: { name: string; message: string; line?: number } }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: { url, csv, opts } });
    w.once("message", resolve);
    w.once("error", reject);
  });
}

async function sqliteUrl(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "govdiffusion-import-worker-"));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return `file:${path.join(dir, "w.db")}`;
}

async function postgresUrl(): Promise<string> {
  const admin = process.env["TEST_PG_URL"]!;
  const name = `govdiffusion_test_import_worker_${process.pid}_${Date.now().toString(36)}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE "${name}"`);
  await c.end();
  cleanups.push(async () => {
    const d = new pg.Client({ connectionString: admin });
    await d.connect();
    // Without FORCE: an autovacuum worker still on it is stopped by DROP DATABASE itself (FORCE
    // would need the right to signal it); this test's own clients are closed by then.
    await d.query(`DROP DATABASE IF EXISTS "${name}"`);
    await d.end();
  });
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

const COUNTIES = ["450102", "450103", "450104", "450202"];
function panel(years: number, value: (i: number) => string): string {
  const lines = ["county_code,year,indicator,value"];
  let i = 0;
  for (let y = 2100 - years + 1; y <= 2100; y++) for (const c of COUNTIES) for (const k of ["pop", "acc"]) lines.push(`${c},${y},${k},${value(i++)}`);
  return lines.join("\n") + "\n";
}

async function prepared(url: string): Promise<Db> {
  await migrateDatabase({ url });
  const db = createDb({ url });
  cleanups.push(() => db.$disconnect());
  await db.prefecture.create({ data: { code: "450100", name: "p", nameEn: "p" } });
  await db.county.createMany({ data: COUNTIES.map((code) => ({ code, nameZh: code, nameEn: code, kind: "county", prefectureCode: "450100" })) });
  await db.indicator.createMany({ data: ["pop", "acc"].map((key) => ({ key, label: key, unit: "", description: "", role: "determinant" })) });
  return db;
}

const cases: [string, () => Promise<string>, boolean][] = [
  ["SQLite", sqliteUrl, true],
  ["PostgreSQL", postgresUrl, Boolean(process.env["TEST_PG_URL"])],
];

for (const [label, makeUrl, enabled] of cases) {
  describe.runIf(enabled)(`importObservations in worker threads (${label})`, () => {
    it("imports from a worker, serialises two workers on one dataset, writes nothing for a bad file", async () => {
      const url = await makeUrl();
      const db = await prepared(url);
      const csv = panel(200, (i) => String(i * 0.5));
      const [a, b] = await Promise.all([inWorker(url, csv, { file: "p.csv", dataset: "panel" }), inWorker(url, csv, { file: "p.csv", dataset: "panel" })]);
      expect([a.error, b.error]).toEqual([undefined, undefined]);
      expect([a.summary!["unchanged"], b.summary!["unchanged"]].sort()).toEqual([false, true]);
      expect(a.summary).toMatchObject({ rows: 1600, counties: 4, years: 200, indicators: 2 });
      const ds = await db.dataset.findUniqueOrThrow({ where: { name: "panel" } });
      const agg = await db.observation.aggregate({ where: { datasetId: ds.id }, _count: true, _sum: { value: true } });
      expect([agg._count, agg._sum.value]).toEqual([1600, (1599 * 1600) / 4]);

      const bad = panel(200, (i) => (i === 1599 ? "1,5" : "1"));
      const r = await inWorker(url, bad, { file: "bad.csv", dataset: "bad" });
      expect(r.error).toEqual({ name: "ImportError", line: 1601, message: "bad.csv:1601: 5 fields where the header has 4 (quote values that contain commas)" });
      expect(await db.dataset.findUnique({ where: { name: "bad" } })).toBeNull();
    });
  });
}
