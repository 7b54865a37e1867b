import fs from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import Database from "better-sqlite3";
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
/** The SQLite file and open mode behind a client (for the writability probe and raw bulk connections). */
const sqliteFiles = new WeakMap<object, { file: string; readonly: boolean }>();
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
export function connectionTargetOf(db: Db): { provider: "sqlite"; file: string; readonly: boolean } | { provider: "postgres"; url: string } {
  const provider = providerOf(db);
  const target = targets.get(db)!;
  return provider === "postgres" ? { provider, url: target } : { provider, file: target, readonly: sqliteFiles.get(db)?.readonly ?? false };
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

/** `file:…?mode=ro` opens the SQLite file read-only (as SQLite's own URI parameter does). */
export function sqliteReadOnly(url: string): boolean {
  const q = url.indexOf("?");
  return q >= 0 && new URLSearchParams(url.slice(q + 1)).get("mode") === "ro";
}

/**
 * A Prisma client for `url`: SQLite for `file:…` (parent directory created; `?mode=ro` opens it
 * read-only), PostgreSQL for postgres(ql)://.
 */
export function createDb({ url }: { url: string }): Db {
  const provider = providerOfUrl(url);
  let db: Db;
  if (provider === "postgres") {
    db = new PgClient({ adapter: new PrismaPg({ connectionString: url }) });
  } else {
    const file = sqlitePath(url);
    const readonly = sqliteReadOnly(url);
    if (file !== ":memory:" && !readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
    db = new SqliteClient({
      adapter: new PrismaBetterSQLite3({ url: `file:${file}`, timeout: SQLITE_BUSY_TIMEOUT_MS, ...(readonly ? { readonly: true } : {}) }),
    }) as unknown as Db;
    sqliteFiles.set(db, { file, readonly });
  }
  providers.set(db, provider);
  targets.set(db, provider === "postgres" ? url : sqlitePath(url));
  return db;
}

/**
 * Whether a write would succeed now, checked cheaply without writing (readiness): PostgreSQL reports
 * `transaction_read_only` (on under default_transaction_read_only and on a hot standby). SQLite:
 * a file opened with `?mode=ro` is read-only; otherwise a short-lived connection rewrites the
 * header's user_version with its own value inside `BEGIN IMMEDIATE … ROLLBACK` (BEGIN IMMEDIATE
 * alone succeeds even on a read-only file), without waiting: a lock held by another writer means
 * writes work.
 * Throws what the driver throws when the database is unreachable.
 */
export async function isWritable(db: Db): Promise<boolean> {
  if (providerOf(db) === "postgres") {
    const rows = await db.$queryRawUnsafe<{ ro: string }[]>("SELECT current_setting('transaction_read_only') AS ro");
    return rows[0]?.ro !== "on";
  }
  const { file, readonly } = sqliteFiles.get(db)!;
  if (file === ":memory:") return true;
  if (readonly) return false;
  const probe = new Database(file, { fileMustExist: true, timeout: 0 });
  try {
    probe.exec("BEGIN IMMEDIATE");
    probe.pragma(`user_version = ${Number(probe.pragma("user_version", { simple: true }))}`);
    probe.exec("ROLLBACK");
    return true;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_BUSY")) return true;
    if (typeof code === "string" && code.startsWith("SQLITE_READONLY")) return false;
    throw err;
  } finally {
    if (probe.inTransaction) probe.exec("ROLLBACK");
    probe.close();
  }
}
