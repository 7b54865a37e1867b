import type { FitResult, ScenarioOutcome } from "@govdiffusion/estimation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, NotFoundError } from "../errors.js";
import { importAccounts } from "../import/reference.js";
import { importObservations } from "../import/observations.js";
import { createTestDb, seedTinyGraph, type TestDb } from "../testing/test-db.js";
import type { Repositories, StoredModelSpec } from "../types.js";
import { createRepositories } from "./index.js";

let t: TestDb;
let repos: Repositories;
beforeAll(async () => {
  t = await createTestDb("repos");
  await seedTinyGraph(t.db);
  repos = createRepositories(t.db);
});
afterAll(() => t.cleanup());

describe("geography", () => {
  it("lists prefectures and counties as domain objects, with filters", async () => {
    expect(await repos.prefectures.list()).toEqual([
      { code: "450100", name: "南宁市", nameEn: "Nanning" },
      { code: "450200", name: "柳州市", nameEn: "Liuzhou" },
    ]);
    expect((await repos.counties.list()).map((c) => c.code)).toEqual(["450102", "450103", "450104", "450202"]);
    expect(await repos.counties.list({ prefectureCode: "450200" })).toEqual([
      { code: "450202", name: "丁", nameEn: "D", kind: "autonomous_county", prefectureCode: "450200" },
    ]);
    expect((await repos.counties.list({ kind: "district" })).map((c) => c.code)).toEqual(["450102", "450103"]);
    expect((await repos.counties.byCodes(["450104", "999999"])).map((c) => c.name)).toEqual(["丙"]);
  });

  it("returns shared-border neighbours in both directions", async () => {
    const n = await repos.counties.neighbors(["450104", "450202", "999999"]);
    expect(n.get("450104")).toEqual(["450102", "450103", "450202"]);
    expect(n.get("450202")).toEqual(["450104"]);
    expect(n.get("999999")).toEqual([]);
  });
});

describe("datasets, observations, adoptions", () => {
  it("counts observations, lists years and deletes one dataset only", async () => {
    const a = await importObservations(t.db, "county_code,year,indicator,value\n450102,2019,population,1\n450102,2020,population,2\n", { file: "a.csv", dataset: "a" });
    const b = await importObservations(t.db, "county_code,year,indicator,value\n450102,2019,population,5\n", { file: "b.csv", dataset: "b" });
    await importAccounts(t.db, "name,county_code,agency,registered_on\nx,450102,police,2015-03-01\n", { file: "acc.csv", dataset: "a" });
    const ds = await repos.datasets.byName("a");
    expect(ds).toMatchObject({ id: a.datasetId, name: "a", synthetic: false, observationCount: 2 });
    expect(ds!.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(ds!.importedAt).toBeInstanceOf(Date);
    expect(await repos.observations.years(a.datasetId!)).toEqual([2019, 2020]);
    expect(await repos.observations.forCounty("450102", { year: 2019 })).toEqual([
      { datasetId: a.datasetId, countyCode: "450102", year: 2019, indicator: "population", value: 1 },
      { datasetId: b.datasetId, countyCode: "450102", year: 2019, indicator: "population", value: 5 },
    ]);
    expect(await repos.datasets.delete(a.datasetId!)).toBe(true);
    expect(await repos.datasets.delete(a.datasetId!)).toBe(false);
    expect(await repos.datasets.byId(a.datasetId!)).toBeNull();
    expect(await t.db.accountRecord.count()).toBe(0);
    expect(await repos.observations.forCounty("450102")).toEqual([
      { datasetId: b.datasetId, countyCode: "450102", year: 2019, indicator: "population", value: 5 },
    ]);
    expect((await repos.datasets.list()).map((d) => d.name)).toEqual(["b"]);
    await repos.datasets.delete(b.datasetId!);
  });

  it("derives yearly and cumulative adoptions from account records", async () => {
    const s = await importAccounts(
      t.db,
      "name,county_code,agency,registered_on\nA1,450102,police,2013-05-01\nA2,450102,tax,2015-01-31\nA3,450102,health,2015-12-31\nB1,450103,police,2014-07-07\n",
      { file: "acc.csv", dataset: "acc" },
    );
    expect(await repos.adoptions.series(["450103", "450102"], { datasetId: s.datasetId! })).toEqual([
      { countyCode: "450102", year: 2013, count: 1, cumulative: 1 },
      { countyCode: "450102", year: 2014, count: 0, cumulative: 1 },
      { countyCode: "450102", year: 2015, count: 2, cumulative: 3 },
      { countyCode: "450103", year: 2013, count: 0, cumulative: 0 },
      { countyCode: "450103", year: 2014, count: 1, cumulative: 1 },
      { countyCode: "450103", year: 2015, count: 0, cumulative: 1 },
    ]);
    expect(await repos.adoptions.series(["450104"])).toEqual([]);
  });
});

describe("models and scenarios", () => {
  const spec: StoredModelSpec = {
    family: "negbin2", outcome: "wechat_accounts", predictors: ["population"], datasetId: 1, years: [2020], peer: ["peer_siblings"],
  };
  const result = { family: "negbin2", n: 3, alpha: 0.25, coefficients: [{ term: "population", estimate: 1.5 }] } as unknown as FitResult;
  const outcome = { method: "delta", level: 0.95, draws: null, seed: null, rows: [] } as unknown as ScenarioOutcome;

  it("stores JSON columns and reads them back; fingerprints are unique", async () => {
    const m = await repos.models.create({ name: "m", spec, result, fingerprint: "f1" });
    expect(m).toMatchObject({ name: "m", spec, result, fingerprint: "f1" });
    expect(m.createdAt).toBeInstanceOf(Date);
    expect(await repos.models.byId(m.id)).toEqual(m);
    expect(await repos.models.byFingerprint("f1")).toEqual(m);
    expect(await repos.models.byFingerprint("nope")).toBeNull();
    expect(await repos.models.exists(m.id)).toBe(true);
    expect(await repos.models.exists(m.id + 1000)).toBe(false);
    await expect(repos.models.create({ name: "again", spec, result, fingerprint: "f1" })).rejects.toBeInstanceOf(ConflictError);
    expect((await repos.models.list()).map((x) => x.id)).toEqual([m.id]);
  });

  it("creates scenarios for existing models only and deletes them with their model", async () => {
    const m = await repos.models.create({ name: "m2", spec, result, fingerprint: "f2" });
    const s = await repos.scenarios.create({ modelId: m.id, name: "s", interventions: [{ column: "population", operation: "scale", value: 1.1 }], options: { method: "delta" }, result: outcome });
    expect(await repos.scenarios.byId(s.id)).toEqual({
      id: s.id, modelId: m.id, name: "s", interventions: [{ column: "population", operation: "scale", value: 1.1 }],
      options: { method: "delta" }, result: outcome, createdAt: s.createdAt,
    });
    await expect(repos.scenarios.create({ modelId: 999999, name: "x", interventions: [], options: {}, result: outcome })).rejects.toBeInstanceOf(NotFoundError);
    expect((await repos.scenarios.list({ modelId: m.id })).map((x) => x.id)).toEqual([s.id]);
    expect(await repos.models.delete(m.id)).toBe(true);
    expect(await repos.models.exists(m.id)).toBe(false);
    expect(await repos.scenarios.byId(s.id)).toBeNull();
    expect(await repos.scenarios.delete(s.id)).toBe(false);
  });

  it("a model deleted between the existence check and the insert (the deleteModel race) is the same NotFoundError naming modelId", async () => {
    const m = await repos.models.create({ name: "m3", spec, result, fingerprint: "f3" });
    // Delete the model just before the scenario row is inserted: the insert hits the foreign key.
    const racing = t.db.$extends({
      query: { scenario: { async create({ args, query }) { await t.db.fittedModel.delete({ where: { id: m.id } }); return query(args); } } },
    }) as unknown as typeof t.db;
    const err = await createRepositories(racing).scenarios.create({ modelId: m.id, name: "late", interventions: [], options: {}, result: outcome }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ message: `model ${m.id} not found`, field: "modelId" });
    const gone = await repos.scenarios.create({ modelId: m.id, name: "after", interventions: [], options: {}, result: outcome }).catch((e: unknown) => e);
    expect(gone).toMatchObject({ name: "NotFoundError", message: `model ${m.id} not found`, field: "modelId" });
    expect(await repos.scenarios.list({ modelId: m.id })).toEqual([]);
  });
});
