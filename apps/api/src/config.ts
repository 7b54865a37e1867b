import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { loadHttpTimeouts, type HttpTimeouts } from "./http-timeouts.js";
import { DEFAULT_HEAP_GROWING_PERCENT } from "./memory.js";

/** Validated server configuration. Only entrypoints call loadConfig; everything else takes an ApiConfig. */
export interface ApiConfig {
  port: number;
  host: string;
  /** Absolute `file:` URL for SQLite, or a postgres:// URL. */
  databaseUrl: string;
  /** sha256 digests of the accepted API keys (the keys themselves are not kept). */
  apiKeyHashes: Buffer[];
  /** sha256 digests of read-only keys: they may read (when reads need a key) but get FORBIDDEN on mutations. */
  readKeyHashes: Buffer[];
  requireKeyForReads: boolean;
  /** Allowed browser origins for CORS; `true` allows any origin ("*"), empty allows none. */
  corsOrigins: string[] | true;
  graphiql: boolean;
  /** Upper bound of `draws` in simulation what-ifs. */
  maxDraws: number;
  /** Maximum JSON request body, bytes. */
  bodyLimitBytes: number;
  /** Maximum CSV text accepted by importDataset, bytes (UTF-8). */
  maxImportBytes: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Server processes (node:cluster) sharing the port; 1 serves from this process (see cluster.ts). */
  workers: number;
  /** HTTP timeouts and the shutdown grace period, milliseconds (see http-timeouts.ts). */
  timeouts: HttpTimeouts;
  /** Points each client (API key, else address) may spend per window; 0 = no rate limiting (see rate-limit.ts). */
  rateLimit: number;
  rateLimitWindowSeconds: number;
  /** V8 heap growing factor in percent (memory.ts); 0 = V8's own heuristics. */
  heapGrowingPercent: number;
  /** The most an operation may cost (plugins/query-cost.ts); a request over it is refused before it runs. */
  maxCost: number;
  /** Worker threads per server process for imports, fits and simulation what-ifs (pool/work-pool.ts). */
  poolThreads: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

export const DEFAULT_DATABASE_URL = "file:./data/govdiffusion.db";
/** Default of GOVDIFFUSION_MAX_COST (LIMITS.maxCost in app.ts). */
export const DEFAULT_MAX_COST = 50_000;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const hashApiKey = (key: string): Buffer => createHash("sha256").update(key, "utf8").digest();

/** `file:relative.db` → `file:/abs/relative.db` so the server does not depend on its working directory later. */
export function resolveDatabaseUrl(url: string, cwd: string): string {
  if (!url.startsWith("file:")) return url;
  const rest = url.slice("file:".length);
  const [file = "", query] = rest.split("?", 2);
  const abs = path.resolve(cwd, file);
  return `file:${abs}${query === undefined ? "" : `?${query}`}`;
}

/**
 * Parses the environment once and fails fast, listing every problem at once. Variables:
 * PORT, HOST, DATABASE_URL, GOVDIFFUSION_API_KEYS, GOVDIFFUSION_READ_KEYS, GOVDIFFUSION_REQUIRE_KEY_FOR_READS,
 * GOVDIFFUSION_CORS_ORIGINS, GOVDIFFUSION_GRAPHIQL, GOVDIFFUSION_MAX_DRAWS,
 * GOVDIFFUSION_BODY_LIMIT_BYTES, GOVDIFFUSION_MAX_IMPORT_BYTES, GOVDIFFUSION_WORKERS, GOVDIFFUSION_POOL_THREADS, GOVDIFFUSION_FIT_THREADS,
 * GOVDIFFUSION_RATE_LIMIT, GOVDIFFUSION_RATE_LIMIT_WINDOW_SECONDS, GOVDIFFUSION_HEAP_GROWING_PERCENT, GOVDIFFUSION_MAX_COST, LOG_LEVEL,
 * and those of http-timeouts.ts (GOVDIFFUSION_SHUTDOWN_GRACE_SECONDS, ...).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): ApiConfig {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return def;
    }
    return n;
  };
  const bool = (name: string, def: boolean): boolean => {
    const raw = get(name);
    if (raw === undefined) return def;
    const v = raw.toLowerCase();
    if (["1", "true", "yes", "on"].includes(v)) return true;
    if (["0", "false", "no", "off"].includes(v)) return false;
    problems.push(`${name} must be true or false (1/0, yes/no, on/off), got "${raw}"`);
    return def;
  };

  const port = int("PORT", 4000, 0, 65535);
  const host = get("HOST") ?? "127.0.0.1";

  const rawUrl = get("DATABASE_URL") ?? DEFAULT_DATABASE_URL;
  if (!/^(file:|postgres:\/\/|postgresql:\/\/)/.test(rawUrl)) {
    problems.push(`DATABASE_URL must start with file:, postgres:// or postgresql://, got "${rawUrl.replace(/\/\/[^@/]*@/, "//***@")}"`);
  }
  const databaseUrl = resolveDatabaseUrl(rawUrl, cwd);

  const keyList = (name: string): string[] => {
    const list = (get(name) ?? "").split(",").map((k) => k.trim()).filter((k) => k !== "");
    list.forEach((k, i) => {
      if (k.length < 16) problems.push(`${name}: key #${i + 1} is ${k.length} characters; use at least 16`);
      if (/\s/.test(k)) problems.push(`${name}: key #${i + 1} contains whitespace`);
    });
    return list;
  };
  const keys = keyList("GOVDIFFUSION_API_KEYS");
  const readKeys = keyList("GOVDIFFUSION_READ_KEYS");
  readKeys.forEach((k, i) => {
    if (keys.includes(k)) problems.push(`GOVDIFFUSION_READ_KEYS: key #${i + 1} is also in GOVDIFFUSION_API_KEYS; a key is either read-only or not`);
  });
  const requireKeyForReads = bool("GOVDIFFUSION_REQUIRE_KEY_FOR_READS", false);
  if (requireKeyForReads && keys.length === 0 && readKeys.length === 0) {
    problems.push("GOVDIFFUSION_REQUIRE_KEY_FOR_READS is set but GOVDIFFUSION_API_KEYS and GOVDIFFUSION_READ_KEYS are empty: nobody could read");
  }

  let corsOrigins: string[] | true = [];
  const rawCors = get("GOVDIFFUSION_CORS_ORIGINS");
  if (rawCors === "*") corsOrigins = true;
  else if (rawCors !== undefined) {
    corsOrigins = rawCors.split(",").map((o) => o.trim()).filter((o) => o !== "");
    for (const o of corsOrigins) {
      let ok = false;
      try {
        const u = new URL(o);
        ok = (u.protocol === "http:" || u.protocol === "https:") && u.origin === o;
      } catch {
        ok = false;
      }
      if (!ok) problems.push(`GOVDIFFUSION_CORS_ORIGINS: "${o}" is not an origin like https://app.example.org (no path, no trailing slash)`);
    }
  }

  const graphiql = bool("GOVDIFFUSION_GRAPHIQL", true);
  const workers = int("GOVDIFFUSION_WORKERS", 1, 1, 64);
  // Read by @govdiffusion/estimation in every thread that fits (defaultFitThreads); checked here so
  // a bad value stops the server at start instead of failing every large fit.
  int("GOVDIFFUSION_FIT_THREADS", 1, 1, 64);
  const poolThreads = int("GOVDIFFUSION_POOL_THREADS", Math.max(1, os.availableParallelism()), 1, 256);
  const maxDraws = int("GOVDIFFUSION_MAX_DRAWS", 1000, 1, 100_000);
  const bodyLimitBytes = int("GOVDIFFUSION_BODY_LIMIT_BYTES", 2_000_000, 1_000, 100_000_000);
  const maxImportBytes = int("GOVDIFFUSION_MAX_IMPORT_BYTES", 1_000_000, 100, 100_000_000);
  if (maxImportBytes >= bodyLimitBytes) {
    problems.push(`GOVDIFFUSION_MAX_IMPORT_BYTES (${maxImportBytes}) must be below GOVDIFFUSION_BODY_LIMIT_BYTES (${bodyLimitBytes}), since the CSV travels inside the JSON body`);
  }

  const rateLimit = int("GOVDIFFUSION_RATE_LIMIT", 1000, 0, 1_000_000_000);
  const rateLimitWindowSeconds = int("GOVDIFFUSION_RATE_LIMIT_WINDOW_SECONDS", 60, 1, 86_400);
  const maxCost = int("GOVDIFFUSION_MAX_COST", DEFAULT_MAX_COST, 100, 1_000_000_000);
  const heapGrowingPercent = int("GOVDIFFUSION_HEAP_GROWING_PERCENT", DEFAULT_HEAP_GROWING_PERCENT, 0, 1000);

  const rawLevel = (get("LOG_LEVEL") ?? "info").toLowerCase();
  const logLevel = (LOG_LEVELS as readonly string[]).includes(rawLevel) ? (rawLevel as ApiConfig["logLevel"]) : "info";
  if (logLevel !== rawLevel) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${rawLevel}"`);

  const timeouts = loadHttpTimeouts(int);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port, host, databaseUrl, apiKeyHashes: keys.map(hashApiKey), readKeyHashes: readKeys.map(hashApiKey), requireKeyForReads, corsOrigins, graphiql,
    maxDraws, bodyLimitBytes, maxImportBytes, logLevel, workers, timeouts, rateLimit, rateLimitWindowSeconds, heapGrowingPercent, maxCost, poolThreads,
  };
}
