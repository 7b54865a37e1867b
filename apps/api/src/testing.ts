import { Writable } from "node:stream";
import type { Repositories } from "@govdiffusion/db";
import type { ApiConfig } from "./config.js";
import { createLoaders, createServices, type Context, type Principal } from "./context.js";
import type { DataAccess } from "./data-access.js";
import { DEFAULT_HTTP_TIMEOUTS } from "./http-timeouts.js";
import { createLogger, type Logger } from "./logger.js";

/** A logger whose JSON lines are collected in `lines` (for asserting what the server logs). */
export function memoryLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString("utf8").split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger("info", stream), lines };
}

export const testConfig: ApiConfig = {
  port: 0, host: "127.0.0.1", databaseUrl: "file::memory:", apiKeyHashes: [], readKeyHashes: [], requireKeyForReads: false, corsOrigins: [],
  graphiql: false, maxDraws: 1000, bodyLimitBytes: 1_000_000, maxImportBytes: 100_000, logLevel: "silent", workers: 1, poolThreads: 1,
  timeouts: DEFAULT_HTTP_TIMEOUTS,
  rateLimit: 0, rateLimitWindowSeconds: 60, heapGrowingPercent: 0, maxCost: 50_000,
};

const unused = (): never => {
  throw new Error("not used by this test");
};

/** A DataAccess whose repositories are given in part; anything else throws if touched. */
export function fakeDataAccess(parts: { [K in keyof Repositories]?: Partial<Repositories[K]> } & Partial<Omit<DataAccess, "repos">>): DataAccess {
  const repos = new Proxy({} as Repositories, {
    get: (_t, name: string) =>
      new Proxy((parts as Record<string, object | undefined>)[name] ?? {}, {
        get: (target, method: string) => (target as Record<string, unknown>)[method] ?? unused,
      }),
  });
  return {
    repos,
    buildAnalysisFrame: parts.buildAnalysisFrame ?? unused,
    fingerprintModel: parts.fingerprintModel ?? unused,
    importObservations: parts.importObservations ?? unused,
    observationsForCounties: parts.observationsForCounties ?? unused,
    ping: parts.ping ?? (async () => {}),
    isWritable: parts.isWritable ?? (async () => true),
    close: parts.close ?? (async () => {}),
  };
}

export function testContext(data: DataAccess, opts: { principal?: Principal | null; log?: Logger; config?: ApiConfig } = {}): Context {
  const services = createServices(data, opts.config ?? testConfig);
  return {
    requestId: "test-request",
    principal: opts.principal ?? null,
    services,
    loaders: createLoaders(data, services.reference),
    whatIfModels: [],
    log: (opts.log ?? createLogger("silent")).child({ reqId: "test-request" }),
  };
}
