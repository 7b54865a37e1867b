import fs from "node:fs";
import { parseArgs } from "node:util";
import type { ImportSummary } from "@govdiffusion/db";
import type { Command } from "../main.js";
import { CliError } from "../errors.js";

export const IMPORT_USAGE = `usage:
  govdiffusion import observations FILE --dataset NAME [--format long|wide] [--create-indicators] [--replace]
                                        [--source TEXT] [--provenance TEXT] [--synthetic | --real]
  govdiffusion import counties FILE
  govdiffusion import adjacency FILE
  govdiffusion import accounts FILE --dataset NAME [--replace]

File formats (CSV with a header line):
  observations long   county_code,year,indicator,value
  observations wide   county_code,year,<indicator>,<indicator>,…   (empty or NA = missing)
  counties            code,name_zh,name_en,prefecture_code,prefecture_zh,prefecture_en,kind
  adjacency           code_a,code_b[,shared_m]
  accounts            name,county_code,agency,registered_on (YYYY-MM-DD)

Each file is imported completely or not at all. Re-importing identical content changes nothing;
different content for an existing dataset is refused unless --replace. --replace is refused while a
fitted model depends on the dataset; a real dataset is never replaced by --synthetic data, and
replacing a synthetic one needs --synthetic or --real (see packages/db/README.md).
The database is DATABASE_URL (default file:./data/govdiffusion.db); it is migrated first.`;

export const DEFAULT_DATABASE_URL = "file:./data/govdiffusion.db";

/** DATABASE_URL or the default embedded SQLite file. */
export function databaseUrl(): string {
  const url = process.env["DATABASE_URL"];
  return url === undefined || url === "" ? DEFAULT_DATABASE_URL : url;
}

/** Domain errors of @govdiffusion/db become one-line CliErrors (exit 2); others propagate. */
export async function runDb<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e && ["ImportError", "ValidationError", "ConflictError", "NotFoundError"].includes(e.name ?? "")) {
      throw new CliError(String(e.message).replace(/\s*\n\s*/g, " "));
    }
    throw err;
  }
}

const KINDS = ["observations", "counties", "adjacency", "accounts"] as const;
type Kind = (typeof KINDS)[number];

export const importCommand: Command = async (argv) => {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        dataset: { type: "string" }, format: { type: "string" }, "create-indicators": { type: "boolean" },
        replace: { type: "boolean" }, source: { type: "string" }, provenance: { type: "string" }, synthetic: { type: "boolean" },
        real: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    throw new CliError(`${String((err as Error).message).split(/\.\s/)[0]} (see govdiffusion import --help)`);
  }
  if (values["help"]) {
    process.stdout.write(IMPORT_USAGE + "\n");
    return 0;
  }
  const [kind, file, ...rest] = positionals;
  if (kind === undefined) throw new CliError(`missing what to import: ${KINDS.join(" | ")} (see govdiffusion import --help)`);
  if (!(KINDS as readonly string[]).includes(kind)) throw new CliError(`unknown import "${kind}" (use ${KINDS.join(", ")})`);
  if (file === undefined) throw new CliError(`missing FILE: govdiffusion import ${kind} FILE`);
  if (rest.length > 0) throw new CliError(`unexpected argument "${rest[0]}"`);
  const k = kind as Kind;
  const dataset = values["dataset"] as string | undefined;
  const format = (values["format"] as string | undefined) ?? "long";
  if ((k === "observations" || k === "accounts") && !dataset) throw new CliError(`--dataset NAME is required for import ${k}`);
  if (k !== "observations" && k !== "accounts" && dataset !== undefined) throw new CliError(`--dataset does not apply to import ${k}`);
  if (k !== "observations") {
    for (const f of ["format", "create-indicators", "source", "provenance", "synthetic", "real"]) {
      if (values[f] !== undefined) throw new CliError(`--${f} applies only to import observations`);
    }
  }
  if (values["synthetic"] === true && values["real"] === true) throw new CliError("--synthetic and --real exclude each other");
  // Unset when neither flag is given, so that a replace keeps (or asks about) the dataset's label.
  const synthetic = values["synthetic"] === true ? true : values["real"] === true ? false : undefined;
  if (format !== "long" && format !== "wide") throw new CliError(`--format must be long or wide (got "${format}")`);
  try {
    if (!fs.statSync(file).isFile()) throw new Error("not a file");
  } catch {
    throw new CliError(`cannot read ${file}: no such file`);
  }

  const url = databaseUrl();
  const dbPkg = await import("@govdiffusion/db");
  await runDb(() => dbPkg.migrateDatabase({ url }));
  const client = dbPkg.createDb({ url });
  try {
    const stream = () => fs.createReadStream(file);
    const summary: ImportSummary = await runDb(() => {
      switch (k) {
        case "observations":
          return dbPkg.importObservations(client, stream(), {
            file, dataset: dataset!, format: format as "long" | "wide", createIndicators: values["create-indicators"] === true,
            replace: values["replace"] === true, ...(synthetic !== undefined ? { synthetic } : {}),
            ...(values["source"] !== undefined ? { source: values["source"] as string } : {}),
            ...(values["provenance"] !== undefined ? { provenance: values["provenance"] as string } : {}),
          });
        case "accounts":
          return dbPkg.importAccounts(client, stream(), { file, dataset: dataset!, replace: values["replace"] === true });
        case "counties":
          return dbPkg.importCounties(client, stream(), { file });
        case "adjacency":
          return dbPkg.importAdjacency(client, stream(), { file });
      }
    });
    process.stdout.write(formatSummary(k, file, dataset, summary) + "\n");
    return 0;
  } finally {
    await client.$disconnect();
  }
};

export function formatSummary(kind: Kind, file: string, dataset: string | undefined, s: ImportSummary): string {
  const target = dataset ? ` into dataset "${dataset}" (id ${s.datasetId})` : "";
  if (s.unchanged) return `${file}: identical content already imported${target}; nothing written`;
  const parts = [`${s.rows} rows`, `${s.counties} counties`];
  if (kind === "observations" || kind === "accounts") parts.push(`${s.years} years`);
  if (kind === "observations") parts.push(`${s.indicators} indicators`);
  return `${file}: imported ${parts.join(", ")}${target}`;
}
