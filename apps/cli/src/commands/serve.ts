import { parseArgs } from "node:util";
import { CliError } from "../errors.js";
import type { Command } from "../main.js";

export const SERVE_USAGE = `usage: govdiffusion serve [--port N] [--host HOST] [--no-seed]

Starts the GraphQL API. The database (DATABASE_URL, default file:./data/govdiffusion.db) is
migrated first and, when empty, seeded with the Guangxi default dataset (skip with --no-seed).
Configuration comes from the environment (see apps/api/README.md): PORT (default 4000), HOST,
GOVDIFFUSION_API_KEYS, GOVDIFFUSION_REQUIRE_KEY_FOR_READS, GOVDIFFUSION_CORS_ORIGINS,
GOVDIFFUSION_GRAPHIQL, GOVDIFFUSION_MAX_DRAWS, GOVDIFFUSION_BODY_LIMIT_BYTES,
GOVDIFFUSION_MAX_IMPORT_BYTES, GOVDIFFUSION_WORKERS (server processes sharing the port,
default 1; 2 on a 2-core machine), GOVDIFFUSION_SHUTDOWN_GRACE_SECONDS (default 30), GOVDIFFUSION_REQUEST_TIMEOUT_SECONDS (60),
GOVDIFFUSION_KEEP_ALIVE_TIMEOUT_SECONDS (65), LOG_LEVEL. SIGTERM/SIGINT stop it gracefully:
no new connections, every request received answered, exit 0 (1 if the grace period ran out).`;

/** `govdiffusion serve`: runs until SIGTERM/SIGINT, then answers every request received and exits. */
export const serve: Command = async (argv) => {
  let values: { port?: string; host?: string; "no-seed"?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { port: { type: "string" }, host: { type: "string" }, "no-seed": { type: "boolean" }, help: { type: "boolean", short: "h" } },
      strict: true,
    }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${SERVE_USAGE}`);
  }
  if (values.help) {
    process.stdout.write(SERVE_USAGE + "\n");
    return 0;
  }
  // Loaded here, not at the top, so `govdiffusion --help` stays fast.
  const api = await import("@govdiffusion/api");
  const env = { ...process.env };
  if (values.port !== undefined) env["PORT"] = values.port;
  if (values.host !== undefined) env["HOST"] = values.host;
  let config;
  try {
    config = api.loadConfig(env);
  } catch (err) {
    if (err instanceof api.ConfigError) throw new CliError(err.message);
    throw err;
  }
  const server = await api.serve({ config, seed: !values["no-seed"] });
  process.stdout.write(`govdiffusion API listening on ${server.url}\n`);
  server.log.info({ url: server.url, workers: config.workers }, "listening");

  return new Promise<number>((resolve) => {
    let stopping = false;
    let interrupts = 0;
    const stop = (signal: NodeJS.Signals) => {
      if (signal === "SIGINT") interrupts++;
      if (stopping) {
        // Ctrl-C twice: the operator does not want to wait. A repeated SIGTERM (a supervisor that
        // signals every process of the group, say) changes nothing: the grace period bounds the wait.
        if (interrupts >= 2) process.exit(130);
        server.log.info({ signal }, "already shutting down");
        return;
      }
      stopping = true;
      server.log.info({ signal }, "shutting down: answering the requests received, accepting no more");
      server.stop().then(
        () => finish(0),
        (err: unknown) => {
          // Requests cut at the end of the grace period are logged by the server itself.
          if (!(err instanceof api.ShutdownCutError)) server.log.error({ err }, "error during shutdown");
          finish(1);
        },
      );
    };
    // Resolves the exit code; and exits in a second should anything (a timer, a thread) still
    // hold the event loop, since the server is closed by now.
    const finish = (code: number) => {
      setTimeout(() => process.exit(code), 1000).unref();
      resolve(code);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
};
