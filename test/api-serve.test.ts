/**
 * `govdiffusion serve` as a process: migrates and seeds an empty database, prints the URL, serves,
 * and on SIGTERM lets an in-flight request finish before exiting 0.
 */
import { type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, spawnServe, type TestDatabase } from "./api-harness.js";

let db: TestDatabase;
let child: ChildProcess;
let url: string;

beforeAll(async () => {
  db = await createTestDatabase("serve");
  ({ child, url } = await spawnServe({ DATABASE_URL: db.url, LOG_LEVEL: "warn", GOVDIFFUSION_API_KEYS: "serve-test-key-0123456789", GOVDIFFUSION_MAX_DRAWS: "100000", GOVDIFFUSION_MAX_COST: "1000000" }));
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await db?.drop();
});

describe("govdiffusion serve", () => {
  it("seeds an empty database and answers; SIGTERM lets the in-flight request finish, then exits 0", async () => {
    const models = await fetch(url, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ models { id } }" }),
    }).then((r) => r.json() as Promise<any>);
    expect(models.data.models.length).toBeGreaterThanOrEqual(1);

    // A simulation what-if with 30,000 draws takes a while; signal while it runs. A fresh connection
    // (not a pooled keep-alive one, which the drain may close as idle before the request arrives).
    const inFlight = fetch(url, {
      method: "POST", headers: { "content-type": "application/json", connection: "close" },
      body: JSON.stringify({
        query: `query($m: Int!) { whatIf(modelId: $m, interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: 1.1 }],
                 options: { uncertainty: SIMULATION, draws: 30000, seed: 3 }) { difference { estimate lower upper } } }`,
        variables: { m: models.data.models[0].id },
      }),
    });
    await new Promise((r) => setTimeout(r, 300));
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    const res = await inFlight;
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.errors).toBeUndefined();
    expect(body.data.whatIf.difference.lower).toBeLessThan(body.data.whatIf.difference.upper);
    const [code] = await exited;
    expect(code).toBe(0);
    // Not listening any more.
    await expect(fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).rejects.toThrow();
  });
});
