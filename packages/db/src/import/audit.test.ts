// Regression tests for the data-layer audit findings (B1–B4 and the smaller ones).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, ImportError } from "../errors.js";
import { createTestDb, seedTinyGraph, type TestDb } from "../testing/test-db.js";
import { importObservations } from "./observations.js";
import { importAccounts, importAdjacency, importCounties } from "./reference.js";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb("audit");
  await seedTinyGraph(t.db);
});
afterAll(() => t.cleanup());

async function importError(p: Promise<unknown>): Promise<ImportError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ImportError);
  return err as ImportError;
}

describe("B1: rows whose field count differs from the header", () => {
  it("rejects an unquoted thousands separator (extra field) instead of storing 1", async () => {
    const e = await importError(importObservations(t.db, "county_code,year,indicator,value\n450102,2019,population,1,234\n", { file: "x.csv", dataset: "b1" }));
    expect(e.message).toBe("x.csv:2: 5 fields where the header has 4 (quote values that contain commas)");
    expect(await t.db.dataset.count({ where: { name: "b1" } })).toBe(0);
  });
  it("rejects short and wide rows in wide files", async () => {
    const e = await importError(
      importObservations(t.db, "county_code,year,population,wechat_accounts\n450102,2019,1,2\n450103,2019,1\n", { file: "w.csv", dataset: "b1w", format: "wide" }),
    );
    expect([e.file, e.line, e.problem]).toEqual(["w.csv", 3, "3 fields where the header has 4 (quote values that contain commas)"]);
    const e2 = await importError(importAdjacency(t.db, "code_a,code_b\n450102,450103,9\n", { file: "a.csv" }));
    expect(e2.line).toBe(2);
  });
});

describe("B3: concurrent --create-indicators of the same new key into different datasets", () => {
  it("both succeed and the indicator exists once", async () => {
    const csv = (v: number) => `county_code,year,indicator,value\n450102,2019,brand_new_key,${v}\n`;
    const [a, b] = await Promise.all([
      importObservations(t.db, csv(1), { file: "n1.csv", dataset: "N1", createIndicators: true }),
      importObservations(t.db, csv(2), { file: "n2.csv", dataset: "N2", createIndicators: true }),
    ]);
    expect([a.rows, b.rows]).toEqual([1, 1]);
    expect(await t.db.indicator.count({ where: { key: "brand_new_key" } })).toBe(1);
    const values = await t.db.observation.findMany({ where: { indicatorKey: "brand_new_key" }, orderBy: { value: "asc" } });
    expect(values.map((v) => v.value)).toEqual([1, 2]);
  });
});

describe("B4: accounts then observations into the same dataset", () => {
  const ACC = "name,county_code,agency,registered_on\n南宁发布,450102,宣传部,2015-03-01\n";
  const OBS = "county_code,year,indicator,value\n450102,2019,population,10\n";
  it("accepts observations after accounts, and recognises re-imports of either", async () => {
    const a = await importAccounts(t.db, ACC, { file: "acc.csv", dataset: "B4" });
    const o = await importObservations(t.db, OBS, { file: "obs.csv", dataset: "B4" });
    expect(o).toMatchObject({ datasetId: a.datasetId, rows: 1, unchanged: false });
    expect((await importObservations(t.db, OBS, { file: "obs.csv", dataset: "B4" })).unchanged).toBe(true);
    expect((await importAccounts(t.db, ACC, { file: "acc.csv", dataset: "B4" })).unchanged).toBe(true);
    await expect(importObservations(t.db, OBS.replace("10", "11"), { file: "obs.csv", dataset: "B4" })).rejects.toBeInstanceOf(ConflictError);
  });
});

describe("B2: --replace rules", () => {
  const OBS = "county_code,year,indicator,value\n450102,2019,population,10\n";
  const OBS2 = "county_code,year,indicator,value\n450102,2019,population,20\n";
  it("updates source/provenance, keeps a real dataset real and refuses relabelling it synthetic", async () => {
    await importObservations(t.db, OBS, { file: "r1.csv", dataset: "real", provenance: "census" });
    await expect(importObservations(t.db, OBS2, { file: "r2.csv", dataset: "real", replace: true, synthetic: true })).rejects.toThrow(
      /dataset "real" holds real data; refusing to replace it with synthetic data/,
    );
    await importObservations(t.db, OBS2, { file: "r2.csv", dataset: "real", replace: true });
    const ds = await t.db.dataset.findUniqueOrThrow({ where: { name: "real" } });
    expect([ds.synthetic, ds.source, ds.provenance]).toEqual([false, "import of r2.csv", "Imported from r2.csv with govdiffusion import."]);
  });
  it("requires an explicit synthetic flag to replace a synthetic dataset", async () => {
    await importObservations(t.db, OBS, { file: "s1.csv", dataset: "syn", synthetic: true });
    await expect(importObservations(t.db, OBS2, { file: "s2.csv", dataset: "syn", replace: true })).rejects.toThrow(
      /dataset "syn" is flagged synthetic; say whether the replacement is synthetic/,
    );
    await importObservations(t.db, OBS2, { file: "s2.csv", dataset: "syn", replace: true, synthetic: false, source: "my survey" });
    const ds = await t.db.dataset.findUniqueOrThrow({ where: { name: "syn" } });
    expect([ds.synthetic, ds.source]).toEqual([false, "my survey"]);
  });
  it("refuses to replace a dataset a fitted model depends on, naming the model", async () => {
    const ds = await t.db.dataset.findUniqueOrThrow({ where: { name: "real" } });
    await t.db.fittedModel.create({ data: { name: "M on real", spec: JSON.stringify({ datasetId: ds.id }), result: "{}", fingerprint: "fp-real" } });
    const err = await importObservations(t.db, OBS, { file: "r3.csv", dataset: "real", replace: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/fitted model\(s\) depend on dataset "real": #\d+ "M on real"/);
    const err2 = await importAccounts(t.db, "name,county_code,agency,registered_on\nx,450102,y,2015-01-01\n", { file: "a.csv", dataset: "real", replace: true })
      .then(() => importAccounts(t.db, "name,county_code,agency,registered_on\nz,450102,y,2015-01-01\n", { file: "a2.csv", dataset: "real", replace: true }))
      .catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(ConflictError);
    expect((await t.db.observation.findFirstOrThrow({ where: { datasetId: ds.id } })).value).toBe(20);
  });
});

describe("account records: duplicates and implausible dates", () => {
  const H = "name,county_code,agency,registered_on\n";
  it("rejects a duplicate record naming both lines", async () => {
    const e = await importError(importAccounts(t.db, `${H}a,450102,b,2015-01-01\nc,450102,b,2015-01-01\na,450102,b,2015-01-01\n`, { file: "d.csv", dataset: "dup" }));
    expect([e.line, e.column, e.problem]).toEqual([4, "name", "duplicate account record (same name, county, agency and date as line 2)"]);
  });
  it("rejects dates before 2000 or in the future", async () => {
    const e = await importError(importAccounts(t.db, `${H}a,450102,b,1999-12-31\n`, { file: "d.csv", dataset: "old" }));
    expect([e.line, e.column]).toEqual([2, "registered_on"]);
    const next = new Date().getUTCFullYear() + 1;
    const e2 = await importError(importAccounts(t.db, `${H}a,450102,b,${next}-01-01\n`, { file: "d.csv", dataset: "future" }));
    expect(e2.problem).toMatch(/in the future/);
    expect(await t.db.dataset.count({ where: { name: { in: ["dup", "old", "future"] } } })).toBe(0);
  });
});

describe("numbers, empty files, summaries", () => {
  it.each(["0x1A", "0b11", "0o7", "1e", "Infinity", "1_000", " ", "+-1", ".", "1.2.3"])("rejects %j as a value", async (v) => {
    const e = await importError(importObservations(t.db, `county_code,year,indicator,value\n450102,2019,population,"${v}"\n`, { file: "n.csv", dataset: "num" }));
    expect([e.line, e.column]).toEqual([2, "value"]);
  });
  it("accepts plain decimals", async () => {
    const s = await importObservations(t.db, "county_code,year,indicator,value\n450102,2019,population,-1.5e3\n450103,2019,population,.25\n450104,2019,population,+7\n", {
      file: "ok.csv", dataset: "decimals",
    });
    const rows = await t.db.observation.findMany({ where: { datasetId: s.datasetId! }, orderBy: { countyCode: "asc" } });
    expect(rows.map((r) => r.value)).toEqual([-1500, 0.25, 7]);
  });
  it("rejects a header-only file", async () => {
    for (const run of [
      () => importObservations(t.db, "county_code,year,indicator,value\n", { file: "h.csv", dataset: "hdr" }),
      () => importAccounts(t.db, "name,county_code,agency,registered_on\n", { file: "h.csv", dataset: "hdr" }),
      () => importCounties(t.db, "code,name_zh,name_en,prefecture_code,prefecture_zh,prefecture_en,kind\n", { file: "h.csv" }),
      () => importAdjacency(t.db, "code_a,code_b\n", { file: "h.csv" }),
    ]) {
      const e = await importError(run());
      expect(e.message).toBe("h.csv:1: no data rows");
    }
    expect(await t.db.dataset.count({ where: { name: "hdr" } })).toBe(0);
  });
  it("rows = CSV data rows for every kind (wide: lines, not cells)", async () => {
    const w = await importObservations(t.db, "county_code,year,population,wechat_accounts\n450102,2019,1,2\n450103,2019,3,NA\n", { file: "w.csv", dataset: "rowsw", format: "wide" });
    expect(w.rows).toBe(2);
    expect((await importObservations(t.db, "county_code,year,population,wechat_accounts\n450102,2019,1,2\n450103,2019,3,NA\n", { file: "w.csv", dataset: "rowsw", format: "wide" })).rows).toBe(2);
    const acc = "name,county_code,agency,registered_on\na,450102,b,2015-01-01\n";
    expect((await importAccounts(t.db, acc, { file: "a.csv", dataset: "rowsa" })).rows).toBe(1);
    expect((await importAccounts(t.db, acc, { file: "a.csv", dataset: "rowsa" })).rows).toBe(1);
  });
});

describe("counties/adjacency re-import", () => {
  it("reports identical content as unchanged", async () => {
    const c = "code,name_zh,name_en,prefecture_code,prefecture_zh,prefecture_en,kind\n450102,甲,A,450100,南宁市,Nanning,district\n";
    expect((await importCounties(t.db, c, { file: "c.csv" })).unchanged).toBe(true);
    const changed = await importCounties(t.db, c.replace(",A,", ",A2,"), { file: "c.csv" });
    expect(changed).toMatchObject({ rows: 1, unchanged: false });
    expect((await t.db.county.findUniqueOrThrow({ where: { code: "450102" } })).nameEn).toBe("A2");
    const adj = "code_a,code_b\n450103,450102\n";
    expect((await importAdjacency(t.db, adj, { file: "a.csv" })).unchanged).toBe(true);
    expect((await importAdjacency(t.db, "code_a,code_b,shared_m\n450103,450102,5\n", { file: "a.csv" })).unchanged).toBe(false);
  });
});

describe("derived peer terms", () => {
  it("cannot be imported as observations", async () => {
    const e = await importError(
      importObservations(t.db, "county_code,year,indicator,value\n450102,2019,peer_siblings,1\n", { file: "p.csv", dataset: "peer", createIndicators: true }),
    );
    expect([e.line, e.column]).toEqual([2, "indicator"]);
    expect(e.problem).toMatch(/derived peer term/);
  });
});
