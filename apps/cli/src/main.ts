import { CliError } from "./errors.js";

/** A command takes its own argv (after the command words) and resolves to an exit code. */
export type Command = (argv: string[]) => Promise<number>;

const USAGE = `usage: govdiffusion <command> [options]

commands:
  fit FILE.csv --outcome COL --predictors A,B,C [--family negbin2|poisson]
      [--offset COL | --exposure COL] [--se oim|expected|hc0|hc1|cluster] [--cluster COL]
      [--format table|json]
  serve                         start the GraphQL API (migrates and seeds an empty database)
  db migrate | db seed          apply migrations | load the Guangxi default dataset (idempotent)
  import observations FILE --dataset NAME [--format long|wide] [--create-indicators]
  import counties FILE | import adjacency FILE | import accounts FILE --dataset NAME

The database is DATABASE_URL (default file:./data/govdiffusion.db).`;

/** Lazy so that `fit` does not load Prisma or Apollo. */
const commands: Record<string, () => Promise<Command>> = {
  fit: async () => (await import("./commands/fit.js")).fit,
  serve: async () => (await import("./commands/serve.js")).serve,
  db: async () => (await import("./commands/db.js")).db,
  import: async () => (await import("./commands/import.js")).importCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(USAGE + "\n");
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`govdiffusion: unknown command "${name}" (try --help)\n`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`govdiffusion ${name}: ${oneLine(err.message)}\n`);
      return err.exitCode;
    }
    // Domain errors from the packages carry a readable message; print it on one line, no stack.
    const e = err as { name?: string; message?: string };
    if (e && (e.name === "EstimationError" || e.name === "ImportError" || e.name === "ValidationError")) {
      process.stderr.write(`govdiffusion ${name}: ${oneLine(String(e.message))}\n`);
      return 2;
    }
    // The database is unreachable or read-only: not a bug and not bad input; retrying may work (exit 3).
    // Loaded here only, so that `fit` still does not load Prisma.
    const unavailable = name !== "fit" ? (await import("@govdiffusion/db")).unavailableReason(err) : undefined;
    if (unavailable) {
      const what = unavailable === "READ_ONLY" ? "the database is read-only" : "the database is unreachable";
      const detail = oneLine(String(e?.message ?? err)).replace(/^\s*Invalid `[^`]+` invocation:\s*/, "").trim();
      process.stderr.write(`govdiffusion ${name}: ${what}: ${detail}\n`);
      return 3;
    }
    // A bug, not bad input: one line by default, the stack when asked for.
    if (process.env.GOVDIFFUSION_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.stderr.write(`govdiffusion ${name}: internal error: ${oneLine(String(e?.message ?? err))}\n`);
    return 1;
  }
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ");
}
