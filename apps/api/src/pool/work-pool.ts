import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import type { DataAccess } from "../data-access.js";
import { reviveError } from "./task-errors.js";
import { TASKS, type TaskInput, type TaskName, type TaskOutput } from "./tasks.js";
import type { TaskMessage, TaskReply } from "./worker.js";

/**
 * Where heavy work runs (imports, fits, simulation what-ifs): off the HTTP event loop in worker
 * threads, so /healthz and cheap queries keep answering while it runs. A request waiting for its
 * task is simply a pending HTTP response, so the server's drain waits for it.
 */
export interface WorkPool {
  run<N extends TaskName>(name: N, input: TaskInput<N>): Promise<TaskOutput<N>>;
  /** Threads that run tasks (0: tasks run in the calling thread). */
  readonly threads: number;
  /** Ends the threads; call after the HTTP server has drained (tasks still running are aborted). */
  destroy(): Promise<void>;
}

/**
 * The compiled worker, found from the package root, which is two levels above both src/pool/
 * (vitest runs the TypeScript sources) and dist/pool/ (the built server): threads always run the
 * built JavaScript, so the api `test` task depends on its own `build` (turbo.json).
 */
export const WORKER_FILE = fileURLToPath(new URL("../../dist/pool/worker.js", import.meta.url));

/** Scheduling priority of pool threads relative to the process (setpriority; Linux/macOS, via piscina's optional @napi-rs/nice). */
const WORKER_NICENESS = 10;
/** How long an idle thread (and its database connection) is kept for the next task. */
const IDLE_MS = 60_000;

/** A piscina pool of `threads` worker threads, each with its own connection to `databaseUrl`. */
export function createThreadPool(opts: { databaseUrl: string; threads: number }): WorkPool {
  if (!existsSync(WORKER_FILE)) throw new Error(`${WORKER_FILE} is missing: build the API first (npm run build -w @govdiffusion/api)`);
  const piscina = new Piscina<TaskMessage, TaskReply>({
    filename: WORKER_FILE,
    // Threads start with the first heavy request, not with the server (tests start many servers).
    minThreads: 0,
    maxThreads: opts.threads,
    idleTimeout: IDLE_MS,
    // Tasks await database I/O: a thread parked in Atomics.wait between tasks would leave its
    // connection's sockets unserved.
    atomics: "disabled",
    // Heavy work yields the CPU to the threads that answer requests (this process's event loop
    // above all): on a busy 2-core machine a fit at normal priority delays /healthz by 100+ ms.
    niceIncrement: WORKER_NICENESS,
  });
  let destroyed: Promise<void> | undefined;
  return {
    threads: opts.threads,
    async run(name, input) {
      const reply = await piscina.run({ name, input, databaseUrl: opts.databaseUrl });
      if (!reply.ok) throw reviveError(reply.error);
      return reply.value as TaskOutput<typeof name>;
    },
    destroy() {
      destroyed ??= piscina.destroy();
      return destroyed;
    },
  };
}

/**
 * Tasks run in the calling thread on `data`: for servers over a DataAccess given by the caller
 * (tests with fakes) or an in-memory SQLite database, which another thread cannot open.
 */
export function createInlinePool(data: DataAccess): WorkPool {
  return {
    threads: 0,
    run(name, input) {
      const task = TASKS[name] as (input: unknown, data: () => DataAccess) => Promise<TaskOutput<typeof name>>;
      return task(input, () => data);
    },
    async destroy() {},
  };
}
