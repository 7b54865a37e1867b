import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, ImportError } from "../errors.js";
import { createTestDb, seedTinyGraph, type TestDb } from "../testing/test-db.js";
import { importObservations } from "./observations.js";
import { importAccounts, importAdjacency, importCounties } from "./reference.js";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb("import");
  await seedTinyGraph(t.db);
});
afterAll(() => t.cleanup());

const LONG = `county_code,year,indicator,value
450102,2019,population,100
450103,2019,population,200.5
450102,2020,wechat_accounts,3
`;

async function importError(p: Promise<unknown>): Promise<ImportError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ImportError);
  return err as ImportError;
}

describe("importObservations", () => {
  it("imports long CSV (from a stream) and summarises it", async () => {
    const s = await importObservations(t.db, Readable.from([LONG.slice(0, 20), LONG.slice(20)]), { file: "long.csv", dataset: "long" });
    expect(s).toMatchObject({ rows: 3, counties: 2, years: 2, indicators: 2, unchanged: false });
    const rows = await t.db.observation.findMany({ where: { datasetId: s.datasetId! }, orderBy: [{ year: "asc" }, { countyCode: "asc" }] });
    expect(rows.map((r) => [r.countyCode, r.year, r.indicatorKey, r.value])).toEqual([
      ["450102", 2019, "population", 100],
      ["450103", 2019, "population", 200.5],
      ["450102", 2020, "wechat_accounts", 3],
    ]);
    const ds = await t.db.dataset.findUniqueOrThrow({ where: { id: s.datasetId! } });
    // sha256 of the exact bytes
    const { createHash } = await import("node:crypto");
    expect(ds.checksum).toBe(createHash("sha256").update(LONG).digest("hex"));
  });

  it("recognises identical content (nothing written) and refuses different content unless replace", async () => {
    const before = await t.db.dataset.findUniqueOrThrow({ where: { name: "long" } });
    const again = await importObservations(t.db, LONG, { file: "long.csv", dataset: "long" });
    expect(again).toEqual({ datasetId: before.id, rows: 3, counties: 2, years: 2, indicators: 2, unchanged: true });
    expect((await t.db.dataset.findUniqueOrThrow({ where: { name: "long" } })).importedAt).toEqual(before.importedAt);
    const changed = LONG.replace("200.5", "201");
    await expect(importObservations(t.db, changed, { file: "long2.csv", dataset: "long" })).rejects.toBeInstanceOf(ConflictError);
    const replaced = await importObservations(t.db, changed, { file: "long2.csv", dataset: "long", replace: true });
    expect(replaced).toMatchObject({ datasetId: before.id, rows: 3, unchanged: false });
    expect((await t.db.observation.findFirstOrThrow({ where: { datasetId: before.id, countyCode: "450103" } })).value).toBe(201);
    const sameAgain = await importObservations(t.db, changed, { file: "long2.csv", dataset: "long", replace: true });
    expect(sameAgain.unchanged).toBe(true);
  });

  it("imports wide CSV, skipping empty/NA cells", async () => {
    const s = await importObservations(t.db, "county_code,year,population,wechat_accounts\n450102,2019,1,NA\n450103,2019,,2\n450104,2020,3,4\n", {
      file: "wide.csv", dataset: "wide", format: "wide",
    });
    expect(s).toMatchObject({ rows: 3, counties: 3, years: 2, indicators: 2 });
    expect(await t.db.observation.count({ where: { datasetId: s.datasetId! } })).toBe(4);
  });

  it("reports file, line and column for bad rows and writes nothing", async () => {
    const cases: [string, number, string | null, RegExp][] = [
      ["county_code,year,indicator,value\n450102,2019,population,1\n999999,2019,population,1\n", 3, "county_code", /unknown county code "999999"/],
      ["county_code,year,indicator,value\n450102,2019,population,abc\n", 2, "value", /"abc" is not a number/],
      ["county_code,year,indicator,value\n450102,19,population,1\n", 2, "year", /bad year "19"/],
      ["county_code,year,indicator,value\n450102,2019,gdp,1\n", 2, "indicator", /unknown indicator "gdp".*--create-indicators/],
      ["county_code,year,indicator,value\n450102,2019,population,1\n\n450102,2019,population,2\n", 4, "value", /duplicate value for county 450102, year 2019, indicator population/],
      ["county_code,year,value\n450102,2019,1\n", 1, "indicator", /missing column "indicator"/],
    ];
    for (const [csv, line, column, problem] of cases) {
      const e = await importError(importObservations(t.db, csv, { file: "bad.csv", dataset: "bad" }));
      expect({ file: e.file, line: e.line, column: e.column }).toEqual({ file: "bad.csv", line, column });
      expect(e.message).toMatch(problem);
      expect(e.message.startsWith(`bad.csv:${line}`)).toBe(true);
    }
    expect(await t.db.dataset.findUnique({ where: { name: "bad" } })).toBeNull();
  });

  it("rolls back everything when the error is after many written batches", async () => {
    const lines = ["county_code,year,indicator,value"];
    for (let y = 1901; y <= 2100; y++) for (const c of ["450102", "450103", "450104", "450202"]) lines.push(`${c},${y},population,${y}`);
    lines.push("450102,2000,population,x");
    const e = await importError(importObservations(t.db, lines.join("\n"), { file: "big.csv", dataset: "big" }));
    expect(e.line).toBe(lines.length);
    expect(await t.db.dataset.findUnique({ where: { name: "big" } })).toBeNull();
    expect(await t.db.observation.count({ where: { year: 1901 } })).toBe(0);
  });

  it("creates unknown indicators only when asked", async () => {
    const s = await importObservations(t.db, "county_code,year,indicator,value\n450102,2019,gdp,7\n", { file: "gdp.csv", dataset: "gdp", createIndicators: true });
    expect(s.indicators).toBe(1);
    expect(await t.db.indicator.findUnique({ where: { key: "gdp" } })).toMatchObject({ key: "gdp", label: "gdp", role: "determinant" });
  });

  it("runs two imports at once without mixing them", async () => {
    const mk = (v: number) => {
      const l = ["county_code,year,indicator,value"];
      for (let y = 1950; y < 2050; y++) for (const c of ["450102", "450103", "450104", "450202"]) l.push(`${c},${y},population,${v}`);
      return l.join("\n");
    };
    const [a, b] = await Promise.all([
      importObservations(t.db, mk(1), { file: "c1.csv", dataset: "c1" }),
      importObservations(t.db, mk(2), { file: "c2.csv", dataset: "c2" }),
    ]);
    for (const [s, v] of [[a, 1], [b, 2]] as const) {
      expect(s.rows).toBe(400);
      const agg = await t.db.observation.aggregate({ where: { datasetId: s.datasetId! }, _count: true, _min: { value: true }, _max: { value: true } });
      expect([agg._count, agg._min.value, agg._max.value]).toEqual([400, v, v]);
    }
    // The same new name twice at once: one import wins, the other sees identical content.
    const [x, y] = await Promise.all([
      importObservations(t.db, mk(3), { file: "d.csv", dataset: "d" }),
      importObservations(t.db, mk(3), { file: "d.csv", dataset: "d" }),
    ]);
    expect([x.unchanged, y.unchanged].sort()).toEqual([false, true]);
    expect(await t.db.observation.count({ where: { datasetId: x.datasetId! } })).toBe(400);
  });
});

describe("importObservations write pass (driver connection: prepared statement on SQLite, COPY on PostgreSQL)", () => {
  const mkLong = (n: number, last: string) => {
    const l = ["county_code,year,indicator,value"];
    for (let i = 0; l.length <= n; i++) l.push(`${["450102", "450103", "450104", "450202"][i % 4]},${1901 + (Math.floor(i / 4) % 200)},bulk_${Math.floor(i / 800)},${i}`);
    l.push(last);
    return l.join("\n") + "\n";
  };

  it("a bad value on the last line of a large file: that line is named and nothing is written", async () => {
    const csv = mkLong(6_000, "450103,2100,gdp_new,abc");
    const e = await importError(importObservations(t.db, csv, { file: "last.csv", dataset: "last", createIndicators: true }));
    expect([e.line, e.column, e.message]).toEqual([6_002, "value", 'last.csv:6002: column value: "abc" is not a number (decimal notation, e.g. 12.5 or -3e4)']);
    expect(await t.db.dataset.findUnique({ where: { name: "last" } })).toBeNull();
    expect(await t.db.indicator.findUnique({ where: { key: "gdp_new" } })).toBeNull();
  });

  it("a failure inside the database on the last row rolls back the dataset, its rows and new indicators", async () => {
    // A trigger refuses the last row while it is being written: the parse pass accepted everything.
    if (t.provider === "postgres") {
      await t.db.$executeRawUnsafe(`CREATE FUNCTION refuse_666() RETURNS trigger AS $$ BEGIN IF NEW.value = 666666 THEN RAISE EXCEPTION 'refused by test trigger'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
      await t.db.$executeRawUnsafe(`CREATE TRIGGER refuse_666 BEFORE INSERT ON "Observation" FOR EACH ROW EXECUTE FUNCTION refuse_666()`);
    } else {
      await t.db.$executeRawUnsafe(`CREATE TRIGGER refuse_666 BEFORE INSERT ON "Observation" WHEN NEW.value = 666666 BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END`);
    }
    try {
      const csv = mkLong(6_000, "450103,2100,gdp_trig,666666");
      await expect(importObservations(t.db, csv, { file: "trig.csv", dataset: "trig", createIndicators: true })).rejects.toThrow(/refused by test trigger/);
      expect(await t.db.dataset.findUnique({ where: { name: "trig" } })).toBeNull();
      expect(await t.db.observation.count({ where: { indicatorKey: "gdp_trig" } })).toBe(0);
      expect(await t.db.indicator.findUnique({ where: { key: "gdp_trig" } })).toBeNull();
      // Without the trigger the same file goes in whole.
      await t.db.$executeRawUnsafe(t.provider === "postgres" ? `DROP TRIGGER refuse_666 ON "Observation"` : `DROP TRIGGER refuse_666`);
      const s = await importObservations(t.db, csv, { file: "trig.csv", dataset: "trig", createIndicators: true });
      expect(s).toMatchObject({ rows: 6_001, counties: 4, years: 200, indicators: 9, unchanged: false });
      expect(await t.db.observation.count({ where: { datasetId: s.datasetId! } })).toBe(6_001);
      expect((await t.db.observation.findFirstOrThrow({ where: { datasetId: s.datasetId!, indicatorKey: "gdp_trig" } })).value).toBe(666666);
    } finally {
      await t.db.$executeRawUnsafe(t.provider === "postgres" ? `DROP TRIGGER IF EXISTS refuse_666 ON "Observation"` : `DROP TRIGGER IF EXISTS refuse_666`);
    }
  });

  it("stores values bit for bit and dataset metadata as Prisma reads it", async () => {
    const values = [0.1, -3e-7, 1.7976931348623157e308, 5e-324, 123456789.123456789, -0];
    const csv = ["county_code,year,indicator,value", ...values.map((v, i) => `450102,${2000 + i},population,${v === 0 ? "-0.0" : String(v)}`)].join("\n");
    const before = Date.now();
    const s = await importObservations(t.db, csv, { file: "bits.csv", dataset: "bits", source: "S", provenance: "P", synthetic: true });
    const rows = await t.db.observation.findMany({ where: { datasetId: s.datasetId! }, orderBy: { year: "asc" } });
    expect(rows.map((r) => r.value)).toEqual(values.map((v) => (v === 0 ? 0 : v)));
    const ds = await t.db.dataset.findUniqueOrThrow({ where: { id: s.datasetId! } });
    expect(ds).toMatchObject({ name: "bits", source: "S", provenance: "P", synthetic: true });
    expect(ds.importedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(ds.importedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it("waits for a write transaction another connection of this process holds, then imports", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const lockTaken = new Promise<void>((r) => (locked = r));
    const holder = t.db.$transaction(async (tx) => {
      // A write (on SQLite: the database write lock; on PostgreSQL: the dataset's advisory lock).
      if (t.provider === "postgres") await tx.$queryRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext('govdiffusion:dataset:waiter'))::text`);
      else await tx.$executeRawUnsafe(`UPDATE "Dataset" SET "name" = "name" WHERE 0 = 1`);
      await tx.indicator.create({ data: { key: "held_key", label: "h", unit: "", description: "", role: "determinant" } });
      locked();
      await held;
    }, { timeout: 60_000 });
    await lockTaken;
    const importing = importObservations(t.db, "county_code,year,indicator,value\n450102,2019,held_key,1\n", { file: "w.csv", dataset: "waiter", createIndicators: true });
    let done = false;
    void importing.then(() => (done = true), () => (done = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false); // still waiting for the lock (and the thread is not blocked: this line runs)
    release();
    await holder;
    const s = await importing;
    expect(s).toMatchObject({ rows: 1, indicators: 1, unchanged: false });
    expect((await t.db.indicator.findUniqueOrThrow({ where: { key: "held_key" } })).label).toBe("h");
  });
});

describe("reference imports", () => {
  it("imports counties (with prefectures) and adjacency, validating codes", async () => {
    const s = await importCounties(
      t.db,
      "code,name_zh,name_en,prefecture_code,prefecture_zh,prefecture_en,kind,vintage\n450301,秀峰区,Xiufeng District,450300,桂林市,Guilin,district,2020\n450102,兴宁区,Xingning District,450100,南宁市,Nanning,district,2020\n",
      { file: "counties.csv" },
    );
    expect(s).toMatchObject({ rows: 2, counties: 2 });
    expect(await t.db.county.findUnique({ where: { code: "450102" } })).toMatchObject({ nameZh: "兴宁区", nameEn: "Xingning District" });
    expect(await t.db.prefecture.findUnique({ where: { code: "450300" } })).toEqual({ code: "450300", name: "桂林市", nameEn: "Guilin" });
    const e = await importError(importCounties(t.db, "code,name_zh,name_en,prefecture_code,prefecture_zh,prefecture_en,kind\n450302,x,y,450300,a,b,city\n", { file: "c.csv" }));
    expect([e.line, e.column]).toEqual([2, "kind"]);

    const adj = await importAdjacency(t.db, "code_a,code_b,shared_m\n450301,450102,12.5\n", { file: "adj.csv" });
    expect(adj).toMatchObject({ rows: 1, counties: 2 });
    expect(await t.db.countyAdjacency.findUnique({ where: { codeA_codeB: { codeA: "450102", codeB: "450301" } } })).toEqual({ codeA: "450102", codeB: "450301", sharedBorderM: 12.5 });
    const e2 = await importError(importAdjacency(t.db, "code_a,code_b\n450102,450103\n450103,450102\n", { file: "adj.csv" }));
    expect([e2.line, e2.column, e2.message]).toEqual([3, "code_b", "adj.csv:3: column code_b: duplicate pair 450102-450103 (first on line 2)"]);
    const e3 = await importError(importAdjacency(t.db, "code_a,code_b\n450102,123456\n", { file: "adj.csv" }));
    expect([e3.line, e3.column]).toEqual([2, "code_b"]);
  });

  it("imports account records, recognises re-imports and refuses conflicting ones", async () => {
    const csv = "name,county_code,agency,registered_on\n平安兴宁,450102,police,2014-02-03\n";
    const s = await importAccounts(t.db, csv, { file: "acc.csv", dataset: "accounts" });
    expect(s).toMatchObject({ rows: 1, counties: 1, years: 1, unchanged: false });
    const rec = await t.db.accountRecord.findFirstOrThrow({ where: { datasetId: s.datasetId! } });
    expect(rec.registeredOn.toISOString()).toBe("2014-02-03T00:00:00.000Z");
    expect((await importAccounts(t.db, csv, { file: "acc.csv", dataset: "accounts" })).unchanged).toBe(true);
    await expect(importAccounts(t.db, csv.replace("2014", "2015"), { file: "acc.csv", dataset: "accounts" })).rejects.toBeInstanceOf(ConflictError);
    const e = await importError(importAccounts(t.db, "name,county_code,agency,registered_on\nx,450102,p,2014-02-30\n", { file: "a.csv", dataset: "z" }));
    expect([e.line, e.column]).toEqual([2, "registered_on"]);
  });
});
