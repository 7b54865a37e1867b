// npm run bench:api -w @govdiffusion/api
// Starts the BUILT server the way users do (`govdiffusion serve`, a child process so the load
// generator does not share its event loop) on a temporary SQLite database migrated and seeded with
// the Guangxi default, then drives it with autocannon at 32 connections: whatIf (fiscal revenue
// +10% in all counties, delta method), counties, and `{ __typename }` (the floor: HTTP + GraphQL
// overhead with no work). Once per server configuration in BENCH_WORKERS (default "1,2": one
// process, then GOVDIFFUSION_WORKERS=2, one server process per core of these 2-core machines).
// Then memory: RSS of a fresh server process under a BENCH_MEMORY_SECONDS (30) uncached what-if mix,
// at the default settings and with V8's default heap growth as the baseline.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const workerCounts = (process.env.BENCH_WORKERS ?? "1,2").split(",").map(Number).filter((n) => n > 0); // BENCH_WORKERS=none: the memory part only
const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, "../../cli/bin/govdiffusion.js");
const dir = mkdtempSync(path.join(tmpdir(), "govdiffusion-bench-api-"));
let child;
process.on("exit", () => {
  child?.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Migrates and seeds the database in their own processes first, as a deployment does once: the
 * served process then starts as a server restarted on an existing database does (its memory is
 * measured below, and seeding would leave it holding the seed's garbage).
 */
function prepareDatabase() {
  for (const step of ["migrate", "seed"]) {
    const r = spawnSync(process.execPath, [cli, "db", step], { env: { ...process.env, DATABASE_URL: `file:${path.join(dir, "bench.db")}`, LOG_LEVEL: "warn" }, stdio: ["ignore", "ignore", "inherit"] });
    if (r.status !== 0) throw new Error(`govdiffusion db ${step} exited with ${r.status}`);
  }
}
prepareDatabase();

/**
 * `govdiffusion serve` with `workers` processes, logging at the default level (info: a line per
 * request) into a file, so this process spends nothing on them; resolves with the URL it prints.
 */
async function startServer(workers, extraEnv = {}) {
  const logFile = path.join(dir, `serve-${workers}.log`);
  const out = openSync(logFile, "w");
  child = spawn(process.execPath, [cli, "serve", "--port", "0"], {
    // GOVDIFFUSION_RATE_LIMIT=0: the load comes from one address at thousands of requests a second,
    // which the default per-client budget (1,000 points a minute) would refuse after a moment.
    env: {
      ...process.env, DATABASE_URL: `file:${path.join(dir, "bench.db")}`, LOG_LEVEL: "info", NODE_ENV: "production", GOVDIFFUSION_WORKERS: String(workers),
      GOVDIFFUSION_RATE_LIMIT: "0", ...extraEnv,
    },
    stdio: ["ignore", out, "inherit"],
  });
  closeSync(out);
  const started = child;
  for (;;) {
    const m = /^govdiffusion API listening on (http:\/\/\S+)$/m.exec(readFileSync(logFile, "utf8"));
    if (m) return m[1];
    if (started.exitCode !== null) throw new Error(`server exited with ${started.exitCode} before listening`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopServer() {
  const c = child;
  child = undefined;
  const exited = new Promise((resolve) => c.once("exit", resolve));
  c.kill("SIGTERM");
  await exited;
}

let url;

async function gql(query, variables = {}) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (body.errors) throw new Error(`${query.slice(0, 40)}…: ${JSON.stringify(body.errors)}`);
  return body.data;
}

// The headline answer (totals and their uncertainty) and the same what-if with every county's row:
// the second adds ~1,300 GraphQL field resolutions per response, which is graphql-js cost, not maths.
const WHAT_IF = `query WhatIf($modelId: Int!) {
  whatIf(modelId: $modelId, interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: 1.1 }], options: { uncertainty: DELTA }) {
    baselineTotal scenarioTotal difference { estimate stdError lower upper }
  }
}`;
const WHAT_IF_COUNTIES = `query WhatIfCounties($modelId: Int!) {
  whatIf(modelId: $modelId, interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: 1.1 }], options: { uncertainty: DELTA }) {
    baselineTotal scenarioTotal difference { estimate stdError lower upper }
    counties { code name baseline scenario difference { estimate lower upper } probabilityAtLeastOne }
  }
}`;
const WHAT_IF_VALUE = `query WhatIfValue($modelId: Int!, $value: Float!) {
  whatIf(modelId: $modelId, interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: $value }], options: { uncertainty: DELTA }) {
    baselineTotal scenarioTotal difference { estimate stdError lower upper }
  }
}`;
const targetsFor = (modelId) => [
  { name: "whatIf (fiscal +10%, all counties, DELTA)", query: WHAT_IF, variables: { modelId } },
  { name: "whatIf, same + 111 county rows", query: WHAT_IF_COUNTIES, variables: { modelId } },
  { name: "counties", query: "{ counties { code name nameEn kind prefectureCode } }", variables: {} },
  { name: "{ __typename }", query: "{ __typename }", variables: {} },
  // A new question every request (the value changes in the 12th digit), so the what-if result cache
  // never hits: the cost of computing a what-if rather than answering a repeated one.
  { name: "whatIf, a new value each request (no cache)", query: WHAT_IF_VALUE, variables: { modelId, value: 1.1 }, vary: true },
];

// Memory under sustained what-ifs that each ask something new (issue 8, point 5): nothing repeats,
// so every cache fills up with entries that are never asked for again and must stay bounded.
const WHAT_IF_COUNTIES_VALUE = `query WhatIfCountiesValue($modelId: Int!, $value: Float!) {
  whatIf(modelId: $modelId, interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: $value }], options: { uncertainty: DELTA }) {
    baselineTotal scenarioTotal difference { estimate stdError lower upper }
    counties { code name baseline scenario difference { estimate lower upper } probabilityAtLeastOne }
  }
}`;
const WHAT_IF_SIMULATION = `query WhatIfSimulation($modelId: Int!, $seed: Int!) {
  whatIf(modelId: $modelId, interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: 1.1 }], options: { uncertainty: SIMULATION, draws: 100, seed: $seed }) {
    baselineTotal scenarioTotal difference { estimate stdError lower upper }
    counties { code baseline scenario }
  }
}`;
const memorySeconds = Number(process.env.BENCH_MEMORY_SECONDS ?? 30);

/** VmRSS and VmHWM (peak) of a process, in MB, from /proc/<pid>/status (Linux). */
function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/** The uncached mix: a new DELTA value, a new value with every county row, a new SIMULATION seed (100 draws), in turn. */
async function uncachedMix(modelId, duration) {
  let n = 0;
  const next = (query, variables) => (req) => ({ ...req, body: JSON.stringify({ query, variables: variables(++n) }) });
  const instance = autocannon({
    url, connections, duration, method: "POST", headers: { "content-type": "application/json" },
    requests: [
      { setupRequest: next(WHAT_IF_VALUE, (i) => ({ modelId, value: 1.1 + i * 1e-12 })) },
      { setupRequest: next(WHAT_IF_COUNTIES_VALUE, (i) => ({ modelId, value: 1.2 + i * 1e-12 })) },
      { setupRequest: next(WHAT_IF_SIMULATION, (i) => ({ modelId, seed: i })) },
    ],
  });
  const result = await new Promise((resolve, reject) => instance.on("done", resolve).on("error", reject));
  return { requests: result.requests.total, non2xx: result.non2xx, errors: result.errors + result.timeouts };
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

async function run(t, duration, latencies = []) {
  const body = JSON.stringify({ query: t.query, variables: t.variables });
  let n = 0;
  const instance = autocannon({
    url, connections, duration, method: "POST", body,
    headers: { "content-type": "application/json" },
    ...(t.vary
      ? { requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ query: t.query, variables: { ...t.variables, value: 1.1 + ++n * 1e-12 } }) }) }] }
      : {}),
  });
  instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await new Promise((resolve, reject) => instance.on("done", resolve).on("error", reject));
  return { requests: result.requests.total, non2xx: result.non2xx, errors: result.errors + result.timeouts };
}

// The machine is shared, so load drifts during a run: the queries take turns in short rounds
// (whatIf, counties, __typename, whatIf, …) so each sees the same conditions, and rounds are summed.
async function measure(targets, rounds, perRound) {
  const acc = targets.map((t) => ({ name: t.name, latencies: [], requests: 0, non2xx: 0, errors: 0 }));
  for (let r = 0; r < rounds; r++) {
    for (const [i, t] of targets.entries()) {
      const res = await run(t, perRound, acc[i].latencies);
      acc[i].requests += res.requests;
      acc[i].non2xx += res.non2xx;
      acc[i].errors += res.errors;
    }
  }
  return acc.map((a) => {
    a.latencies.sort((x, y) => x - y);
    return {
      name: a.name, requests: a.requests, rps: a.requests / (rounds * perRound),
      p50: percentile(a.latencies, 50), p95: percentile(a.latencies, 95), p99: percentile(a.latencies, 99),
      non2xx: a.non2xx, errors: a.errors,
    };
  });
}

const pad = (s, n) => String(s).padEnd(n);
const num = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const perRound = Math.max(1, Math.round(seconds / rounds));
const verdicts = [];

for (const workers of workerCounts) {
  url = await startServer(workers);
  const { models } = await gql("{ models { id name outcome predictors } }");
  if (models.length === 0) throw new Error("no seeded model");
  const model = models[0];
  const targets = targetsFor(model.id);
  // Correctness first: the benchmarked queries answer without errors.
  const sample = await gql(WHAT_IF_COUNTIES, { modelId: model.id });
  console.log(`\n== GOVDIFFUSION_WORKERS=${workers} ==`);
  console.log(`model ${model.id} "${model.name}": ${model.outcome} ~ ${model.predictors.join(" + ")}`);
  console.log(`whatIf: ${sample.whatIf.counties.length} counties, baseline ${sample.whatIf.baselineTotal.toFixed(1)}, ` +
    `scenario ${sample.whatIf.scenarioTotal.toFixed(1)}, difference ${sample.whatIf.difference.estimate.toFixed(2)} ` +
    `[${sample.whatIf.difference.lower.toFixed(2)}, ${sample.whatIf.difference.upper.toFixed(2)}]`);
  for (const t of targets) await gql(t.query, t.variables);

  console.log(`warm-up 2 s each; then ${rounds} rounds of ${perRound} s per query at ${connections} connections (node ${process.version})`);
  for (const t of targets) await run(t, 2);
  const results = await measure(targets, rounds, perRound);
  const load = os.loadavg();
  await stopServer();

  console.log(`\n${pad("query", 44)}${pad("req/s", 10)}${pad("p50 ms", 9)}${pad("p95 ms", 9)}${pad("p99 ms", 9)}non-2xx/errors`);
  for (const r of results) {
    console.log(`${pad(r.name, 44)}${pad(num(r.rps, 0), 10)}${pad(num(r.p50), 9)}${pad(num(r.p95), 9)}${pad(num(r.p99), 9)}${r.non2xx}/${r.errors}`);
  }
  const [whatIf, withCounties, , floor, uncached] = results;
  const ratio = whatIf.rps / floor.rps;
  console.log(`\nwhatIf / { __typename } throughput ratio: ${num(ratio, 2)} (target >= 0.5); with county rows: ${num(withCounties.rps / floor.rps, 2)}`);
  console.log(`whatIf p95: ${num(whatIf.p95)} ms (target < 10 ms); with county rows: ${num(withCounties.p95)} ms`);
  console.log(`uncached whatIf (a new value each request): ratio ${num(uncached.rps / floor.rps, 2)}, p95 ${num(uncached.p95)} ms`);
  // Little's law: with C requests always in flight, throughput X = C / mean latency, so a p95 under
  // 10 ms at 32 connections needs roughly X > 32 / 0.010 = 3,200 req/s; the floor shows what is possible.
  console.log(`Little's law: ${connections} connections / ${num(floor.rps, 0)} req/s = ${num((connections / floor.rps) * 1000)} ms mean latency at the { __typename } floor`);
  console.log(`load average during the run: ${load.map((x) => x.toFixed(2)).join(" ")} on ${os.cpus().length} cores`);
  if (results.some((r) => r.non2xx > 0 || r.errors > 0)) process.exitCode = 1;
  verdicts.push({ workers, ratio, p95: whatIf.p95 });
}

// Memory: a fresh one-process server (the served process is the one measured; with workers they
// are the primary's children), each question asked once so it is prepared, then the uncached mix.
// Twice: at the default settings, and with V8's default heap growth (GOVDIFFUSION_HEAP_GROWING_PERCENT=0,
// the byte-bounded caches unchanged) as this run's baseline.
if (memorySeconds > 0) {
  console.log(`\n== memory: one server process, uncached what-if mix for ${memorySeconds} s at ${connections} connections ==`);
  console.log("(a new DELTA value / a new value with 111 county rows / a new SIMULATION seed with 100 draws, in turn)");
  const peaks = [];
  for (const [label, env] of [["default settings", {}], ["baseline: GOVDIFFUSION_HEAP_GROWING_PERCENT=0 (V8's own heap growth)", { GOVDIFFUSION_HEAP_GROWING_PERCENT: "0" }]]) {
    url = await startServer(1, env);
    const { models } = await gql("{ models { id } }");
    await gql(WHAT_IF_SIMULATION, { modelId: models[0].id, seed: 0 });
    const before = memoryOf(child.pid);
    const mix = await uncachedMix(models[0].id, memorySeconds);
    const after = memoryOf(child.pid);
    await stopServer();
    peaks.push(after.hwm);
    console.log(`${pad(label, 70)} RSS before ${num(before.rss, 0)} MB, after ${num(after.rss, 0)} MB, peak (VmHWM) ${num(after.hwm, 0)} MB;` +
      ` ${mix.requests} requests (${num(mix.requests / memorySeconds, 0)}/s), non-2xx/errors ${mix.non2xx}/${mix.errors}`);
    if (mix.non2xx > 0 || mix.errors > 0) process.exitCode = 1;
  }
  console.log(`peak RSS at default settings: ${num(peaks[0], 0)} MB (target < 400 MB), ${num(peaks[0] / peaks[1], 2)}x the baseline's peak`);
}

if (verdicts.length > 0) console.log("\nsummary (targets: whatIf p95 < 10 ms at 32 connections; whatIf / { __typename } >= 0.5):");
for (const v of verdicts) {
  const met = v.p95 < 10 && v.ratio >= 0.5;
  console.log(`  GOVDIFFUSION_WORKERS=${v.workers}: p95 ${num(v.p95)} ms, ratio ${num(v.ratio, 2)} — ${met ? "both met" : "not met"}`);
}
