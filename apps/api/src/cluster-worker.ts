// One server process of a cluster (see cluster.ts): serves on the port the primary shares, stops
// gracefully when the primary says so, when signalled, or when the primary is gone.
import "reflect-metadata";
import cluster from "node:cluster";
import { createDb } from "@govdiffusion/db";
import { createApiServer } from "./app.js";
import { decodeWorkerConfig, WORKER_CONFIG_ENV, type WorkerMessage } from "./cluster.js";
import { createDataAccess } from "./db-access.js";
import { createLogger } from "./logger.js";

const text = process.env[WORKER_CONFIG_ENV];
if (!text || !cluster.isWorker) throw new Error(`cluster-worker runs only as a worker forked by startCluster (${WORKER_CONFIG_ENV} unset)`);
const config = decodeWorkerConfig(text);
const log = createLogger(config.logLevel).child({ worker: cluster.worker!.id });
const server = await createApiServer({ config, data: createDataAccess(createDb({ url: config.databaseUrl })), log });
const { url, port } = await server.listen();
process.send!({ type: "listening", url, port } satisfies WorkerMessage);

let stopping = false;
const stop = (why: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ why }, "worker stopping: finishing in-flight requests");
  server.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error({ err }, "error during shutdown");
      process.exit(1);
    },
  );
};
process.on("message", (m: { type?: string }) => {
  if (m.type === "stop") stop("primary");
});
// Ctrl-C reaches every process of the group, the primary included; each worker drains on its own.
process.once("SIGINT", () => stop("SIGINT"));
process.once("SIGTERM", () => stop("SIGTERM"));
process.once("disconnect", () => stop("primary gone"));
