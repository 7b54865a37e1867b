import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PgClient, type Prisma } from "./generated/postgres/client.js";
import { PrismaClient as SqliteClient } from "./generated/sqlite/client.js";
import { ValidationError } from "./errors.js";

export type Provider = "sqlite" | "postgres";

/**
 * Both clients are generated from identical models (prisma/{sqlite,postgres}/schema.prisma).
 * The cast in createDb is the only sanctioned one; the repository suite runs on both providers.
 */
export type Db = PgClient;
/** The client inside an interactive transaction. */
export type DbTx = Prisma.TransactionClient;

const providers = new WeakMap<object, Provider>();
/** What a client from createDb connects to: the absolute SQLite file or the PostgreSQL URL (for raw bulk connections). */
const targets = new WeakMap<object, string>();

/** How long a SQLite writer waits for another writer's lock before failing (ms). */
export const SQLITE_BUSY_TIMEOUT_MS = 30_000;

export function providerOfUrl(url: string): Provider {
  if (/^postgres(ql)?:\/\//.test(url)) return "postgres";
  if (url.startsWith("file:")) return "sqlite";
  throw new ValidationError("DATABASE_URL", `unsupported database URL "${redactUrl(url)}": use file:PATH (SQLite) or postgresql://… (PostgreSQL)`);
}

/** The provider a client from createDb talks to. */
export function providerOf(db: Db): Provider {
  const p = providers.get(db);
  if (!p) throw new Error("providerOf: this client was not created by createDb()");
  return p;
}

/**
 * The database a client from createDb talks to, for code that opens its own driver connection
 * (bulk imports): `{ provider: "sqlite", file }` (absolute path, or ":memory:") or
 * `{ provider: "postgres", url }`. A new connection per call, so it works in any thread.
 */
export function connectionTargetOf(db: Db): { provider: "sqlite"; file: string } | { provider: "postgres"; url: string } {
  const provider = providerOf(db);
  const target = targets.get(db)!;
  return provider === "postgres" ? { provider, url: target } : { provider, file: target };
}

/**
 * `file:` URL → absolute path (resolved against `cwd`, not the schema folder, see STYLE 3.5).
 * `file::memory:` is kept as is.
 */
export function sqlitePath(url: string, cwd = process.cwd()): string {
  const raw = url.replace(/^file:(\/\/)?/, "").replace(/\?.*$/, "");
  if (raw === ":memory:") return raw;
  return path.resolve(cwd, raw);
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}

/** A Prisma client for `url`: SQLite for `file:…` (parent directory created), PostgreSQL for postgres(ql)://. */
export function createDb({ url }: { url: string }): Db {
  const provider = providerOfUrl(url);
  let db: Db;
  if (provider === "postgres") {
    db = new PgClient({ adapter: new PrismaPg({ connectionString: url }) });
  } else {
    const file = sqlitePath(url);
    if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
    db = new SqliteClient({
      adapter: new PrismaBetterSQLite3({ url: `file:${file}`, timeout: SQLITE_BUSY_TIMEOUT_MS }),
    }) as unknown as Db;
  }
  providers.set(db, provider);
  targets.set(db, provider === "postgres" ? url : sqlitePath(url));
  return db;
}
