/**
 * Applies the committed Prisma migrations at runtime without the Prisma CLI: reads
 * prisma/<provider>/migrations/<name>/migration.sql in name order and records each applied one in a
 * `_prisma_migrations` table with the same layout and checksum (sha256 of the file) as Prisma Migrate,
 * so `prisma migrate status/deploy` agree with it. Each migration runs in its own transaction and
 * concurrent callers are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: advisory lock).
 */
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { providerOfUrl, sqlitePath, type Provider } from "./create-db.js";

export interface Migration { name: string; sql: string; checksum: string }
export interface MigrateResult { applied: string[]; alreadyApplied: string[] }

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * The repo's prisma/<provider>/migrations (source of truth, preferred so a stale build cannot ship old
 * SQL), else the copy that `npm run build` puts in dist/migrations/<provider>.
 */
export function migrationsDir(provider: Provider): string {
  const candidates = [
    path.resolve(here, "..", "..", "..", "prisma", provider, "migrations"),
    path.resolve(here, "migrations", provider),
  ];
  // The repo candidate must sit next to its schema.prisma (when installed under node_modules,
  // ../../../prisma would be the `prisma` npm package instead).
  const [repo, shipped] = candidates as [string, string];
  if (fs.existsSync(path.join(repo, "..", "schema.prisma")) && fs.existsSync(repo)) return repo;
  if (fs.existsSync(shipped)) return shipped;
  throw new Error(`no migrations found for ${provider}; looked in ${candidates.join(", ")}`);
}

export function readMigrations(provider: Provider, dir = migrationsDir(provider)): Migration[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;
const PG_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

function checkHistory(applied: Map<string, string>, migrations: Migration[]): void {
  for (const m of migrations) {
    const sum = applied.get(m.name);
    if (sum !== undefined && sum !== m.checksum) {
      throw new Error(`migration ${m.name} was modified after it was applied (checksum differs); add a new migration instead`);
    }
  }
}

/** Bring the database at `url` up to date with the committed migrations. Idempotent. */
export async function migrateDatabase({ url }: { url: string }): Promise<MigrateResult> {
  const provider = providerOfUrl(url);
  const migrations = readMigrations(provider);
  return provider === "sqlite" ? migrateSqlite(url, migrations) : migratePostgres(url, migrations);
}

function migrateSqlite(url: string, migrations: Migration[]): MigrateResult {
  const file = sqlitePath(url);
  if (file !== ":memory:") fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { timeout: 30_000 });
  try {
    // WAL lets readers (the API) continue while an import writes; the setting persists in the file.
    db.pragma("journal_mode = WAL");
    db.exec(SQLITE_TABLE);
    const result: MigrateResult = { applied: [], alreadyApplied: [] };
    for (const m of migrations) {
      db.exec("BEGIN IMMEDIATE");
      try {
        const done = db
          .prepare(`SELECT checksum FROM "_prisma_migrations" WHERE migration_name = ? AND finished_at IS NOT NULL AND rolled_back_at IS NULL`)
          .get(m.name) as { checksum: string } | undefined;
        if (done) {
          checkHistory(new Map([[m.name, done.checksum]]), [m]);
          result.alreadyApplied.push(m.name);
          db.exec("COMMIT");
          continue;
        }
        db.exec(m.sql);
        db.prepare(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES (?, ?, current_timestamp, ?, current_timestamp, 1)`,
        ).run(randomUUID(), m.checksum, m.name);
        db.exec("COMMIT");
        result.applied.push(m.name);
      } catch (err) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw err;
      }
    }
    return result;
  } finally {
    db.close();
  }
}

/** Arbitrary constant key for pg_advisory_lock so two servers starting together migrate one at a time. */
const PG_LOCK_KEY = 72_707_369;

async function migratePostgres(url: string, migrations: Migration[]): Promise<MigrateResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PG_LOCK_KEY]);
    await client.query(PG_TABLE);
    const rows = await client.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const applied = new Map(rows.rows.map((r) => [r.migration_name, r.checksum]));
    checkHistory(applied, migrations);
    const result: MigrateResult = { applied: [], alreadyApplied: [] };
    for (const m of migrations) {
      if (applied.has(m.name)) {
        result.alreadyApplied.push(m.name);
        continue;
      }
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ($1, $2, now(), $3, now(), 1)`,
          [randomUUID(), m.checksum, m.name],
        );
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw err;
      }
      result.applied.push(m.name);
    }
    return result;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [PG_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}
