/**
 * A throwaway, migrated database per test file: a temp SQLite file by default, or — when
 * GOVDIFFUSION_TEST_PROVIDER=postgres (set by vitest.pg.config.ts) — a fresh database created on
 * the server of TEST_PG_URL and dropped afterwards.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createDb, type Db } from "../create-db.js";
import { migrateDatabase } from "../migrate.js";

export interface TestDb { db: Db; url: string; provider: "sqlite" | "postgres"; cleanup(): Promise<void> }

export const testProvider = (): "sqlite" | "postgres" => (process.env["GOVDIFFUSION_TEST_PROVIDER"] === "postgres" ? "postgres" : "sqlite");

export async function createTestDb(label = "t"): Promise<TestDb> {
  if (testProvider() === "postgres") {
    const admin = process.env["TEST_PG_URL"];
    if (!admin) throw new Error("TEST_PG_URL is required for the PostgreSQL suite (see packages/db/README.md)");
    const name = `govdiffusion_test_${label.replace(/\W/g, "_").toLowerCase()}_${process.pid}_${Date.now().toString(36)}`;
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE "${name}"`);
    await client.end();
    const u = new URL(admin);
    u.pathname = `/${name}`;
    const url = u.toString();
    await migrateDatabase({ url });
    const db = createDb({ url });
    return {
      db, url, provider: "postgres",
      async cleanup() {
        await db.$disconnect();
        await dropDatabase(admin, name);
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `govdiffusion-db-${label}-`));
  const url = `file:${path.join(dir, "test.db")}`;
  await migrateDatabase({ url });
  const db = createDb({ url });
  return {
    db, url, provider: "sqlite",
    async cleanup() {
      await db.$disconnect();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * DROP DATABASE … WITH (FORCE), or without FORCE when this role may not terminate a backend
 * connected to it (an autovacuum worker after a large import: plain DROP DATABASE stops those
 * itself, FORCE refuses with 42501).
 */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } catch (err) {
    if ((err as { code?: string }).code !== "42501") throw err;
    await c.query(`DROP DATABASE IF EXISTS "${name}"`);
  } finally {
    await c.end();
  }
}

/** Minimal reference data: 4 counties in 2 prefectures, adjacency A-B, A-C, B-C, C-D. */
export async function seedTinyGraph(db: Db): Promise<void> {
  await db.prefecture.createMany({ data: [{ code: "450100", name: "南宁市", nameEn: "Nanning" }, { code: "450200", name: "柳州市", nameEn: "Liuzhou" }] });
  await db.county.createMany({
    data: [
      { code: "450102", nameZh: "甲", nameEn: "A", kind: "district", prefectureCode: "450100" },
      { code: "450103", nameZh: "乙", nameEn: "B", kind: "district", prefectureCode: "450100" },
      { code: "450104", nameZh: "丙", nameEn: "C", kind: "county", prefectureCode: "450100" },
      { code: "450202", nameZh: "丁", nameEn: "D", kind: "autonomous_county", prefectureCode: "450200" },
    ],
  });
  await db.countyAdjacency.createMany({
    data: [
      { codeA: "450102", codeB: "450103", sharedBorderM: 1000 },
      { codeA: "450102", codeB: "450104", sharedBorderM: 2000 },
      { codeA: "450103", codeB: "450104", sharedBorderM: null },
      { codeA: "450104", codeB: "450202", sharedBorderM: 500 },
    ],
  });
  await db.indicator.createMany({
    data: [
      { key: "wechat_accounts", label: "Accounts", unit: "accounts", description: "d", role: "outcome" },
      { key: "population", label: "Population", unit: "persons", description: "d", role: "determinant" },
    ],
  });
}
