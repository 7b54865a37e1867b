import cluster, { type Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import { ensureDatabase } from "@govdiffusion/db";
import type { ApiConfig } from "./config.js";
import { createLogger, type Logger } from "./logger.js";
import { startRateLimitPrimary } from "./rate-limit.js";

/**
 * GOVDIFFUSION_WORKERS > 1: one server process per worker (node:cluster), all on the same port.
 * One Node process runs the GraphQL pipeline on one core; a second process roughly doubles the
 * requests a 2-core machine answers (apps/api/README.md, Speed).
 *
 * The primary migrates (and seeds) the database once, forks the workers, replaces one that
 * crashes (and exits if the replacement cannot start), and on stop() has each finish its in-flight
 * requests (killing one still busy after STOP_TIMEOUT_MS). Workers share nothing in memory:
 * each keeps its own caches, which hold only what does not change (fitted models are immutable;
 * county lists expire after a minute) or are checked against the database (a model deleted through
 * another worker is refused within a second, see WhatIfService.confirmed).
 */

/** How long stop() lets a worker finish its in-flight requests before killing it. */
export const STOP_TIMEOUT_MS = 30_000;

/** The worker's configuration travels in this environment variable, as JSON (key hashes in hex). */
export const WORKER_CONFIG_ENV = "GOVDIFFUSION_WORKER_CONFIG";

export function encodeWorkerConfig(config: ApiConfig): string {
  return JSON.stringify({
    ...config,
    apiKeyHashes: config.apiKeyHashes.map((b) => b.toString("hex")),
    readKeyHashes: config.readKeyHashes.map((b) => b.toString("hex")),
  });
}

export function decodeWorkerConfig(text: string): ApiConfig {
  const raw = JSON.parse(text) as Omit<ApiConfig, "apiKeyHashes" | "readKeyHashes"> & { apiKeyHashes: string[]; readKeyHashes: string[] };
  return {
    ...raw,
    apiKeyHashes: raw.apiKeyHashes.map((h) => Buffer.from(h, "hex")),
    readKeyHashes: raw.readKeyHashes.map((h) => Buffer.from(h, "hex")),
  };
}

/** Messages from a worker to the primary. */
export type WorkerMessage = { type: "listening"; url: string; port: number };

export interface RunningApi {
  url: string;
  port: number;
  log: Logger;
  /** Stops accepting connections, lets in-flight requests finish, then closes the database(s). */
  stop(): Promise<void>;
}

export async function startCluster(opts: { config: ApiConfig; seed: boolean }): Promise<RunningApi> {
  const { config } = opts;
  const log = createLogger(config.logLevel).child({ role: "primary" });
  await ensureDatabase({ url: config.databaseUrl, seed: opts.seed });

  startRateLimitPrimary(config); // the budget the workers share over IPC (SQLite; PostgreSQL shares a table)
  cluster.setupPrimary({ exec: fileURLToPath(new URL("./cluster-worker.js", import.meta.url)), args: [], silent: false });
  const env = { [WORKER_CONFIG_ENV]: encodeWorkerConfig(config) };
  let stopping = false;
  const workers = new Set<Worker>();

  /** Forks one worker; resolves when it listens, rejects if it exits first. */
  const fork = (): Promise<{ url: string; port: number }> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork(env);
      workers.add(worker);
      let listening = false;
      worker.on("message", (m: WorkerMessage) => {
        if (m.type === "listening") {
          listening = true;
          resolve({ url: m.url, port: m.port });
        }
      });
      worker.once("exit", (code, signal) => {
        workers.delete(worker);
        if (!listening) return reject(new Error(`a server worker exited (${signal ?? `code ${code}`}) before it listened; see its log above`));
        if (stopping || (code === 0 && signal === null)) return; // stopped on purpose
        log.error({ worker: worker.id, code, signal }, "server worker died; starting another");
        fork().catch((err: unknown) => {
          if (stopping) return;
          // A worker that cannot even start again points at something lasting (database gone, port
          // taken): exit, so a supervisor (systemd, Kubernetes) restarts the whole server.
          log.fatal({ err }, "could not replace the server worker; exiting");
          stopping = true;
          for (const w of workers) w.process.kill("SIGKILL");
          process.exit(1);
        });
      });
    });

  let first: { url: string; port: number };
  try {
    [first] = (await Promise.all(Array.from({ length: config.workers }, fork))) as [{ url: string; port: number }];
  } catch (err) {
    stopping = true;
    for (const w of workers) w.kill();
    throw err;
  }
  log.info({ workers: config.workers }, "server workers listening");

  let stopped: Promise<void> | undefined;
  return {
    url: first.url,
    port: first.port,
    log,
    stop() {
      stopping = true;
      stopped ??= Promise.all(
        [...workers].map((w) => {
          const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
          // A signal rather than a message: a worker still loading has no message listener yet, and
          // SIGTERM's default action ends it; once started, its handler drains it (cluster-worker.ts).
          w.process.kill("SIGTERM");
          // A request that never finishes must not keep the server up forever.
          const timer = setTimeout(() => {
            log.warn({ worker: w.id, afterMs: STOP_TIMEOUT_MS }, "worker still draining; killing it");
            w.process.kill("SIGKILL");
          }, STOP_TIMEOUT_MS);
          return exited.finally(() => clearTimeout(timer));
        }),
      ).then(() => undefined);
      return stopped;
    },
  };
}
