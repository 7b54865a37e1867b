// One server process of a cluster (see cluster.ts): serves the connections the primary hands it
// and stops gracefully on SIGTERM (from the primary's stop()) or SIGINT. If the primary dies, Node's
// cluster code exits the worker at once (in-flight requests are cut off).
import "reflect-metadata";
import cluster from "node:cluster";
import { createDb } from "@govdiffusion/db";
import { ShutdownCutError, type ApiServer } from "./app.js";
import type net from "node:net";
import { decodeWorkerConfig, WORKER_CONFIG_ENV, type PrimaryMessage, type WorkerMessage } from "./cluster.js";
import { createServer } from "./index.js";
import { createLogger } from "./logger.js";

const text = process.env[WORKER_CONFIG_ENV];
if (!text || !cluster.isWorker) throw new Error(`cluster-worker runs only as a worker forked by startCluster (${WORKER_CONFIG_ENV} unset)`);
const config = decodeWorkerConfig(text);
const log = createLogger(config.logLevel).child({ worker: cluster.worker!.id });

let server: ApiServer | undefined;
let stopping = false;
let interrupts = 0;
const stop = (why: NodeJS.Signals) => {
  if (why === "SIGINT") interrupts++;
  if (stopping) {
    // The primary's SIGTERM after the operator's (both reach a worker when a supervisor or a
    // Ctrl-C signals the whole process group): already draining. A second Ctrl-C means "now".
    if (interrupts >= 2) process.exit(130);
    return;
  }
  stopping = true;
  // Not serving yet: nothing is in flight.
  if (!server) process.exit(0);
  log.info({ why }, "worker stopping: answering the requests received");
  server.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      // Requests cut at the end of the grace period are logged by server.stop() itself.
      if (!(err instanceof ShutdownCutError)) log.error({ err }, "error during shutdown");
      process.exit(1);
    },
  );
};
// Before anything slow, so a stop that arrives while the server starts is not lost. The primary
// stops workers with SIGTERM; Ctrl-C sends SIGINT to every process of the group. `on`, not `once`:
// a second SIGTERM must not fall through to the default action (death, requests cut).
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));

server = await createServer({ config, db: createDb({ url: config.databaseUrl }), log });
if (stopping) await server.stop().then(() => process.exit(0));
const api = server;
process.on("message", (m: PrimaryMessage, socket: net.Socket | undefined) => {
  if (m.type !== "connection" || !socket) return;
  // Taken (even while stopping: it was accepted before the listener closed, so it is answered);
  // the primary then drops its own copy.
  process.send!({ type: "accepted", id: m.id } satisfies WorkerMessage);
  api.serveConnection(socket);
});
process.send!({ type: "ready" } satisfies WorkerMessage);
