import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, hashApiKey, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("defaults: port 4000, SQLite file resolved to an absolute path, GraphiQL on, no keys, reads open", () => {
    const c = loadConfig({}, "/srv/app");
    expect(c.port).toBe(4000);
    expect(c.databaseUrl).toBe(`file:${path.resolve("/srv/app", "data/govdiffusion.db")}`);
    expect(c.graphiql).toBe(true);
    expect(c.apiKeyHashes).toEqual([]);
    expect(c.requireKeyForReads).toBe(false);
    expect(c.corsOrigins).toEqual([]);
    expect(c.maxDraws).toBe(1000);
    expect(c.logLevel).toBe("info");
    expect(c.workers).toBe(1);
  });

  it("parses keys (stored as sha256 only), CORS origins, booleans and numbers", () => {
    const c = loadConfig({
      PORT: "8080", GOVDIFFUSION_API_KEYS: " aaaaaaaaaaaaaaaa , bbbbbbbbbbbbbbbb ", GOVDIFFUSION_REQUIRE_KEY_FOR_READS: "yes",
      GOVDIFFUSION_CORS_ORIGINS: "https://a.example,http://localhost:5173", GOVDIFFUSION_GRAPHIQL: "off", GOVDIFFUSION_MAX_DRAWS: "5000",
      DATABASE_URL: "postgresql://u:p@db:5432/gd", LOG_LEVEL: "WARN",
    });
    expect(c.port).toBe(8080);
    expect(c.apiKeyHashes).toEqual([hashApiKey("aaaaaaaaaaaaaaaa"), hashApiKey("bbbbbbbbbbbbbbbb")]);
    expect(c.requireKeyForReads).toBe(true);
    expect(c.corsOrigins).toEqual(["https://a.example", "http://localhost:5173"]);
    expect(c.graphiql).toBe(false);
    expect(c.maxDraws).toBe(5000);
    expect(c.databaseUrl).toBe("postgresql://u:p@db:5432/gd");
    expect(c.logLevel).toBe("warn");
    expect(loadConfig({ GOVDIFFUSION_WORKERS: "2" }).workers).toBe(2);
    expect(loadConfig({ GOVDIFFUSION_CORS_ORIGINS: "*" }).corsOrigins).toBe(true);
  });

  it("fails fast listing every problem, without echoing database passwords", () => {
    let err: unknown;
    try {
      loadConfig({
        PORT: "70000", GOVDIFFUSION_API_KEYS: "short", GOVDIFFUSION_GRAPHIQL: "maybe", GOVDIFFUSION_CORS_ORIGINS: "https://a.example/",
        DATABASE_URL: "mysql://root:hunter2@x/db", GOVDIFFUSION_MAX_DRAWS: "1.5", LOG_LEVEL: "loud", GOVDIFFUSION_WORKERS: "0",
        GOVDIFFUSION_FIT_THREADS: "many",
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join("\n");
    expect((err as ConfigError).problems).toHaveLength(9);
    expect(problems).toMatch(/PORT must be an integer from 0 to 65535, got "70000"/);
    expect(problems).toMatch(/key #1 is 5 characters/);
    expect(problems).toMatch(/GOVDIFFUSION_GRAPHIQL must be true or false/);
    expect(problems).toMatch(/"https:\/\/a.example\/" is not an origin/);
    expect(problems).toMatch(/DATABASE_URL must start with/);
    expect(problems).not.toMatch(/hunter2/);
    expect(problems).toMatch(/GOVDIFFUSION_MAX_DRAWS/);
    expect(problems).toMatch(/LOG_LEVEL/);
    expect(problems).toMatch(/GOVDIFFUSION_WORKERS must be an integer from 1 to 64, got "0"/);
    expect(problems).toMatch(/GOVDIFFUSION_FIT_THREADS must be an integer from 1 to 64, got "many"/);
  });

  it("HTTP timeouts and the shutdown grace period: deliberate defaults, seconds in the environment, validated", () => {
    expect(loadConfig({}).timeouts).toEqual({ shutdownGraceMs: 30_000, requestTimeoutMs: 60_000, headersTimeoutMs: 20_000, keepAliveTimeoutMs: 65_000 });
    const set = loadConfig({ GOVDIFFUSION_SHUTDOWN_GRACE_SECONDS: "5", GOVDIFFUSION_REQUEST_TIMEOUT_SECONDS: "10", GOVDIFFUSION_KEEP_ALIVE_TIMEOUT_SECONDS: "75" }).timeouts;
    // The headers timeout never exceeds the request timeout (Node refuses that).
    expect(set).toEqual({ shutdownGraceMs: 5_000, requestTimeoutMs: 10_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 75_000 });
    let problems = "";
    try {
      loadConfig({ GOVDIFFUSION_SHUTDOWN_GRACE_SECONDS: "0", GOVDIFFUSION_REQUEST_TIMEOUT_SECONDS: "1.5", GOVDIFFUSION_KEEP_ALIVE_TIMEOUT_SECONDS: "-1" });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      problems = (err as ConfigError).message;
    }
    expect(problems).toMatch(/GOVDIFFUSION_SHUTDOWN_GRACE_SECONDS must be an integer from 1 to 3600, got "0"/);
    expect(problems).toMatch(/GOVDIFFUSION_REQUEST_TIMEOUT_SECONDS must be an integer from 1 to 3600, got "1.5"/);
    expect(problems).toMatch(/GOVDIFFUSION_KEEP_ALIVE_TIMEOUT_SECONDS must be an integer from 1 to 3600, got "-1"/);
  });

  it("refuses REQUIRE_KEY_FOR_READS without keys, and an import limit above the body limit", () => {
    expect(() => loadConfig({ GOVDIFFUSION_REQUIRE_KEY_FOR_READS: "1" })).toThrow(/nobody could read/);
    expect(() => loadConfig({ GOVDIFFUSION_BODY_LIMIT_BYTES: "5000", GOVDIFFUSION_MAX_IMPORT_BYTES: "9000" })).toThrow(/must be below/);
  });

  it("read-only keys: parsed like write keys, enough for REQUIRE_KEY_FOR_READS, never also a write key", () => {
    const c = loadConfig({ GOVDIFFUSION_READ_KEYS: "cccccccccccccccc", GOVDIFFUSION_REQUIRE_KEY_FOR_READS: "1" });
    expect(c.readKeyHashes).toEqual([hashApiKey("cccccccccccccccc")]);
    expect(c.apiKeyHashes).toEqual([]);
    expect(() => loadConfig({ GOVDIFFUSION_READ_KEYS: "short" })).toThrow(/GOVDIFFUSION_READ_KEYS: key #1 is 5 characters/);
    expect(() => loadConfig({ GOVDIFFUSION_API_KEYS: "aaaaaaaaaaaaaaaa", GOVDIFFUSION_READ_KEYS: "aaaaaaaaaaaaaaaa" })).toThrow(/also in GOVDIFFUSION_API_KEYS/);
  });

  it("rate limit and heap growth: defaults, overrides, and clear problems", () => {
    const d = loadConfig({}, "/srv/app");
    expect([d.rateLimit, d.rateLimitWindowSeconds, d.heapGrowingPercent]).toEqual([1000, 60, 50]);
    const c = loadConfig({ GOVDIFFUSION_RATE_LIMIT: "0", GOVDIFFUSION_RATE_LIMIT_WINDOW_SECONDS: "1", GOVDIFFUSION_HEAP_GROWING_PERCENT: "0" });
    expect([c.rateLimit, c.rateLimitWindowSeconds, c.heapGrowingPercent]).toEqual([0, 1, 0]);
    expect(() => loadConfig({ GOVDIFFUSION_RATE_LIMIT: "-5", GOVDIFFUSION_RATE_LIMIT_WINDOW_SECONDS: "0" })).toThrow(
      /GOVDIFFUSION_RATE_LIMIT must be an integer from 0 to 1000000000, got "-5"[\s\S]*GOVDIFFUSION_RATE_LIMIT_WINDOW_SECONDS must be an integer from 1 to 86400, got "0"/,
    );
  });
});
