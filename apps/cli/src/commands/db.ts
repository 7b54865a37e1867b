import { parseArgs } from "node:util";
import type { Command } from "../main.js";
import { CliError } from "../errors.js";
import { databaseUrl, runDb } from "./import.js";

export const DB_USAGE = `usage: govdiffusion db migrate | db seed

  db migrate   apply the committed migrations to DATABASE_URL (creates the SQLite file if needed)
  db seed      migrate, then load the Guangxi default (real census data, the SYNTHETIC 2012-2020
               panel and the study's NB2 model); idempotent: existing data are kept

The database is DATABASE_URL (default file:./data/govdiffusion.db).`;

export const db: Command = async (argv) => {
  let positionals: string[];
  let help = false;
  try {
    const parsed = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
    positionals = parsed.positionals;
    help = parsed.values.help === true;
  } catch (err) {
    throw new CliError(`${String((err as Error).message).split(/\.\s/)[0]} (see govdiffusion db --help)`);
  }
  if (help) {
    process.stdout.write(DB_USAGE + "\n");
    return 0;
  }
  const [sub, ...rest] = positionals;
  if (rest.length > 0) throw new CliError(`unexpected argument "${rest[0]}" (see govdiffusion db --help)`);
  const url = databaseUrl();
  const dbPkg = await import("@govdiffusion/db");
  if (sub === "migrate") {
    const r = await runDb(() => dbPkg.migrateDatabase({ url }));
    process.stdout.write(
      r.applied.length > 0 ? `applied ${r.applied.length} migration(s): ${r.applied.join(", ")}\n` : `database is up to date (${r.alreadyApplied.length} migration(s))\n`,
    );
    return 0;
  }
  if (sub === "seed") {
    await runDb(() => dbPkg.migrateDatabase({ url }));
    const client = dbPkg.createDb({ url });
    try {
      const r = await runDb(() => dbPkg.seedDefault(client));
      process.stdout.write(
        `added ${r.prefectures} prefectures, ${r.counties} counties, ${r.adjacency} shared borders, ${r.indicators} indicators\n` +
          r.datasets.map((d) => `dataset ${d.name} (id ${d.id}): ${d.created ? "created" : "already present, kept"}${d.name === dbPkg.SYNTHETIC_DATASET ? " [SYNTHETIC]" : ""}\n`).join("") +
          (r.model ? `study model (id ${r.model.id}): ${r.model.created ? "fitted and stored" : "already present"}\n` : ""),
      );
    } finally {
      await client.$disconnect();
    }
    return 0;
  }
  throw new CliError(sub === undefined ? "missing subcommand: db migrate | db seed" : `unknown subcommand "db ${sub}" (use db migrate | db seed)`);
};
