import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, createDb, ensureDatabase, ImportError, NotFoundError, ValidationError, type Db } from "@govdiffusion/db";
import { EstimationError } from "@govdiffusion/estimation";
import { GraphQLError } from "graphql";
import { ConfigError, loadConfig } from "../config.js";
import { createDataAccess } from "../db-access.js";
import { mapDomainError } from "../errors.js";
import type { FitModelCommand } from "../modules/model/model.service.js";
import { sqliteWritesInPool } from "./sqlite-writes.js";
import { reviveError, serializeError } from "./task-errors.js";
import { createInlinePool, createThreadPool, type WorkPool } from "./work-pool.js";

describe("GOVDIFFUSION_POOL_THREADS", () => {
  it("defaults to the machine's available parallelism (at least 1) and takes an integer from 1", () => {
    expect(loadConfig({}).poolThreads).toBe(Math.max(1, os.availableParallelism()));
    expect(loadConfig({ GOVDIFFUSION_POOL_THREADS: "3" }).poolThreads).toBe(3);
    for (const bad of ["0", "-1", "two", "1.5"]) {
      expect(() => loadConfig({ GOVDIFFUSION_POOL_THREADS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ GOVDIFFUSION_POOL_THREADS: bad })).toThrow(`GOVDIFFUSION_POOL_THREADS must be an integer from 1 to 256, got "${bad}"`);
    }
  });
});

describe("task errors cross threads as the same class with the same fields", () => {
  it("serializeError/reviveError keep class, fields and cause", () => {
    const cause = new EstimationError("SINGULAR_DESIGN", "columns are collinear", { column: "x" });
    const back = reviveError(structuredClone(serializeError(new ValidationError("input.predictors", "rank deficient", "SINGULAR_DESIGN", { cause }))));
    expect(back).toBeInstanceOf(ValidationError);
    expect(back).toMatchObject({ name: "ValidationError", field: "input.predictors", reason: "SINGULAR_DESIGN", message: "rank deficient" });
    expect(back.cause).toBeInstanceOf(EstimationError);
    expect(back.cause).toMatchObject({ code: "SINGULAR_DESIGN", column: "x" });

    const gql = reviveError(structuredClone(serializeError(new GraphQLError("degenerate", { extensions: { code: "ESTIMATION_FAILED", reason: "NON_FINITE" } }))));
    expect(gql).toBeInstanceOf(GraphQLError);
    expect((gql as GraphQLError).extensions).toEqual({ code: "ESTIMATION_FAILED", reason: "NON_FINITE" });

    // A class this thread does not know keeps its name and fields (e.g. a database driver's error with a code).
    const driver = Object.assign(new Error("connect ECONNREFUSED"), { name: "DriverAdapterError", code: "ECONNREFUSED" });
    const other = reviveError(structuredClone(serializeError(driver)));
    expect(other).toBeInstanceOf(Error);
    expect(other).toMatchObject({ name: "DriverAdapterError", code: "ECONNREFUSED", message: "connect ECONNREFUSED" });
    expect(reviveError(structuredClone(serializeError(new ConflictError("taken"))))).toBeInstanceOf(ConflictError);
    expect(reviveError(structuredClone(serializeError(new NotFoundError("gone", "modelId"))))).toMatchObject({ field: "modelId" });
  });
});

describe("the thread pool (worker threads with their own SQLite connection)", () => {
  let dir: string;
  let url: string;
  let db: Db;
  let threads: WorkPool;
  let inline: WorkPool;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "govdiffusion-pool-"));
    url = `file:${path.join(dir, "pool.db")}`;
    await ensureDatabase({ url, seed: true });
    db = createDb({ url });
    threads = createThreadPool({ databaseUrl: url, threads: 1 });
    inline = createInlinePool(createDataAccess(db));
  }, 60_000);

  afterAll(async () => {
    await threads?.destroy();
    await db?.$disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const importInput = (csv: string, name: string) => ({
    csv, format: "long" as const, createIndicators: true,
    dataset: { name, source: "test", provenance: "test", synthetic: false },
  });

  it("an import runs in a worker and its writes are visible to this thread's connection", async () => {
    const summary = await threads.run("importObservations", importInput("county_code,year,indicator,value\n450102,2020,pool_test_x,1.5\n450103,2020,pool_test_x,2.5\n", "pool-ok"));
    expect(summary).toMatchObject({ rows: 2, counties: 2, years: 1, indicators: 1 });
    const stored = await db.observation.findMany({ where: { datasetId: summary.datasetId! }, orderBy: { countyCode: "asc" } });
    expect(stored.map((o) => [o.countyCode, o.value])).toEqual([["450102", 1.5], ["450103", 2.5]]);
  });

  it("an ImportError keeps its line and column, mapped like the same error in this thread", async () => {
    const input = importInput("county_code,year,indicator,value\n450102,2020,pool_test_y,1\n450102,20x0,pool_test_y,2\n", "pool-bad");
    const fromThread = await threads.run("importObservations", input).catch((e: unknown) => e);
    const here = await inline.run("importObservations", input).catch((e: unknown) => e);
    expect(fromThread).toBeInstanceOf(ImportError);
    expect(fromThread).toMatchObject({ line: 3, column: "year" });
    expect(mapDomainError(fromThread)).toEqual(mapDomainError(here));
    expect(mapDomainError(fromThread)).toMatchObject({ code: "BAD_USER_INPUT", extensions: { field: "input.csv", line: 3, column: "year" } });
    expect((fromThread as Error).message).toBe((here as Error).message);
  });

  it("a fitModel ValidationError keeps field and reason", async () => {
    const cmd: FitModelCommand = {
      name: "m", datasetId: 999_999, years: [2020], outcome: "accounts", predictors: [], family: "poisson", seType: "oim",
    };
    const err = await threads.run("fitModel", cmd).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ field: "input.datasetId", reason: "UNKNOWN_DATASET", message: "dataset 999999 does not exist" });
    expect(mapDomainError(err)).toEqual({ code: "BAD_USER_INPUT", extensions: { field: "input.datasetId", argument: "input", reason: "UNKNOWN_DATASET" } });
  });

  it("a simulation EstimationError keeps code, column and rows", async () => {
    const fit = { spec: { family: "poisson", outcome: "y", predictors: ["x"], intercept: true } };
    const err = await threads
      .run("simulateWhatIf", {
        fit: fit as never, table: { x: Float64Array.from([1, 2]), pop: Float64Array.from([10, 20]) },
        interventions: [{ column: "pop", operation: "set", value: -1 }], exposure: "pop", options: { method: "simulation", draws: 10 },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EstimationError);
    expect(err).toMatchObject({ code: "INVALID_INPUT", column: "pop" });
  });

  it("on SQLite, a write waiting for another process's lock waits in a pool thread, not on the event loop", async () => {
    const dataset = await db.dataset.create({ data: { name: "pool-lock", source: "t", provenance: "t", synthetic: false, checksum: "x" } });
    const served = sqliteWritesInPool(createDataAccess(db), threads);
    // Another process takes SQLite's write lock and holds it for 1.5 s.
    const sqlite = createRequire(import.meta.url).resolve("better-sqlite3");
    const file = url.slice("file:".length);
    const holder = spawn(process.execPath, ["-e", `
      const db = new (require(${JSON.stringify(sqlite)}))(${JSON.stringify(file)});
      db.exec("BEGIN IMMEDIATE"); console.log("locked");
      setTimeout(() => { db.exec("COMMIT"); process.exit(0); }, 1500);`], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = once(holder, "exit");
    await once(createInterface({ input: holder.stdout! }), "line");

    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 10);
    const t0 = performance.now();
    const deleted = await served.repos.models.delete(999_999); // a DELETE statement: it needs the write lock
    const waited = performance.now() - t0;
    clearInterval(ticker);
    longestGap = Math.max(longestGap, performance.now() - last); // a block that ended just now has had no tick yet
    await exited;
    expect(deleted).toBe(false);
    expect(waited).toBeGreaterThan(500); // it did wait for the lock...
    expect(longestGap).toBeLessThan(300); // ...while this thread's timers kept running
    await db.dataset.delete({ where: { id: dataset.id } });
  });
});
