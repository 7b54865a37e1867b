import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAnalysisFrame } from "../analysis-frame.js";
import { fingerprintModel } from "../fingerprint.js";
import { createRepositories } from "../repositories/index.js";
import { createTestDb, type TestDb } from "../testing/test-db.js";
import { CENSUS_DATASET, SYNTHETIC_DATASET, ensureDatabase, seedDefault, studyModelSpec } from "./seed.js";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb("seed");
});
afterAll(() => t.cleanup());

describe("seedDefault", () => {
  it("loads the real Guangxi structure, both datasets and the study model", async () => {
    const r = await seedDefault(t.db);
    expect({ counties: r.counties, prefectures: r.prefectures, adjacency: r.adjacency }).toEqual({ counties: 111, prefectures: 14, adjacency: 285 });
    const repos = createRepositories(t.db);
    const census = (await repos.datasets.byName(CENSUS_DATASET))!;
    const synthetic = (await repos.datasets.byName(SYNTHETIC_DATASET))!;
    expect(census.synthetic).toBe(false);
    expect(synthetic.synthetic).toBe(true);
    expect(synthetic.provenance).toMatch(/SYNTHETIC/);
    expect(synthetic.observationCount).toBe(111 * 9 * 8);
    expect(await repos.observations.years(synthetic.id)).toEqual([2012, 2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020]);
    // Real census values are stored as given, e.g. 兴宁区 (450102) resident population 2020.
    const xingning = await repos.observations.forCounty("450102", { year: 2020, datasetId: census.id });
    expect(xingning.find((o) => o.indicator === "population_resident")?.value).toBe(615485);
    // Cumulative accounts 2020 equal the account records registered up to 2020.
    const series = await repos.adoptions.series(["450102"], { datasetId: synthetic.id });
    const stock2020 = (await repos.observations.forCounty("450102", { year: 2020, datasetId: synthetic.id })).find((o) => o.indicator === "wechat_accounts")!.value;
    expect(series.find((p) => p.year === 2020)?.cumulative).toBe(stock2020);

    expect(r.model?.created).toBe(true);
    const model = (await repos.models.byId(r.model!.id))!;
    expect(model.spec).toEqual(studyModelSpec(synthetic.id));
    expect(model.result.n).toBe(111);
    const coef = (term: string) => model.result.coefficients.find((c) => c.term === term)!;
    // The published ranking of the five significant factors, the two pressures not significant.
    expect(["fiscal_revenue", "population", "mobile_users", "peer_siblings", "broadband_users"].map((k) => coef(k).rank)).toEqual([1, 2, 3, 4, 5]);
    for (const k of ["fiscal_revenue", "population", "mobile_users", "peer_siblings", "broadband_users"]) expect(coef(k).pValue!).toBeLessThan(0.05);
    for (const k of ["social_security_pressure", "prefecture_pressure"]) expect(coef(k).pValue!).toBeGreaterThan(0.05);
    const frame = await buildAnalysisFrame(t.db, { datasetId: synthetic.id, years: [2020], outcome: "wechat_accounts", predictors: model.spec.predictors, peer: model.spec.peer });
    expect(model.fingerprint).toBe(fingerprintModel(model.spec, frame));
  });

  it("seeds the peer terms as derived indicators and the wechat_accounts text of the generator", async () => {
    const peers = await t.db.indicator.findMany({ where: { key: { in: ["peer_neighbors", "peer_neighbors_share", "peer_siblings"] } }, orderBy: { key: "asc" } });
    expect(peers.map((p) => [p.key, p.role, p.unit])).toEqual([
      ["peer_neighbors", "derived", "outcome units (mean)"],
      ["peer_neighbors_share", "derived", "share 0-1"],
      ["peer_siblings", "derived", "outcome units (mean)"],
    ]);
    for (const p of peers) expect(p.description).toMatch(/buildAnalysisFrame .* year t-1/);
    const wechat = await t.db.indicator.findUniqueOrThrow({ where: { key: "wechat_accounts" } });
    expect(wechat.description).toMatch(/Stock-adjustment/);
    expect(wechat.description).not.toMatch(/log-mean is linear/);
  });

  it("is idempotent and never rewrites existing datasets", async () => {
    const repos = createRepositories(t.db);
    const before = await repos.datasets.list();
    const models = await repos.models.list();
    const again = await seedDefault(t.db);
    expect({ counties: again.counties, prefectures: again.prefectures, adjacency: again.adjacency, indicators: again.indicators }).toEqual({ counties: 0, prefectures: 0, adjacency: 0, indicators: 0 });
    expect(again.datasets.map((d) => d.created)).toEqual([false, false]);
    expect(again.model).toMatchObject({ id: models[0]!.id, created: false });
    expect(await repos.datasets.list()).toEqual(before);
    expect((await repos.models.list()).length).toBe(models.length);
    // An older seed's indicator text is corrected by the next seed.
    await t.db.indicator.update({ where: { key: "wechat_accounts" }, data: { description: "old text" } });
    await seedDefault(t.db);
    expect((await t.db.indicator.findUniqueOrThrow({ where: { key: "wechat_accounts" } })).description).toMatch(/Stock-adjustment/);
  });
});

describe("ensureDatabase", () => {
  it("migrates and seeds an empty database once", async () => {
    const fresh = await createTestDb("ensure");
    try {
      await fresh.db.$disconnect();
      const first = await ensureDatabase({ url: fresh.url, seed: true });
      expect(first.seeded).toBe(true);
      const second = await ensureDatabase({ url: fresh.url, seed: true });
      expect(second).toEqual({ migrations: [], seeded: false, seed: null });
    } finally {
      await fresh.cleanup();
    }
  });
});
