/**
 * `govdiffusion serve` with GOVDIFFUSION_WORKERS=2: both server processes answer on one port, a
 * model deleted through one of them is refused by all within WhatIfService's recheck interval, a
 * worker that dies is replaced, and SIGTERM stops the primary and every worker, even one starting.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, spawnServe, type TestDatabase } from "./api-harness.js";

const KEY = "cluster-test-key-0123456789";
let db: TestDatabase;
let child: ChildProcess;
let url: string;
let stderr: () => string;
/** The JSON log lines. */
const logs: { msg?: string; worker?: number; operationName?: string }[] = [];
const requests = () => logs.filter((l) => l.msg === "graphql request");

beforeAll(async () => {
  db = await createTestDatabase("cluster");
  ({ child, url, stderr } = await spawnServe(
    { DATABASE_URL: db.url, LOG_LEVEL: "info", GOVDIFFUSION_API_KEYS: KEY, GOVDIFFUSION_WORKERS: "2" },
    (line) => {
      if (!line.startsWith("{")) return;
      logs.push(JSON.parse(line) as { msg?: string; worker?: number; operationName?: string });
    },
  ));
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await db?.drop();
});

/** A fresh connection each time, so the primary hands requests to both workers in turn. */
const gql = (query: string, variables: Record<string, unknown> = {}, key?: string) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", connection: "close", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  }).then((r) => r.json() as Promise<any>);

const WHAT_IF = `query WhatIf($m: Int!) { whatIf(modelId: $m, interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: 1.1 }]) { difference { estimate } } }`;

const workerPids = (): number[] =>
  execFileSync("ps", ["-o", "pid=", "--ppid", String(child.pid)], { encoding: "utf8" }).split("\n").map((s) => Number(s.trim())).filter((n) => n > 0);

describe("govdiffusion serve, GOVDIFFUSION_WORKERS=2", () => {
  it("both workers answer; a model deleted through one is refused by all within a second; a dead worker is replaced; SIGTERM stops every process", async () => {
    expect(workerPids()).toHaveLength(2);
    const { data } = await gql("{ models { id } }");
    const modelId = data.models[0].id as number;
    const answers = await Promise.all(Array.from({ length: 8 }, () => gql(WHAT_IF, { m: modelId })));
    const estimates = new Set(answers.map((a) => a.data.whatIf.difference.estimate));
    expect(estimates.size).toBe(1); // the same number from either process
    await new Promise((r) => setTimeout(r, 200)); // the last log lines
    const servedBy = new Set(requests().filter((r) => r.operationName === "WhatIf").map((r) => r.worker));
    expect([...servedBy].sort()).toEqual([1, 2]);

    const del = await gql(`mutation($id: Int!) { deleteModel(id: $id) }`, { id: modelId }, KEY);
    expect(del.data.deleteModel).toBe(true);
    await new Promise((r) => setTimeout(r, 1100)); // MODEL_RECHECK_MS
    const after = await Promise.all(Array.from({ length: 6 }, () => gql(WHAT_IF, { m: modelId })));
    for (const a of after) expect(a.errors[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "modelId", reason: "UNKNOWN_MODEL" });

    // A worker that dies is replaced; SIGTERM while the replacement is still starting stops it too.
    const [victim, survivor] = workerPids();
    process.kill(victim!, "SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    expect(logs.some((l) => l.msg === "server worker died; starting another")).toBe(true);
    const pids = workerPids();
    expect(pids).toContain(survivor);
    expect(pids).toHaveLength(2);
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = await exited;
    expect(code).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(); // no worker left behind
    expect(stderr()).toBe("");
  });
});

describe("rate limiting across workers", () => {
  it("GOVDIFFUSION_RATE_LIMIT=4 is 4 requests for the whole cluster, not 4 per worker (SQLite: kept by the primary over IPC; PostgreSQL: its table)", async () => {
    const limitedDb = await createTestDatabase("cluster-limit");
    const lines: { msg?: string; worker?: number }[] = [];
    const s = await spawnServe(
      { DATABASE_URL: limitedDb.url, LOG_LEVEL: "info", GOVDIFFUSION_WORKERS: "2", GOVDIFFUSION_RATE_LIMIT: "4" },
      (line) => {
        if (line.startsWith("{")) lines.push(JSON.parse(line) as { msg?: string; worker?: number });
      },
    );
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await fetch(s.url, { method: "POST", headers: { "content-type": "application/json", connection: "close" }, body: JSON.stringify({ query: "{ __typename }" }) });
        statuses.push(res.status);
        await res.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429, 429]);
      // both workers answered some of the four
      expect(new Set(lines.filter((l) => l.msg === "graphql request").map((l) => l.worker)).size).toBe(2);
    } finally {
      const exited = once(s.child, "exit");
      s.child.kill("SIGTERM");
      await exited;
      await limitedDb.drop();
    }
  });
});
