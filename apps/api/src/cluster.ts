import cluster, { type Worker } from "node:cluster";
import net, { type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { ensureDatabase } from "@govdiffusion/db";
import { ShutdownCutError } from "./app.js";
import type { ApiConfig } from "./config.js";
import { QUIET_TURN_MS } from "./http-drain.js";
import { createLogger, type Logger } from "./logger.js";
import { startRateLimitPrimary } from "./rate-limit.js";

/**
 * GOVDIFFUSION_WORKERS > 1: one server process per worker (node:cluster), all on the same port.
 * One Node process runs the GraphQL pipeline on one core; a second process roughly doubles the
 * requests a 2-core machine answers (apps/api/README.md, Speed).
 *
 * The primary migrates (and seeds) the database once, listens, hands each connection to a worker
 * (see below), replaces a worker that crashes (and exits if the replacement cannot start), and on
 * stop() closes the listener and has each worker answer the requests it received (killing one
 * still running STOP_MARGIN_MS after the grace period). Workers share nothing in memory:
 * each keeps its own caches, which hold only what does not change (fitted models are immutable;
 * county lists expire after a minute) or are checked against the database (a model deleted through
 * another worker is refused within a second, see WhatIfService.confirmed).
 */

/**
 * How long stop() waits beyond the grace period for a worker to exit before killing it. A worker
 * cuts what is left at the end of its grace period and exits by itself: this is for one whose
 * event loop is stuck.
 */
export const STOP_MARGIN_MS = 5_000;

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

/** Messages between the primary and a worker. */
export type WorkerMessage = { type: "ready" } | { type: "accepted"; id: number };
export type PrimaryMessage = { type: "connection"; id: number };

export interface RunningApi {
  url: string;
  port: number;
  log: Logger;
  /**
   * Stops accepting connections, answers every request received, then closes the database(s).
   * Rejects when requests had to be cut at the end of the grace period (a worker exited non-zero).
   */
  stop(): Promise<void>;
}

/** How long stop() waits for workers to take the connections already handed to them. */
const HANDOFF_WAIT_MS = 2_000;

export async function startCluster(opts: { config: ApiConfig; seed: boolean }): Promise<RunningApi> {
  const { config } = opts;
  const log = createLogger(config.logLevel).child({ role: "primary" });
  await ensureDatabase({ url: config.databaseUrl, seed: opts.seed });

  startRateLimitPrimary(config); // the budget the workers share over IPC (SQLite; PostgreSQL shares a table)
  cluster.setupPrimary({ exec: fileURLToPath(new URL("./cluster-worker.js", import.meta.url)), args: [], silent: false });
  const env = { [WORKER_CONFIG_ENV]: encodeWorkerConfig(config) };
  let stopping = false;
  const workers = new Set<Worker>();

  /*
   * The primary accepts the connections and hands each to a worker in turn, keeping its own copy
   * until the worker says it has it. Node's own round robin (cluster.SCHED_RR) drops a connection
   * handed to a worker that has just died, or that is stopping, without closing it: the client
   * waits for its own timeout (issue 8: 20 s after a kill -9). Here such a connection goes to
   * another worker, and stop() closes the listener at once, so that later connections are refused
   * cleanly rather than accepted and dropped.
   */
  const ready: Worker[] = [];
  const handedOff = new Map<Worker, Map<number, net.Socket>>();
  const waiting: net.Socket[] = [];
  let nextId = 0;
  let turn = 0;
  let onAllTaken: (() => void) | undefined;

  const dispatch = (socket: net.Socket): void => {
    const alive = ready.filter((w) => w.isConnected());
    if (alive.length === 0) {
      waiting.push(socket);
      return;
    }
    const worker = alive[turn++ % alive.length]!;
    const id = nextId++;
    handedOff.get(worker)!.set(id, socket);
    worker.send({ type: "connection", id } satisfies PrimaryMessage, socket, { keepOpen: true }, (err: Error | null) => {
      if (err && handedOff.get(worker)?.delete(id)) dispatch(socket);
    });
  };
  const taken = (worker: Worker, id: number): void => {
    const socket = handedOff.get(worker)?.get(id);
    if (!socket) return;
    handedOff.get(worker)!.delete(id);
    socket.destroy(); // our copy only: the connection lives on in the worker
    if (onAllTaken && [...handedOff.values()].every((m) => m.size === 0)) onAllTaken();
  };
  /** A worker gone: what it had not taken yet goes to another (the client never sees the difference). */
  const gone = (worker: Worker): void => {
    const i = ready.indexOf(worker);
    if (i >= 0) ready.splice(i, 1);
    const orphans = [...(handedOff.get(worker)?.values() ?? [])];
    handedOff.delete(worker);
    for (const socket of orphans) {
      if (stopping && ready.length === 0) socket.destroy();
      else dispatch(socket);
    }
  };
  const becameReady = (worker: Worker): void => {
    ready.push(worker);
    for (const socket of waiting.splice(0)) dispatch(socket);
  };

  const listener = net.createServer({ pauseOnConnect: true }, dispatch);
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(config.port, config.host, () => {
      listener.off("error", reject);
      resolve();
    });
  });
  listener.on("error", (err) => log.error({ err }, "listener error"));
  const port = (listener.address() as AddressInfo).port;
  const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${shownHost}:${port}/graphql`;

  /** Forks one worker; resolves when it is ready for connections, rejects if it exits first. */
  const fork = (replacement = false): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork(env);
      workers.add(worker);
      handedOff.set(worker, new Map());
      let started = false;
      worker.on("message", (m: WorkerMessage) => {
        if (m.type === "accepted") taken(worker, m.id);
        else if (m.type === "ready") {
          if (replacement) log.info({ worker: worker.id }, "replacement server worker ready");
          started = true;
          becameReady(worker);
          resolve();
        }
      });
      worker.once("disconnect", () => gone(worker));
      worker.once("exit", (code, signal) => {
        workers.delete(worker);
        gone(worker);
        if (!started) return reject(new Error(`a server worker exited (${signal ?? `code ${code}`}) before it was ready; see its log above`));
        if (stopping || (code === 0 && signal === null)) return; // stopped on purpose
        log.error({ worker: worker.id, code, signal }, "server worker died; starting another");
        fork(true).catch((err: unknown) => {
          if (stopping) return;
          // A worker that cannot even start again points at something lasting (database gone):
          // exit, so a supervisor (systemd, Kubernetes) restarts the whole server.
          log.fatal({ err }, "could not replace the server worker; exiting");
          stopping = true;
          for (const w of workers) w.process.kill("SIGKILL");
          process.exit(1);
        });
      });
    });

  try {
    await Promise.all(Array.from({ length: config.workers }, () => fork()));
  } catch (err) {
    stopping = true;
    listener.close();
    for (const socket of waiting.splice(0)) socket.destroy();
    for (const w of workers) w.kill();
    throw err;
  }
  log.info({ workers: config.workers }, "server workers listening");

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    log,
    stop() {
      stopping = true;
      stopped ??= (async () => {
        // As a single server's drain (http-drain.ts): connections the kernel has completed but this
        // process has not accepted yet wait in the backlog, and closing the listener would reset
        // them. Accept (and hand to a worker) what comes until a quick turn of the event loop brings
        // no new connection; then close, and later clients are refused at once.
        let accepted = 0;
        const count = () => void accepted++;
        listener.on("connection", count);
        const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
        await turn();
        for (let i = 0; i < 1000; i++) {
          const seen = accepted;
          const start = Date.now();
          await turn();
          if (accepted === seen && Date.now() - start <= QUIET_TURN_MS) break;
        }
        listener.off("connection", count);
        listener.close();
        // Those accepted already go to a worker before it is told to stop, so it answers them.
        if ([...handedOff.values()].some((m) => m.size > 0)) {
          await new Promise<void>((resolve) => {
            onAllTaken = resolve;
            setTimeout(resolve, HANDOFF_WAIT_MS).unref();
          });
        }
        for (const socket of waiting.splice(0)) socket.destroy(); // no worker ever came up
        const limitMs = config.timeouts.shutdownGraceMs + STOP_MARGIN_MS;
        const clean = await Promise.all(
          [...workers].map((w) => {
            // A worker not ready yet had no request: ended by the signal, it lost nothing.
            const hadRequests = ready.includes(w);
            const exited = new Promise<boolean>((resolve) => w.once("exit", (code, signal) => resolve(!hadRequests || (code === 0 && signal === null))));
            // A signal rather than a message: a worker still loading has no message listener yet, and
            // SIGTERM's default action ends it; once started, its handler drains it (cluster-worker.ts).
            w.process.kill("SIGTERM");
            const timer = setTimeout(() => {
              log.error({ worker: w.id, afterMs: limitMs }, "worker still running after the grace period; killing it");
              w.process.kill("SIGKILL");
            }, limitMs);
            return exited.finally(() => clearTimeout(timer));
          }),
        );
        const failed = clean.filter((ok) => !ok).length;
        if (failed > 0) throw new ShutdownCutError(failed, `${failed} server worker(s) had to cut requests at the end of the shutdown grace period (see their log lines)`);
      })();
      return stopped;
    },
  };
}
