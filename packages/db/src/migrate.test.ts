import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrateDatabase, migrationsDir, readMigrations } from "./migrate.js";
import { createTestDb, testProvider, type TestDb } from "./testing/test-db.js";

const repoPrisma = path.resolve(import.meta.dirname, "..", "..", "..", "prisma");
const modelBlocks = (file: string) => {
  const text = fs.readFileSync(file, "utf8");
  const at = text.indexOf("// ---- models");
  expect(at).toBeGreaterThan(0);
  return text.slice(at);
};

describe("schemas and migrations", () => {
  it("keeps the model blocks of the SQLite and PostgreSQL schemas identical", () => {
    expect(modelBlocks(path.join(repoPrisma, "sqlite", "schema.prisma"))).toBe(modelBlocks(path.join(repoPrisma, "postgres", "schema.prisma")));
  });

  it("has the same migration names for both providers, with lock files", () => {
    const names = (p: "sqlite" | "postgres") => readMigrations(p).map((m) => m.name);
    expect(names("sqlite")).toEqual(names("postgres"));
    expect(names("sqlite").length).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(migrationsDir("sqlite"), "migration_lock.toml"), "utf8")).toContain('provider = "sqlite"');
    expect(fs.readFileSync(path.join(migrationsDir("postgres"), "migration_lock.toml"), "utf8")).toContain('provider = "postgresql"');
  });

  // The migration history, applied in order, must give the same database as the current schema.
  // `prisma migrate diff --from-migrations` needs a shadow database that the JS engine cannot provide
  // offline, so compare instead: committed migrations vs. a fresh script generated from the schema.
  it.skipIf(testProvider() !== "sqlite")("fails when a schema change has no migration (SQLite)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "govdiffusion-drift-"));
    try {
      const script = execFileSync(
        "npx",
        ["prisma", "migrate", "diff", "--config", "prisma.sqlite.config.ts", "--from-empty", "--to-schema-datamodel", "../../prisma/sqlite/schema.prisma", "--script"],
        { cwd: path.resolve(import.meta.dirname, ".."), env: { ...process.env, DATABASE_URL: `file:${path.join(dir, "cli.db")}` }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
      );
      const fresh = new Database(path.join(dir, "fresh.db"));
      fresh.exec(script);
      await migrateDatabase({ url: `file:${path.join(dir, "migrated.db")}` });
      const migrated = new Database(path.join(dir, "migrated.db"));
      expect(describeSqlite(migrated)).toEqual(describeSqlite(fresh));
      fresh.close();
      migrated.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

it.skipIf(testProvider() !== "postgres")("fails when a schema change has no migration (PostgreSQL)", async () => {
  const admin = process.env["TEST_PG_URL"]!;
  const script = execFileSync(
    "npx",
    ["prisma", "migrate", "diff", "--config", "prisma.postgres.config.ts", "--from-empty", "--to-schema-datamodel", "../../prisma/postgres/schema.prisma", "--script"],
    { cwd: path.resolve(import.meta.dirname, ".."), env: { ...process.env, DATABASE_URL: admin }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  const migrated = await createTestDb("pgmigrated");
  const name = `govdiffusion_test_fresh_${process.pid}_${Date.now().toString(36)}`;
  const adminClient = new pg.Client({ connectionString: admin });
  await adminClient.connect();
  await adminClient.query(`CREATE DATABASE "${name}"`);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  const fresh = new pg.Client({ connectionString: u.toString() });
  const m = new pg.Client({ connectionString: migrated.url });
  try {
    await fresh.connect();
    await fresh.query(script);
    await m.connect();
    expect(await describePg(m)).toEqual(await describePg(fresh));
  } finally {
    await fresh.end();
    await m.end();
    await migrated.cleanup();
    await adminClient.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await adminClient.end();
  }
});

async function describePg(c: pg.Client): Promise<unknown> {
  const q = async (sql: string) => (await c.query(sql)).rows;
  return {
    columns: await q(`SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY table_name, column_name`),
    indexes: await q(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY indexname`),
    constraints: await q(`SELECT tc.table_name, tc.constraint_name, tc.constraint_type, rc.update_rule, rc.delete_rule
      FROM information_schema.table_constraints tc LEFT JOIN information_schema.referential_constraints rc ON rc.constraint_name = tc.constraint_name
      WHERE tc.table_schema = 'public' AND tc.table_name <> '_prisma_migrations' AND tc.constraint_type <> 'CHECK' ORDER BY tc.constraint_name`),
  };
}

/** Tables, columns, indexes and foreign keys of a SQLite database (Prisma's own table left out). */
function describeSqlite(db: Database.Database): unknown {
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
  return tables.map((t) => ({
    table: t,
    columns: db.prepare(`PRAGMA table_info("${t}")`).all(),
    indexes: (db.prepare(`PRAGMA index_list("${t}")`).all() as { name: string; unique: number }[])
      .map((i) => ({ name: i.name, unique: i.unique, cols: (db.prepare(`PRAGMA index_info("${i.name}")`).all() as { name: string }[]).map((c) => c.name) }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    fks: db.prepare(`PRAGMA foreign_key_list("${t}")`).all(),
  }));
}

describe("migrateDatabase", () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb("migrate");
  });
  afterAll(() => t.cleanup());

  it("records applied migrations like Prisma Migrate and is idempotent", async () => {
    const again = await migrateDatabase({ url: t.url });
    const names = readMigrations(t.provider).map((m) => m.name);
    expect(again).toEqual({ applied: [], alreadyApplied: names });
    const rows = await t.db.$queryRawUnsafe<{ migration_name: string; checksum: string }[]>(
      `SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    expect(rows.map((r) => r.checksum)).toEqual(readMigrations(t.provider).map((m) => m.checksum));
    expect(await t.db.county.count()).toBe(0);
  });

  it("applies migrations concurrently without applying any twice", async () => {
    const results = await Promise.all([migrateDatabase({ url: t.url }), migrateDatabase({ url: t.url })]);
    for (const r of results) expect(r.applied).toEqual([]);
    const count = await t.db.$queryRawUnsafe<{ n: unknown }[]>(`SELECT COUNT(*) AS n FROM "_prisma_migrations"`);
    expect(Number(count[0]!.n)).toBe(readMigrations(t.provider).length);
  });
});
