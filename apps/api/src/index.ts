import "reflect-metadata";
import { createDb, ensureDatabase, type Db } from "@govdiffusion/db";
import { createApiServer, type ApiServer } from "./app.js";
import { startCluster, type RunningApi } from "./cluster.js";
import { loadConfig, type ApiConfig } from "./config.js";
import { createDataAccess } from "./db-access.js";
import type { DataAccess } from "./data-access.js";
import type { Logger } from "./logger.js";
import { sqliteWritesInPool } from "./pool/sqlite-writes.js";
import { createThreadPool } from "./pool/work-pool.js";

export { createApiServer, LIMITS, ShutdownCutError, type ApiServer } from "./app.js";
export { loadConfig, ConfigError, hashApiKey, resolveDatabaseUrl, DEFAULT_DATABASE_URL, type ApiConfig } from "./config.js";
export { createDataAccess } from "./db-access.js";
export type { DataAccess } from "./data-access.js";
export { createLogger, type Logger } from "./logger.js";
export type { RunningApi } from "./cluster.js";
export { getSchema } from "./schema.js";

/**
 * The API over a database handle: `db` from createDb (the server closes it on stop), or a
 * ready-made DataAccess (tests).
 */
export function createServer(opts: { config: ApiConfig; db?: Db; data?: DataAccess; log?: Logger }): Promise<ApiServer> {
  const { config } = opts;
  const data: DataAccess = opts.data ?? (opts.db ? createDataAccess(opts.db) : createDataAccess(createDb({ url: config.databaseUrl })));
  // Heavy work goes to worker threads, each with its own connection to config.databaseUrl (`db`
  // is assumed to be on that URL). A given DataAccess (tests) or an in-memory SQLite database
  // cannot be reached from another thread: those run tasks in this thread.
  const inMemory = /^file:(\/\/)?:memory:/.test(config.databaseUrl);
  const work = opts.data || inMemory ? undefined : createThreadPool({ databaseUrl: config.databaseUrl, threads: config.poolThreads });
  const served = work && config.databaseUrl.startsWith("file:") ? sqliteWritesInPool(data, work) : data;
  return createApiServer({ config, data: served, ...(opts.log ? { log: opts.log } : {}), ...(work ? { work } : {}) });
}

/**
 * Entry point of `govdiffusion serve`: validated config (from env unless given), database migrated
 * (and seeded with the Guangxi default when empty), server listening. Stop it with `server.stop()`.
 */
export async function start(opts: { config?: ApiConfig; seed?: boolean } = {}): Promise<{ server: ApiServer; url: string; port: number }> {
  const config = opts.config ?? loadConfig();
  await ensureDatabase({ url: config.databaseUrl, seed: opts.seed ?? true });
  const server = await createServer({ config, db: createDb({ url: config.databaseUrl }) });
  const { url, port } = await server.listen();
  return { server, url, port };
}

/**
 * `govdiffusion serve`: start() in this process, or with config.workers > 1 a cluster of that many
 * server processes on one port (startCluster). Either way: URL, logger, and a graceful stop().
 */
export async function serve(opts: { config?: ApiConfig; seed?: boolean } = {}): Promise<RunningApi> {
  const config = opts.config ?? loadConfig();
  if (config.workers > 1) return startCluster({ config, seed: opts.seed ?? true });
  const { server, url, port } = await start({ config, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
  return { url, port, log: server.log, stop: () => server.stop() };
}
