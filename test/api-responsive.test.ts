/**
 * Heavy work stays off the HTTP event loop (apps/api/src/pool): while a fitModel on 100,000
 * county-years and then a 20 MB importDataset run, `/healthz` polled every 50 ms answers every
 * poll within 100 ms. `govdiffusion serve` runs as its own process (the built CLI), so the poller
 * here is not slowed by the server's work; an idle control process polled at the same instants
 * measures what the machine itself adds (a shared CI box), and only latency beyond that counts.
 * Without the pool, the fit blocks the event loop for seconds and the import for longer.
 * On SQLite in `npm test`, on PostgreSQL in `npm run test:pg`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, ensureDatabase, importCounties, importObservations } from "@govdiffusion/db";
import { createTestDatabase, spawnServe, type TestDatabase } from "./api-harness.js";

const KEY = "responsive-test-key-0123456789";
const COUNTIES = 500;
const FIT_YEARS = Array.from({ length: 200 }, (_, i) => 1901 + i); // 500 x 200 = 100,000 county-years
const POLL_EVERY_MS = 50;
const MAX_LATENCY_MS = 100;

let db: TestDatabase;
let child: ChildProcess;
let url: string;
let control: { child: ChildProcess; url: string } | undefined;
let fitDatasetId: number;

const countyCode = (i: number) => String(900_001 + i);

/** A deterministic generator (mulberry32), so the data and the fit are the same in every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Poisson draw by inversion (small means only). */
function poisson(mean: number, u: () => number): number {
  let k = 0;
  let p = Math.exp(-mean);
  let s = p;
  const x = u();
  while (x > s && k < 200) {
    k++;
    p *= mean / k;
    s += p;
  }
  return k;
}

/** The 20 MB long-format CSV the measured importDataset sends: every synthetic county x year 1900..2100 x 4 indicators. */
function bigImportCsv(): string {
  const u = random(7);
  const parts = ["county_code,year,indicator,value\n"];
  for (let c = 0; c < COUNTIES; c++) {
    for (let year = 1900; year <= 2100; year++) {
      for (let k = 0; k < 4; k++) parts.push(`${countyCode(c)},${year},responsive_indicator_${k},${(u() * 10_000).toFixed(9)}\n`);
    }
  }
  return parts.join("");
}

function get(target: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(target, { agent }, (res) => {
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
    });
    req.once("error", () => resolve(0)); // counted as a failed poll
  });
}

/** Round trip of one GET in ms, and its status. */
async function timed(target: string, agent: http.Agent): Promise<{ ms: number; status: number }> {
  const t0 = performance.now();
  const status = await get(target, agent);
  return { ms: performance.now() - t0, status };
}

/**
 * A process that answers every GET with "ok" and does nothing else: polled at the same instants
 * as the server, its latency is what the machine itself adds (other processes, a busy CI box).
 */
async function startControl(): Promise<{ child: ChildProcess; url: string }> {
  const code = "require('node:http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', function () { console.log(this.address().port) })";
  const control = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = (await once(createInterface({ input: control.stdout! }), "line")) as [string];
  return { child: control, url: `http://127.0.0.1:${line.trim()}/` };
}

interface Poll { server: number; control: number; status: number }

/** Polls the server's /healthz and the control process together every POLL_EVERY_MS until stop(). */
function pollHealthz(controlUrl: string): { stop(): Promise<Poll[]> } {
  const agents = [new http.Agent({ keepAlive: true, maxSockets: 1 }), new http.Agent({ keepAlive: true, maxSockets: 1 })] as const;
  const polls: Poll[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      const [server, control] = await Promise.all([timed(`${new URL(url).origin}/healthz`, agents[0]), timed(controlUrl, agents[1])]);
      polls.push({ server: server.ms, control: control.ms, status: server.status });
      await new Promise((r) => setTimeout(r, Math.max(0, POLL_EVERY_MS - (performance.now() - t0))));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      for (const a of agents) a.destroy();
      return polls;
    },
  };
}

async function post(body: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` }, body });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  db = await createTestDatabase("responsive");
  await ensureDatabase({ url: db.url, seed: true });
  // Setup, not measured: 500 synthetic counties and a dataset of 100,000 county-years to fit.
  const prisma = createDb({ url: db.url });
  try {
    const counties = ["code,name_zh,name_en,prefecture_code,prefecture_zh,prefecture_en,kind"];
    for (let c = 0; c < COUNTIES; c++) counties.push(`${countyCode(c)},测试${c},Test ${c},990000,测试市,Test City,county`);
    await importCounties(prisma, counties.join("\n"), { file: "counties.csv" });
    const u = random(3);
    const rows = ["county_code,year,responsive_y,responsive_x"];
    for (let c = 0; c < COUNTIES; c++) {
      for (const year of FIT_YEARS) {
        const x = u() * 2 - 1;
        rows.push(`${countyCode(c)},${year},${poisson(Math.exp(0.5 + 0.8 * x), u)},${x.toFixed(6)}`);
      }
    }
    const summary = await importObservations(prisma, rows.join("\n"), { file: "fit.csv", dataset: "responsive-fit", format: "wide", createIndicators: true });
    fitDatasetId = summary.datasetId!;
  } finally {
    await prisma.$disconnect();
  }
  ({ child, url } = await spawnServe({
    DATABASE_URL: db.url, LOG_LEVEL: "warn", GOVDIFFUSION_API_KEYS: KEY,
    GOVDIFFUSION_MAX_IMPORT_BYTES: "25000000", GOVDIFFUSION_BODY_LIMIT_BYTES: "30000000",
  }));
}, 300_000);

afterAll(async () => {
  control?.child.kill("SIGKILL");
  if (child && child.exitCode === null) {
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
  }
  await db?.drop();
});

describe("heavy work runs in the worker pool", () => {
  it("/healthz answers every 50 ms poll within 100 ms while a 20 MB importDataset and a 100,000-row fitModel run", async () => {
    const csv = bigImportCsv();
    expect(Buffer.byteLength(csv)).toBeGreaterThan(20_000_000);
    const importBody = JSON.stringify({
      query: "mutation($input: ImportDatasetInput!) { importDataset(input: $input) { datasetId rows counties years indicators } }",
      variables: { input: { name: "responsive-import", csv, createIndicators: true } },
    });
    const fitBody = JSON.stringify({
      query: "mutation($input: FitModelInput!) { fitModel(input: $input) { id n converged coefficients { term estimate } } }",
      variables: {
        input: { name: "responsive fit", datasetId: fitDatasetId, years: FIT_YEARS, outcome: "responsive_y", predictors: ["responsive_x"], family: "NEGBIN2" },
      },
    });

    control = await startControl();
    const poller = pollHealthz(control.url);
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    // One after the other: SQLite has one writer, and the fit's insert would wait for the import's transaction.
    const fitted = await post(fitBody);
    const imported = await post(importBody);
    const busyMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 200));
    const polls = await poller.stop();

    expect(fitted.json.errors, JSON.stringify(fitted.json.errors)).toBeUndefined();
    expect(fitted.json.data.fitModel).toMatchObject({ n: 100_000, converged: true });
    const slope = fitted.json.data.fitModel.coefficients.find((c: { term: string }) => c.term === "responsive_x").estimate;
    expect(slope).toBeGreaterThan(0.75);
    expect(slope).toBeLessThan(0.85);
    expect(imported.json.errors, JSON.stringify(imported.json.errors)).toBeUndefined();
    expect(imported.json.data.importDataset).toMatchObject({ rows: COUNTIES * 201 * 4, counties: COUNTIES, years: 201, indicators: 4 });

    // Every poll answered 200 within 100 ms, beyond what an idle process on this machine took at the
    // same instant (~1 ms on a quiet machine). Without the pool the server stalls for seconds and
    // polls fail (the stalled server's keep-alive timer closes the connection under the poll).
    const late = polls.filter((p) => p.status !== 200 || p.server >= MAX_LATENCY_MS + p.control);
    const worst = [...polls].sort((a, b) => b.server - a.server).slice(0, 5).map((p) => `${Math.round(p.server)} ms (idle process: ${Math.round(p.control)} ms)`);
    const failed = polls.filter((p) => p.status !== 200).length;
    expect(late, `${late.length} of ${polls.length} polls over ${Math.round(busyMs)} ms of work were late (${failed} failed); slowest: ${worst.join(", ")}`).toEqual([]);
    // The poller kept polling through the work (one poll per 50 ms plus the round trip).
    expect(polls.length).toBeGreaterThan(busyMs / (POLL_EVERY_MS + MAX_LATENCY_MS));
  }, 300_000);
});
