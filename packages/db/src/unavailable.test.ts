import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createDb, isWritable } from "./create-db.js";
import { NotFoundError, UnavailableError, unavailableReason } from "./errors.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "govdiffusion-unavailable-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("unavailableReason: the one classifier of infrastructure failures", () => {
  it("recognises unreachable databases from Prisma, the driver adapters and the raw drivers", async () => {
    // Real errors: PostgreSQL on a port where nothing listens, SQLite on a path that is a directory.
    const pgDown = createDb({ url: "postgresql://nobody:x@127.0.0.1:1/none" });
    const pgErr = await pgDown.county.findMany({ take: 1 }).catch((e: unknown) => e);
    expect(unavailableReason(pgErr)).toBe("UNREACHABLE");
    expect(unavailableReason(await pgDown.$queryRawUnsafe("SELECT 1").catch((e: unknown) => e))).toBe("UNREACHABLE");
    const sqliteDir = createDb({ url: `file:${dir}` });
    expect(unavailableReason(await sqliteDir.county.findMany({ take: 1 }).catch((e: unknown) => e))).toBe("UNREACHABLE");
    // Shapes seen from the drivers themselves (pg pool, COPY streams, better-sqlite3).
    expect(unavailableReason(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }))).toBe("UNREACHABLE");
    expect(unavailableReason(new Error("Connection terminated unexpectedly"))).toBe("UNREACHABLE");
    expect(unavailableReason(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }))).toBe("UNREACHABLE");
    expect(unavailableReason(Object.assign(new Error("the database system is starting up"), { code: "57P03" }))).toBe("UNREACHABLE");
    expect(unavailableReason({ code: "P1017", message: "Server has closed the connection." })).toBe("UNREACHABLE");
    expect(unavailableReason(new Error("wrapped", { cause: { kind: "ConnectionClosed" } }))).toBe("UNREACHABLE");
    expect(unavailableReason(Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" }))).toBe("UNREACHABLE");
  });

  it("recognises read-only stores: PostgreSQL 25006, SQLITE_READONLY*", () => {
    expect(unavailableReason({ code: "P2010", meta: { driverAdapterError: { cause: { originalCode: "25006", kind: "postgres" } } } })).toBe("READ_ONLY");
    expect(unavailableReason(Object.assign(new Error("attempt to write a readonly database"), { code: "SQLITE_READONLY" }))).toBe("READ_ONLY");
    expect(unavailableReason(new UnavailableError("READ_ONLY", "x"))).toBe("READ_ONLY");
  });

  it("leaves everything else alone: bugs, constraint violations, domain errors", () => {
    expect(unavailableReason(new Error("Cannot read properties of undefined"))).toBeUndefined();
    expect(unavailableReason({ code: "P2002", meta: { target: ["name"] } })).toBeUndefined();
    expect(unavailableReason({ code: "23505" })).toBeUndefined();
    expect(unavailableReason(new NotFoundError("model 1 not found"))).toBeUndefined();
    expect(unavailableReason(null)).toBeUndefined();
  });
});

describe("isWritable (readiness)", () => {
  const file = path.join(dir, "w.db");
  const raw = new Database(file);
  raw.exec("CREATE TABLE t (x INTEGER)");
  raw.pragma("journal_mode = WAL");
  raw.close();

  it("SQLite: true for a writable file, also while another connection holds the write lock", async () => {
    const db = createDb({ url: `file:${file}` });
    expect(await isWritable(db)).toBe(true);
    const writer = new Database(file);
    writer.exec("BEGIN IMMEDIATE");
    try {
      expect(await isWritable(db)).toBe(true);
    } finally {
      writer.exec("ROLLBACK");
      writer.close();
    }
    await db.$disconnect();
  });

  it("SQLite: false for a file opened ?mode=ro, whose writes fail with SQLITE_READONLY", async () => {
    const db = createDb({ url: `file:${file}?mode=ro` });
    expect(await isWritable(db)).toBe(false);
    const err = await db.$executeRawUnsafe("INSERT INTO t (x) VALUES (1)").catch((e: unknown) => e);
    expect(unavailableReason(err)).toBe("READ_ONLY");
    await db.$disconnect();
  });
});
