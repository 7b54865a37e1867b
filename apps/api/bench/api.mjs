// npm run bench:api -w @govdiffusion/api
// Starts the BUILT server (a child process, so the load generator does not share its event loop) on a
// temporary SQLite database migrated and seeded with the Guangxi default, then drives it with
// autocannon at 32 connections: whatIf (fiscal revenue +10% in all counties, delta method),
// counties, and `{ __typename }` (the floor: HTTP + GraphQL overhead with no work).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "govdiffusion-bench-api-"));

const child = spawn(process.execPath, [path.join(here, "server.mjs")], {
  env: { ...process.env, DATABASE_URL: `file:${path.join(dir, "bench.db")}`, PORT: "0", LOG_LEVEL: "warn", NODE_ENV: "production" },
  stdio: ["ignore", "pipe", "inherit"],
});
const cleanup = () => {
  child.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
};
process.on("exit", cleanup);

const url = await new Promise((resolve, reject) => {
  const rl = createInterface({ input: child.stdout });
  rl.on("line", (line) => {
    try {
      const msg = JSON.parse(line);
      if (msg.url) resolve(msg.url);
    } catch {
      /* pino lines */
    }
  });
  child.once("exit", (code) => reject(new Error(`server exited with ${code} before listening`)));
});

async function gql(query, variables = {}) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (body.errors) throw new Error(`${query.slice(0, 40)}…: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const { models } = await gql("{ models { id name outcome predictors } }");
if (models.length === 0) throw new Error("no seeded model");
const model = models[0];

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
const targets = [
  { name: "whatIf (fiscal +10%, all counties, DELTA)", query: WHAT_IF, variables: { modelId: model.id } },
  { name: "whatIf, same + 111 county rows", query: WHAT_IF_COUNTIES, variables: { modelId: model.id } },
  { name: "counties", query: "{ counties { code name nameEn kind prefectureCode } }", variables: {} },
  { name: "{ __typename }", query: "{ __typename }", variables: {} },
  // A new question every request (the value changes in the 12th digit), so the what-if result cache
  // never hits: the cost of computing a what-if rather than answering a repeated one.
  { name: "whatIf, a new value each request (no cache)", query: WHAT_IF_VALUE, variables: { modelId: model.id, value: 1.1 }, vary: true },
];

// Correctness first: the benchmarked queries answer without errors.
const sample = await gql(WHAT_IF_COUNTIES, { modelId: model.id });
console.log(`model ${model.id} "${model.name}": ${model.outcome} ~ ${model.predictors.join(" + ")}`);
console.log(`whatIf: ${sample.whatIf.counties.length} counties, baseline ${sample.whatIf.baselineTotal.toFixed(1)}, ` +
  `scenario ${sample.whatIf.scenarioTotal.toFixed(1)}, difference ${sample.whatIf.difference.estimate.toFixed(2)} ` +
  `[${sample.whatIf.difference.lower.toFixed(2)}, ${sample.whatIf.difference.upper.toFixed(2)}]`);
for (const t of targets) await gql(t.query, t.variables);

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
async function measure(rounds, perRound) {
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

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const perRound = Math.max(1, Math.round(seconds / rounds));
console.log(`\nwarm-up 2 s each; then ${rounds} rounds of ${perRound} s per query at ${connections} connections (node ${process.version})`);
for (const t of targets) await run(t, 2);
const results = await measure(rounds, perRound);

const pad = (s, n) => String(s).padEnd(n);
const num = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "n/a");
console.log(`\n${pad("query", 44)}${pad("req/s", 10)}${pad("p50 ms", 9)}${pad("p95 ms", 9)}${pad("p99 ms", 9)}non-2xx/errors`);
for (const r of results) {
  console.log(`${pad(r.name, 44)}${pad(num(r.rps, 0), 10)}${pad(num(r.p50), 9)}${pad(num(r.p95), 9)}${pad(num(r.p99), 9)}${r.non2xx}/${r.errors}`);
}
const whatIf = results[0];
const withCounties = results[1];
const floor = results[3];
const uncached = results[4];
const ratio = whatIf.rps / floor.rps;
console.log(`\nwhatIf / { __typename } throughput ratio: ${num(ratio, 2)} (target >= 0.5); with county rows: ${num(withCounties.rps / floor.rps, 2)}`);
console.log(`whatIf p95: ${num(whatIf.p95)} ms (target < 10 ms); with county rows: ${num(withCounties.p95)} ms`);
console.log(`uncached whatIf (a new value each request): ratio ${num(uncached.rps / floor.rps, 2)}, p95 ${num(uncached.p95)} ms`);
// Little's law: with C requests always in flight, throughput X = C / mean latency, so a p95 under
// 10 ms at 32 connections needs roughly X > 32 / 0.010 = 3,200 req/s; the floor shows what is possible.
console.log(`Little's law: ${connections} connections / ${num(floor.rps, 0)} req/s = ${num((connections / floor.rps) * 1000)} ms mean latency at the { __typename } floor`);
const load = (await import("node:os")).loadavg();
console.log(`load average during the run: ${load.map((x) => x.toFixed(2)).join(" ")} on ${(await import("node:os")).cpus().length} cores`);
const failed = results.some((r) => r.non2xx > 0 || r.errors > 0);
process.exitCode = failed ? 1 : 0;
cleanup();
