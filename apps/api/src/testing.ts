import { Writable } from "node:stream";
import type { AnalysisFrame, Repositories, StoredModel, StoredModelSpec } from "@govdiffusion/db";
import { fitCountModel, type Table } from "@govdiffusion/estimation";
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

/**
 * 12 counties in two prefectures, one year, and a Poisson model of y on x fitted to them (id 7):
 * the small world of the what-if unit tests.
 */
export const WHAT_IF_WORLD = (() => {
  const codes = ["451002", "451003", "451004", "451005", "451006", "451007", "450202", "450203", "450204", "450205", "450206", "450207"];
  const x = [1.2, 0.4, 2.2, 1.7, 0.9, 3.1, 2.5, 0.3, 1.1, 2.8, 1.9, 0.7];
  const y = [5, 2, 11, 7, 3, 22, 14, 1, 4, 17, 8, 2];
  const frame: AnalysisFrame = {
    rows: codes.map((c, i) => ({ countyCode: c, prefectureCode: i < 6 ? "451000" : "450200", year: 2020 })),
    table: { y, x, prefecture: codes.map((_, i) => (i < 6 ? "451000" : "450200")) } as Table,
    dropped: [],
  };
  const spec: StoredModelSpec = {
    family: "poisson", outcome: "y", predictors: ["x"], intercept: true, seType: "oim", confidenceLevel: 0.95,
    datasetId: 1, years: [2020], peer: [],
  };
  const model: StoredModel = { id: 7, name: "m", spec, result: fitCountModel(frame.table, spec), fingerprint: "f", createdAt: new Date(0) };
  return { codes, x, y, frame, spec, model };
})();
