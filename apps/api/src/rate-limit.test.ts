import { randomBytes } from "node:crypto";
import http from "node:http";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiServer, type ApiServer } from "./app.js";
import { hashApiKey } from "./config.js";
import { createClientLimiter, pointsForCost } from "./rate-limit.js";
import { fakeDataAccess, memoryLogger, testConfig } from "./testing.js";

const KEY_A = "a".repeat(20);
const KEY_B = "b".repeat(20);

let server: ApiServer;
let port: number;
const { log, lines } = memoryLogger();

beforeAll(async () => {
  const data = fakeDataAccess({
    prefectures: { list: async () => [{ code: "451000", name: "百色市", nameEn: "Baise" }] },
    counties: { list: async () => [] },
  });
  server = await createApiServer({
    config: { ...testConfig, apiKeyHashes: [hashApiKey(KEY_A), hashApiKey(KEY_B)], rateLimit: 3, rateLimitWindowSeconds: 60 },
    data,
    log,
  });
  ({ port } = await server.listen(0, "127.0.0.1"));
});
afterAll(() => server.stop());

interface Answer { status: number; retryAfter: string | undefined; body: any }

/** POST /graphql from a chosen loopback address (127.0.0.x are all this machine), optionally with a key. */
function ask(query: string, opts: { from?: string; key?: string; path?: string } = {}): Promise<Answer> {
  const body = JSON.stringify({ query });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1", port, path: opts.path ?? "/graphql", method: opts.path ? "GET" : "POST", localAddress: opts.from ?? "127.0.0.1",
        headers: { "content-type": "application/json", ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          const retry = res.headers["retry-after"];
          resolve({ status: res.statusCode!, retryAfter: typeof retry === "string" ? retry : undefined, body: text.startsWith("{") ? JSON.parse(text) : text });
        });
      },
    );
    req.on("error", reject);
    req.end(opts.path ? undefined : body);
  });
}

describe("per-client rate limiting (GOVDIFFUSION_RATE_LIMIT=3 per 60 s here)", () => {
  it("the 4th request of a client is refused: 429, Retry-After in seconds, RATE_LIMITED with retryAfter; /healthz is never limited", async () => {
    for (let i = 0; i < 3; i++) expect((await ask("{ __typename }", { from: "127.0.0.2" })).status).toBe(200);
    const refused = await ask("{ __typename }", { from: "127.0.0.2" });
    expect(refused.status).toBe(429);
    const wait = Number(refused.retryAfter);
    expect(Number.isInteger(wait) && wait >= 1 && wait <= 60).toBe(true);
    expect(refused.body.errors[0].extensions).toEqual({ code: "RATE_LIMITED", retryAfter: wait });
    expect(refused.body.errors[0].message).toMatch(/rate limit exceeded: this client may spend 3 points per 60 s .*retry after \d+ s/);
    expect((await ask("", { from: "127.0.0.2", path: "/healthz" })).status).toBe(200);
    expect((await ask("", { from: "127.0.0.2", path: "/readyz" })).status).toBe(200);
  });

  it("each address has its own budget", async () => {
    for (let i = 0; i < 3; i++) expect((await ask("{ __typename }", { from: "127.0.0.3" })).status).toBe(200);
    expect((await ask("{ __typename }", { from: "127.0.0.3" })).status).toBe(429);
    expect((await ask("{ __typename }", { from: "127.0.0.4" })).status).toBe(200);
  });

  it("a valid API key is its own client, whatever the address; a wrong key is charged to the address", async () => {
    // key A from two addresses shares one budget of 3
    expect((await ask("{ __typename }", { from: "127.0.0.5", key: KEY_A })).status).toBe(200);
    expect((await ask("{ __typename }", { from: "127.0.0.6", key: KEY_A })).status).toBe(200);
    expect((await ask("{ __typename }", { from: "127.0.0.5", key: KEY_A })).status).toBe(200);
    expect((await ask("{ __typename }", { from: "127.0.0.6", key: KEY_A })).status).toBe(429);
    // ...while key B and the anonymous callers of those addresses still have theirs
    expect((await ask("{ __typename }", { from: "127.0.0.5", key: KEY_B })).status).toBe(200);
    expect((await ask("{ __typename }", { from: "127.0.0.5" })).status).toBe(200);
    // a wrong key (401) spends the address's budget, not a fresh one per invented key
    expect((await ask("{ __typename }", { from: "127.0.0.7", key: "x".repeat(20) })).status).toBe(401);
    expect((await ask("{ __typename }", { from: "127.0.0.7", key: "y".repeat(20) })).status).toBe(401);
    expect((await ask("{ __typename }", { from: "127.0.0.7" })).status).toBe(200);
    expect((await ask("{ __typename }", { from: "127.0.0.7" })).status).toBe(429);
  });
});

describe("expensive queries cost more points", () => {
  it("pointsForCost: one more point per 1,000 of query cost", () => {
    expect(pointsForCost(3)).toBe(0);
    expect(pointsForCost(999)).toBe(0);
    expect(pointsForCost(11_103)).toBe(11);
    expect(pointsForCost(24_000)).toBe(24);
  });

  it("a budget of 10: one county dump (cost 6,771: 1 + 6 points) passes, the second is refused from the GraphQL pipeline with 429", async () => {
    const s = await createApiServer({
      config: { ...testConfig, rateLimit: 10, rateLimitWindowSeconds: 60 },
      data: fakeDataAccess({ counties: { list: async () => [] } }),
      log,
    });
    try {
      const { url } = await s.listen(0, "127.0.0.1");
      const post = () => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ counties { indicators { value } } }" }) });
      const first = await post();
      expect(first.status).toBe(200);
      const second = await post(); // arrival: 8 of 10; its cost: 6 more
      expect(second.status).toBe(429);
      const retry = Number(second.headers.get("retry-after"));
      expect(retry).toBeGreaterThanOrEqual(1);
      const body = (await second.json()) as any;
      expect(body.errors[0].extensions).toEqual({ code: "RATE_LIMITED", retryAfter: retry });
      expect(body.data).toBeUndefined();
    } finally {
      await s.stop();
    }
  });
});

describe("the limiter's store", () => {
  it("off (0): no limiter at all", () => {
    expect(createClientLimiter({ rateLimit: 0, rateLimitWindowSeconds: 60, databaseUrl: "file:/x.db" }, log)).toBeUndefined();
  });

  it("a store that fails (PostgreSQL unreachable) lets requests through and logs one warning", async () => {
    const limiter = createClientLimiter({ rateLimit: 1, rateLimitWindowSeconds: 60, databaseUrl: "postgresql://u:p@127.0.0.1:1/none" }, log)!;
    try {
      const before = lines.length;
      for (let i = 0; i < 3; i++) expect(await limiter.charge("ip:x", 1)).toBeUndefined();
      const warnings = lines.slice(before).filter((l) => l["level"] === 40);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!["msg"]).toMatch(/rate limiter store failed: requests are not limited/);
    } finally {
      await limiter.close();
    }
  });

  const pgUrl = process.env["TEST_PG_URL"];
  describe.skipIf(!pgUrl)("on PostgreSQL (TEST_PG_URL)", () => {
    const name = `govdiffusion_ratelimit_${process.pid}_${randomBytes(3).toString("hex")}`;
    const admin = async (sql: string) => {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    };
    beforeAll(() => admin(`CREATE DATABASE "${name}"`));
    afterAll(() => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));

    it("two processes' limiters share one budget through the database table", async () => {
      const u = new URL(pgUrl!);
      u.pathname = `/${name}`;
      const settings = { rateLimit: 3, rateLimitWindowSeconds: 60, databaseUrl: u.toString() };
      const one = createClientLimiter(settings, log)!;
      const two = createClientLimiter(settings, log)!;
      try {
        expect(await one.charge("key:key-1", 1)).toBeUndefined();
        expect(await two.charge("key:key-1", 1)).toBeUndefined();
        expect(await one.charge("key:key-1", 1)).toBeUndefined();
        const wait = await two.charge("key:key-1", 1);
        expect(wait).toBeGreaterThanOrEqual(1);
        expect(wait).toBeLessThanOrEqual(60);
        expect(await two.charge("key:key-2", 1)).toBeUndefined();
      } finally {
        await one.close();
        await two.close();
      }
    });
  });
});
