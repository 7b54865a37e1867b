/**
 * End-to-end tests of the GraphQL API over real HTTP: the built server on port 0, a throwaway
 * database migrated and seeded with the Guangxi default (SQLite, or PostgreSQL when TEST_PG_URL is set).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, createRepositories } from "@govdiffusion/db";
import { API_KEY, OTHER_KEY, READ_KEY, ext, gql, seededDatabase, startApi, type RunningApi, type TestDatabase } from "./api-harness.js";

const BAISE = "451000";
let db: TestDatabase;
let api: RunningApi;
let seededModelId: number;

const WHAT_IF = /* GraphQL */ `
  query WhatIf($modelId: Int!, $interventions: [InterventionInput!]!, $options: WhatIfOptions) {
    whatIf(modelId: $modelId, interventions: $interventions, options: $options) {
      modelId uncertainty confidenceLevel draws seed years
      baselineTotal scenarioTotal
      difference { estimate stdError lower upper }
      counties { code name prefectureCode year changed baseline scenario
                 difference { estimate stdError lower upper } probabilityAtLeastOne probabilityAtLeastOneBaseline }
    }
  }`;

const FIT = /* GraphQL */ `
  mutation Fit($input: FitModelInput!) {
    fitModel(input: $input) {
      id name family outcome predictors n converged synthetic fingerprint seType cluster
      coefficients { term estimate stdError irr irrCiLower irrCiUpper standardized rank aliased }
      warnings { code message terms }
      dataset { id synthetic }
    }
  }`;

const IMPORT = /* GraphQL */ `
  mutation Import($input: ImportDatasetInput!) {
    importDataset(input: $input) { datasetId rows counties years indicators unchanged }
  }`;

beforeAll(async () => {
  db = await seededDatabase("api");
  api = await startApi(db.url);
  const r = await gql(api.endpoint, "{ models { id name outcome predictors } }");
  expect(r.errors).toBeUndefined();
  expect(r.data.models.length).toBeGreaterThanOrEqual(1);
  seededModelId = r.data.models[0].id;
});

afterAll(async () => {
  await api?.stop();
  await db?.drop();
});

describe("operations endpoints", () => {
  it("/healthz and /readyz answer ok, with a request id header", async () => {
    const h = await fetch(`${api.base}/healthz`);
    expect(h.status).toBe(200);
    expect(await h.text()).toBe("ok");
    expect(h.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const r = await fetch(`${api.base}/readyz`, { headers: { "x-request-id": "probe-1" } });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("ok");
    expect(r.headers.get("x-request-id")).toBe("probe-1");
  });

  it("serves a local GraphiQL page to browsers, with no external script or stylesheet", async () => {
    const res = await fetch(api.endpoint, { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toMatch(/graphiql/i);
    expect(html.length).toBeGreaterThan(100_000); // the bundle is inlined
    expect(html).not.toMatch(/<script[^>]+src=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link[^>]+href=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/cdn\.apollographql|unpkg\.com|jsdelivr/);
  });

  it("CORS: the configured origin is allowed, others get no allow-origin header", async () => {
    const ok = await fetch(api.endpoint, { method: "OPTIONS", headers: { origin: "http://allowed.example", "access-control-request-method": "POST" } });
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://allowed.example");
    const no = await fetch(api.endpoint, { method: "OPTIONS", headers: { origin: "http://evil.example", "access-control-request-method": "POST" } });
    expect(no.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("reads", () => {
  it("prefectures and counties: 14 prefectures, 111 counties, Baise's 12", async () => {
    const r = await gql(api.endpoint, `{ prefectures { code name nameEn counties { code } } counties { code prefectureCode kind } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data.prefectures).toHaveLength(14);
    expect(r.data.counties).toHaveLength(111);
    const baise = r.data.prefectures.find((p: any) => p.code === BAISE);
    expect(baise.nameEn).toMatch(/Baise/);
    expect(baise.counties).toHaveLength(12);
    const sum = r.data.prefectures.reduce((s: number, p: any) => s + p.counties.length, 0);
    expect(sum).toBe(111);

    const f = await gql(api.endpoint, `query($p: String, $k: CountyKind) { counties(prefectureCode: $p, kind: $k) { code prefectureCode kind } }`, { p: BAISE });
    expect(f.data.counties).toHaveLength(12);
    expect(f.data.counties.every((c: any) => c.prefectureCode === BAISE)).toBe(true);
    const districts = await gql(api.endpoint, `{ counties(kind: DISTRICT) { kind } }`);
    const expected = r.data.counties.filter((c: any) => c.kind === "DISTRICT").length;
    expect(expected).toBeGreaterThan(0);
    expect(districts.data.counties).toHaveLength(expected);
  });

  it("county(code) with neighbours (symmetric), indicators of a year and the adoption series", async () => {
    const r = await gql(api.endpoint, `{ county(code: "451002") { code name prefectureCode prefecture { code }
        neighbors { code neighbors { code } }
        indicators(year: 2020) { indicator year value datasetId }
        adoptions { year count cumulative } } }`);
    expect(r.errors).toBeUndefined();
    const c = r.data.county;
    expect(c.prefectureCode).toBe(BAISE);
    expect(c.prefecture.code).toBe(BAISE);
    expect(c.neighbors.length).toBeGreaterThan(0);
    for (const n of c.neighbors) expect(n.neighbors.map((x: any) => x.code)).toContain("451002");
    expect(c.indicators.length).toBeGreaterThan(0);
    expect(c.indicators.every((i: any) => i.year === 2020)).toBe(true);
    expect(c.indicators.map((i: any) => i.indicator)).toContain("fiscal_revenue");
    // cumulative is the running sum of yearly counts
    let running = 0;
    for (const p of c.adoptions) {
      running += p.count;
      expect(p.cumulative).toBe(running);
    }
  });

  it("batched County.indicators/adoptions (DataLoader) give each county exactly what the per-county repository calls give", async () => {
    const r = await gql(api.endpoint, `{ counties { code indicators { datasetId year indicator value } adoptions { year count cumulative }
      y2020: indicators(year: 2020) { indicator } } }`);
    expect(r.errors).toBeUndefined();
    expect(r.data.counties).toHaveLength(111);
    const handle = createDb({ url: db.url });
    try {
      const repos = createRepositories(handle);
      for (const c of r.data.counties) {
        const obs = await repos.observations.forCounty(c.code);
        expect(c.indicators, c.code).toEqual(obs.map((o) => ({ datasetId: o.datasetId, year: o.year, indicator: o.indicator, value: o.value })));
        expect(c.y2020, c.code).toEqual(obs.filter((o) => o.year === 2020).map((o) => ({ indicator: o.indicator })));
        const series = await repos.adoptions.series([c.code]);
        expect(c.adoptions, c.code).toEqual(series.map((p) => ({ year: p.year, count: p.count, cumulative: p.cumulative })));
      }
      expect(r.data.counties.some((c: any) => c.adoptions.length > 0)).toBe(true);
      expect(r.data.counties.every((c: any) => c.indicators.length > 0)).toBe(true);
    } finally {
      await handle.$disconnect();
    }
  });

  it("county(code): unknown code → NOT_FOUND, malformed → BAD_USER_INPUT naming code", async () => {
    const nf = await gql(api.endpoint, `{ county(code: "459999") { code } }`);
    expect(ext(nf).code).toBe("NOT_FOUND");
    const bad = await gql(api.endpoint, `{ county(code: "abc") { code } }`);
    expect(ext(bad)).toMatchObject({ code: "BAD_USER_INPUT", field: "code" });
    const badPref = await gql(api.endpoint, `{ counties(prefectureCode: "459900") { code } }`);
    expect(ext(badPref)).toMatchObject({ code: "BAD_USER_INPUT", field: "prefectureCode", reason: "UNKNOWN_PREFECTURE" });
  });

  it("indicators and datasets; the panel dataset is flagged synthetic", async () => {
    const r = await gql(api.endpoint, `{ indicators { key label unit role } datasets { id name synthetic observationCount importedAt } }`);
    expect(r.errors).toBeUndefined();
    const keys = r.data.indicators.map((i: any) => i.key);
    for (const k of ["wechat_accounts", "fiscal_revenue", "population", "mobile_users"]) expect(keys).toContain(k);
    expect(r.data.datasets.some((d: any) => d.synthetic === true)).toBe(true);
    expect(r.data.datasets.some((d: any) => d.synthetic === false)).toBe(true);
    for (const d of r.data.datasets) expect(Number.isNaN(Date.parse(d.importedAt))).toBe(false);
  });

  it("models / model(id): the seeded NB2 model with full inference, on synthetic data", async () => {
    const r = await gql(api.endpoint, `query($id: Int!) { model(id: $id) { id family outcome n converged synthetic dataset { synthetic }
        alpha alphaStdError theta lrTest { statistic pValue } logLikelihood aic bic
        coefficients { term estimate stdError z pValue ciLower ciUpper irr irrCiLower irrCiUpper standardized rank aliased }
        marginalEffects { term estimate stdError } vif { term vif } covariance { terms matrix } warnings { code message terms rows } createdAt } }`,
      { id: seededModelId });
    expect(r.errors).toBeUndefined();
    const m = r.data.model;
    expect(m.family).toBe("NEGBIN2");
    expect(m.synthetic).toBe(true);
    expect(m.dataset.synthetic).toBe(true);
    expect(m.theta).toBeCloseTo(1 / m.alpha, 8);
    expect(m.aic).toBeCloseTo(-2 * m.logLikelihood + 2 * (m.coefficients.filter((c: any) => !c.aliased).length + 1), 6);
    for (const c of m.coefficients) {
      expect(c.irr).toBeCloseTo(Math.exp(c.estimate), 10);
      expect(c.irrCiLower).toBeCloseTo(Math.exp(c.ciLower), 10);
      expect(c.z).toBeCloseTo(c.estimate / c.stdError, 8);
    }
    const ranks = m.coefficients.filter((c: any) => c.rank !== null).map((c: any) => c.rank).sort();
    expect(ranks).toEqual(ranks.map((_: unknown, i: number) => i + 1));
    const k = m.covariance.terms.length;
    expect(m.covariance.matrix).toHaveLength(k);
    // covariance diagonal = SE^2
    const se = new Map(m.coefficients.map((c: any) => [c.term, c.stdError]));
    m.covariance.terms.forEach((t: string, i: number) => expect(Math.sqrt(m.covariance.matrix[i][i])).toBeCloseTo(se.get(t) as number, 10));
    const nf = await gql(api.endpoint, `{ model(id: 999999) { id } }`);
    expect(ext(nf).code).toBe("NOT_FOUND");
  });
});

describe("the headline what-if: fiscal revenue +10% in Baise's counties", () => {
  it("totals add up, only Baise's counties change, per-county sums equal the totals", async () => {
    const r = await gql(api.endpoint, WHAT_IF, {
      modelId: seededModelId,
      interventions: [{ indicator: "fiscal_revenue", operation: "SCALE", value: 1.1, prefectureCodes: [BAISE] }],
    });
    expect(r.errors).toBeUndefined();
    const w = r.data.whatIf;
    expect(w.uncertainty).toBe("DELTA");
    expect(w.confidenceLevel).toBe(0.95);
    expect(w.difference.estimate).toBeCloseTo(w.scenarioTotal - w.baselineTotal, 8);
    const sum = (f: (c: any) => number) => w.counties.reduce((s: number, c: any) => s + f(c), 0);
    expect(sum((c) => c.baseline)).toBeCloseTo(w.baselineTotal, 6);
    expect(sum((c) => c.scenario)).toBeCloseTo(w.scenarioTotal, 6);
    expect(sum((c) => c.difference.estimate)).toBeCloseTo(w.difference.estimate, 6);
    const baise = w.counties.filter((c: any) => c.prefectureCode === BAISE);
    const others = w.counties.filter((c: any) => c.prefectureCode !== BAISE);
    expect(baise.length).toBeGreaterThan(0);
    expect(others.length).toBeGreaterThan(0);
    for (const c of others) {
      expect(c.changed).toBe(false);
      expect(c.scenario).toBe(c.baseline);
      expect(c.difference.estimate).toBe(0);
    }
    const fiscal = await gql(api.endpoint, `query($id: Int!) { model(id: $id) { coefficients { term estimate } } }`, { id: seededModelId });
    const beta = fiscal.data.model.coefficients.find((c: any) => c.term === "fiscal_revenue").estimate;
    for (const c of baise) {
      expect(c.changed).toBe(true);
      expect(c.name).not.toBe(c.code);
      // the difference has the sign of the fiscal coefficient, and the interval contains the estimate
      expect(Math.sign(c.difference.estimate)).toBe(Math.sign(beta));
      expect(c.difference.lower).toBeLessThanOrEqual(c.difference.estimate);
      expect(c.difference.upper).toBeGreaterThanOrEqual(c.difference.estimate);
      expect(c.probabilityAtLeastOne).toBeGreaterThan(0);
      expect(c.probabilityAtLeastOne).toBeLessThanOrEqual(1);
    }
    expect(w.difference.lower).toBeCloseTo(w.difference.estimate - 1.959963984540054 * w.difference.stdError, 8);

    const only = await gql(api.endpoint, `query($m: Int!, $iv: [InterventionInput!]!) { whatIf(modelId: $m, interventions: $iv) {
        difference { estimate } counties(changedOnly: true) { code difference { estimate } } } }`,
      { m: seededModelId, iv: [{ indicator: "fiscal_revenue", operation: "SCALE", value: 1.1, prefectureCodes: [BAISE] }] });
    expect(only.data.whatIf.counties.map((c: any) => c.code)).toEqual(baise.map((c: any) => c.code));
    const onlySum = only.data.whatIf.counties.reduce((s: number, c: any) => s + c.difference.estimate, 0);
    expect(onlySum).toBeCloseTo(only.data.whatIf.difference.estimate, 6);
  });

  it("SIMULATION with a seed is reproducible and bounded by the server's max draws", async () => {
    const vars = {
      modelId: seededModelId,
      interventions: [{ indicator: "fiscal_revenue", operation: "SCALE", value: 1.1, prefectureCodes: [BAISE] }],
      options: { uncertainty: "SIMULATION", draws: 200, seed: 7 },
    };
    const a = await gql(api.endpoint, WHAT_IF, vars);
    const b = await gql(api.endpoint, WHAT_IF, vars);
    expect(a.errors).toBeUndefined();
    expect(a.data.whatIf.draws).toBe(200);
    expect(a.data.whatIf.seed).toBe(7);
    expect(a.data.whatIf.difference).toEqual(b.data.whatIf.difference);
    // P(at least one account) carries the draws of beta and alpha: the point value sits inside its
    // percentile interval, and the seeded NB2 model (OIM SEs) draws alpha jointly with beta.
    const probs = await gql(api.endpoint, `query($m: Int!, $iv: [InterventionInput!]!, $o: WhatIfOptions) { whatIf(modelId: $m, interventions: $iv, options: $o) {
      alphaUncertainty counties { probabilityAtLeastOne probabilityAtLeastOneInterval { estimate stdError lower upper } } } }`,
      { m: seededModelId, iv: vars.interventions, o: vars.options });
    expect(probs.errors).toBeUndefined();
    expect(probs.data.whatIf.alphaUncertainty).toBe("joint");
    for (const c of probs.data.whatIf.counties) {
      const iv = c.probabilityAtLeastOneInterval;
      expect(iv.estimate).toBe(c.probabilityAtLeastOne);
      expect(iv.lower).toBeLessThanOrEqual(iv.estimate);
      expect(iv.upper).toBeGreaterThanOrEqual(iv.estimate);
      expect(iv.upper).toBeLessThanOrEqual(1);
    }
    const tooMany = await gql(api.endpoint, WHAT_IF, { ...vars, options: { uncertainty: "SIMULATION", draws: 1_000_001 } });
    expect(ext(tooMany)).toMatchObject({ code: "BAD_USER_INPUT", field: "options.draws", reason: "OUT_OF_RANGE" });
  });

  it("huge intervention values that overflow the predictions are BAD_USER_INPUT naming the value, not a 500", async () => {
    const cases = [
      [{ indicator: "fiscal_revenue", operation: "ADD", value: 1e300 }],
      [{ indicator: "fiscal_revenue", operation: "SCALE", value: 1e10 }],
      [{ indicator: "fiscal_revenue", operation: "SCALE", value: 1.1 }, { indicator: "fiscal_revenue", operation: "ADD", value: 1e300, prefectureCodes: [BAISE] }],
    ];
    for (const interventions of cases) {
      const r = await gql(api.endpoint, WHAT_IF, { modelId: seededModelId, interventions });
      const i = interventions.length - 1;
      expect(ext(r), JSON.stringify(interventions)).toMatchObject({ code: "BAD_USER_INPUT", field: `interventions[${i}].value`, reason: "OUT_OF_RANGE" });
      expect(r.errors?.[0]?.message).toMatch(/^(ADD|SCALE) fiscal_revenue (1e\+300|10000000000): the predictions overflow \(for \d{6}/);
    }
    const scenario = await gql(api.endpoint, `mutation($input: CreateScenarioInput!) { createScenario(input: $input) { id } }`,
      { input: { modelId: seededModelId, name: "overflow", interventions: cases[0] } }, { key: API_KEY });
    expect(ext(scenario)).toMatchObject({ code: "BAD_USER_INPUT", field: "input.interventions[0].value" });
  });

  it("options.year uses another year of the dataset as the baseline", async () => {
    const r = await gql(api.endpoint, WHAT_IF, {
      modelId: seededModelId, interventions: [{ indicator: "fiscal_revenue", operation: "ADD", value: 0 }], options: { year: 2019 },
    });
    expect(r.errors).toBeUndefined();
    expect(r.data.whatIf.years).toEqual([2019]);
    expect(r.data.whatIf.counties.every((c: any) => c.year === 2019)).toBe(true);
    expect(r.data.whatIf.difference.estimate).toBe(0);
    const bad = await gql(api.endpoint, WHAT_IF, { modelId: seededModelId, interventions: [], options: { year: 1999 } });
    expect(ext(bad)).toMatchObject({ code: "BAD_USER_INPUT", field: "options.year" });
  });

  it("bad what-if input names the argument: unknown model, indicator, county, prefecture; out-of-range values", async () => {
    const iv = (o: Record<string, unknown>) => [{ indicator: "fiscal_revenue", operation: "SCALE", value: 1.1, ...o }];
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ modelId: 999999, interventions: iv({}) }, { field: "modelId", reason: "UNKNOWN_MODEL" }],
      [{ modelId: seededModelId, interventions: iv({ indicator: "gdp_of_mars" }) }, { field: "interventions[0].indicator", reason: "UNKNOWN_INDICATOR" }],
      [{ modelId: seededModelId, interventions: iv({ countyCodes: ["451002", "999999"] }) }, { field: "interventions[0].countyCodes[1]", reason: "UNKNOWN_COUNTY" }],
      [{ modelId: seededModelId, interventions: iv({ prefectureCodes: ["459900"] }) }, { field: "interventions[0].prefectureCodes[0]", reason: "UNKNOWN_PREFECTURE" }],
      [{ modelId: seededModelId, interventions: iv({ value: -2 }) }, { field: "interventions[0].value", reason: "OUT_OF_RANGE" }],
      [{ modelId: seededModelId, interventions: iv({}), options: { confidenceLevel: 1.5 } }, { field: "options.confidenceLevel", reason: "OUT_OF_RANGE" }],
      [{ modelId: seededModelId, interventions: iv({}), options: { draws: 100 } }, { field: "options.draws" }],
    ];
    for (const [vars, expected] of cases) {
      const r = await gql(api.endpoint, WHAT_IF, vars);
      expect(r.data).toBeNull();
      expect(ext(r), JSON.stringify(vars)).toMatchObject({ code: "BAD_USER_INPUT", ...expected });
      expect(r.errors?.[0]?.message.length).toBeGreaterThan(10);
      expect(JSON.stringify(r.errors)).not.toMatch(/stacktrace|at .*\.js:\d+/);
    }
  });
});

describe("mutations", () => {
  const fitInput = {
    name: "e2e fiscal model", datasetId: 0, years: [2020], outcome: "wechat_accounts",
    predictors: ["fiscal_revenue", "population", "mobile_users"], family: "NEGBIN2", seType: "CLUSTER",
  };
  beforeAll(async () => {
    const r = await gql(api.endpoint, `{ datasets { id synthetic } }`);
    fitInput.datasetId = r.data.datasets.find((d: any) => d.synthetic).id;
  });

  it("fitModel: anonymous → UNAUTHENTICATED (401); wrong or malformed key → UNAUTHENTICATED (401)", async () => {
    const anon = await gql(api.endpoint, FIT, { input: fitInput });
    expect(anon.status).toBe(401);
    expect(ext(anon).code).toBe("UNAUTHENTICATED");
    const wrong = await gql(api.endpoint, FIT, { input: fitInput }, { key: "wrong-key-0123456789abcdef" });
    expect(wrong.status).toBe(401);
    expect(ext(wrong).code).toBe("UNAUTHENTICATED");
    const malformed = await gql(api.endpoint, FIT, { input: fitInput }, { authorization: "Basic Zm9vOmJhcg==" });
    expect(malformed.status).toBe(401);
    expect(ext(malformed).code).toBe("UNAUTHENTICATED");
  });

  it("fitModel fits and stores; the identical spec returns the stored model (same id, no refit)", async () => {
    const a = await gql(api.endpoint, FIT, { input: fitInput }, { key: API_KEY });
    expect(a.errors).toBeUndefined();
    const m = a.data.fitModel;
    expect(m.family).toBe("NEGBIN2");
    expect(m.seType).toBe("CLUSTER");
    expect(m.cluster).toBe("PREFECTURE");
    expect(m.predictors).toEqual(fitInput.predictors);
    expect(m.n).toBe(111);
    expect(m.synthetic).toBe(true);
    expect(m.coefficients.map((c: any) => c.term)).toEqual(["(Intercept)", ...fitInput.predictors]);
    const b = await gql(api.endpoint, FIT, { input: { ...fitInput, name: "same spec again" } }, { key: OTHER_KEY });
    expect(b.data.fitModel.id).toBe(m.id);
    expect(b.data.fitModel.fingerprint).toBe(m.fingerprint);
    const list = await gql(api.endpoint, `{ models { id } }`);
    expect(list.data.models.filter((x: any) => x.id === m.id)).toHaveLength(1);

    const del = await gql(api.endpoint, `mutation($id: Int!) { deleteModel(id: $id) }`, { id: m.id }, { key: API_KEY });
    expect(del.data.deleteModel).toBe(true);
    const gone = await gql(api.endpoint, `mutation($id: Int!) { deleteModel(id: $id) }`, { id: m.id }, { key: API_KEY });
    expect(ext(gone).code).toBe("NOT_FOUND");
    const w = await gql(api.endpoint, WHAT_IF, { modelId: m.id, interventions: [] });
    expect(ext(w)).toMatchObject({ code: "BAD_USER_INPUT", field: "modelId" });
  });

  it("identical fitModel requests at the same time all get the one stored model", async () => {
    const input = { ...fitInput, name: "concurrent", seType: "HC1" };
    const all = await Promise.all([1, 2, 3].map(() => gql(api.endpoint, FIT, { input }, { key: API_KEY })));
    for (const r of all) expect(r.errors).toBeUndefined();
    const ids = new Set(all.map((r) => r.data.fitModel.id));
    expect(ids.size).toBe(1);
    const list = await gql(api.endpoint, `{ models { id seType } }`);
    expect(list.data.models.filter((x: any) => x.seType === "HC1")).toHaveLength(1);
    const [id] = ids;
    expect((await gql(api.endpoint, `mutation($id: Int!) { deleteModel(id: $id) }`, { id }, { key: API_KEY })).data.deleteModel).toBe(true);
  });

  it("a repeated whatIf-only query is answered from the response cache, until its model is deleted", async () => {
    const fit = await gql(api.endpoint, FIT, { input: { ...fitInput, name: "cached", seType: "HC0" } }, { key: API_KEY });
    const id = fit.data.fitModel.id as number;
    const vars = { modelId: id, interventions: [{ indicator: "fiscal_revenue", operation: "SCALE", value: 1.07 }] };
    const first = await gql(api.endpoint, WHAT_IF, vars);
    expect(first.errors).toBeUndefined();
    expect(first.headers.get("x-what-if-cache")).toBe("miss");
    const second = await gql(api.endpoint, WHAT_IF, vars);
    expect(second.headers.get("x-what-if-cache")).toBe("hit");
    expect(second.data).toEqual(first.data);
    // other variables are another question
    const other = await gql(api.endpoint, WHAT_IF, { ...vars, options: { confidenceLevel: 0.9 } });
    expect(other.headers.get("x-what-if-cache")).toBe("miss");
    expect(other.data.whatIf.difference.upper).toBeLessThan(first.data.whatIf.difference.upper);
    // a query that also reads something else is never answered from the cache
    const mixed = await gql(api.endpoint, `query($m: Int!) { models { id } whatIf(modelId: $m, interventions: []) { baselineTotal } }`, { m: id });
    expect(mixed.headers.get("x-what-if-cache")).toBeNull();
    expect((await gql(api.endpoint, "{ __typename }")).headers.get("x-what-if-cache")).toBeNull();
    // errors are not kept
    const bad = { ...vars, interventions: [{ indicator: "no_such", operation: "SCALE", value: 1 }] };
    for (let i = 0; i < 2; i++) {
      const r = await gql(api.endpoint, WHAT_IF, bad);
      expect(ext(r)).toMatchObject({ code: "BAD_USER_INPUT", reason: "UNKNOWN_INDICATOR" });
      expect(r.headers.get("x-what-if-cache")).toBe("miss");
    }
    // variables JSON cannot tell apart (1e400 parses to Infinity, which JSON writes as null) are not cached
    const raw = (level: string) =>
      fetch(api.endpoint, {
        method: "POST", headers: { "content-type": "application/json" },
        body: `{"query":${JSON.stringify(WHAT_IF)},"variables":{"modelId":${id},"interventions":[],"options":{"confidenceLevel":${level}}}}`,
      });
    expect((await raw("null")).status).toBe(200);
    expect((await raw("null")).headers.get("x-what-if-cache")).toBe("hit");
    expect((await raw("1e400")).status).toBe(400);
    // a document whose operation cannot be resolved is Apollo's 400, not an error of the cache
    const unnamed = await fetch(api.endpoint, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: WHAT_IF, operationName: "NoSuchOperation", variables: vars }),
    });
    expect(unnamed.status).toBe(400);
    expect((await gql(api.endpoint, `mutation($id: Int!) { deleteModel(id: $id) }`, { id }, { key: API_KEY })).data.deleteModel).toBe(true);
    const gone = await gql(api.endpoint, WHAT_IF, vars);
    expect(ext(gone)).toMatchObject({ code: "BAD_USER_INPUT", field: "modelId", reason: "UNKNOWN_MODEL" });
    expect(gone.headers.get("x-what-if-cache")).toBe("miss");
  });

  it("exposure and peer terms are carried into what-ifs: exposure ×1.1 multiplies every prediction by exactly 1.1", async () => {
    const input = {
      ...fitInput, name: "exposure + peer", seType: "OIM", predictors: ["fiscal_revenue", "mobile_users"],
      exposure: "population", peer: ["PEER_NEIGHBORS"],
    };
    const f = await gql(api.endpoint, `mutation($input: FitModelInput!) { fitModel(input: $input) { id predictors exposure peer n coefficients { term } } }`, { input }, { key: API_KEY });
    expect(f.errors).toBeUndefined();
    const m = f.data.fitModel;
    expect(m.predictors).toEqual(["fiscal_revenue", "mobile_users", "peer_neighbors"]);
    expect(m.exposure).toBe("population");
    expect(m.peer).toEqual(["PEER_NEIGHBORS"]);
    expect(m.coefficients.map((c: any) => c.term)).toEqual(["(Intercept)", "fiscal_revenue", "mobile_users", "peer_neighbors"]);
    const w = await gql(api.endpoint, WHAT_IF, { modelId: m.id, interventions: [{ indicator: "population", operation: "SCALE", value: 1.1 }] });
    expect(w.errors).toBeUndefined();
    expect(w.data.whatIf.counties).toHaveLength(m.n);
    expect(w.data.whatIf.difference.estimate).toBeCloseTo(0.1 * w.data.whatIf.baselineTotal, 6);
    for (const c of w.data.whatIf.counties) expect(c.scenario / c.baseline).toBeCloseTo(1.1, 10);
    // a peer term is a predictor too, so it can be intervened on; the outcome cannot
    const peer = await gql(api.endpoint, WHAT_IF, { modelId: m.id, interventions: [{ indicator: "peer_neighbors", operation: "ADD", value: 1 }] });
    expect(peer.errors).toBeUndefined();
    const bad = await gql(api.endpoint, WHAT_IF, { modelId: m.id, interventions: [{ indicator: "wechat_accounts", operation: "ADD", value: 1 }] });
    expect(ext(bad)).toMatchObject({ code: "BAD_USER_INPUT", field: "interventions[0].indicator" });
    // an exposure made <= 0 names the intervention's value and the counties by code, not row numbers
    const negative = await gql(api.endpoint, WHAT_IF, { modelId: m.id, interventions: [
      { indicator: "fiscal_revenue", operation: "SCALE", value: 1.1 },
      { indicator: "population", operation: "SET", value: -5, countyCodes: [w.data.whatIf.counties[0].code, w.data.whatIf.counties[1].code] },
    ] });
    expect(ext(negative)).toMatchObject({ code: "BAD_USER_INPUT", field: "interventions[1].value", argument: "interventions", reason: "OUT_OF_RANGE" });
    expect(negative.errors?.[0]?.message).toBe(`SET population -5 makes exposure "population" zero or negative for 2 counties: ${w.data.whatIf.counties[0].code}, ${w.data.whatIf.counties[1].code}; an exposure must stay > 0`);
  });

  it("fitModel bad input names the field: unknown dataset, year, indicator, duplicate predictor, level", async () => {
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ datasetId: 999999 }, { field: "input.datasetId", reason: "UNKNOWN_DATASET" }],
      [{ years: [1990] }, { field: "input.years", reason: "UNKNOWN_YEAR" }],
      [{ outcome: "no_such_outcome" }, { field: "input.outcome", reason: "UNKNOWN_INDICATOR" }],
      [{ predictors: ["fiscal_revenue", "no_such_indicator"] }, { field: "input.predictors[1]", reason: "UNKNOWN_INDICATOR" }],
      [{ predictors: ["fiscal_revenue", "fiscal_revenue"] }, { field: "input.predictors[1]", reason: "SINGULAR_DESIGN" }],
      [{ confidenceLevel: 0 }, { field: "input.confidenceLevel", reason: "OUT_OF_RANGE" }],
    ];
    for (const [patch, expected] of cases) {
      const r = await gql(api.endpoint, FIT, { input: { ...fitInput, ...patch } }, { key: API_KEY });
      expect(ext(r), JSON.stringify(patch)).toMatchObject({ code: "BAD_USER_INPUT", ...expected });
    }
  });

  it("fitModel: an indicator without values in the dataset is named by its input field", async () => {
    const ds = await gql(api.endpoint, `{ datasets { id name synthetic } }`);
    const census = ds.data.datasets.find((d: any) => !d.synthetic);
    const cases: [Record<string, unknown>, string][] = [
      [{ predictors: ["fiscal_revenue", "urbanization_rate"] }, "input.predictors[1]"],
      [{ predictors: ["fiscal_revenue"], exposure: "urbanization_rate" }, "input.exposure"],
      [{ predictors: ["fiscal_revenue"], offset: "urbanization_rate" }, "input.offset"],
      [{ datasetId: census.id, predictors: ["population"], seType: "OIM" }, "input.outcome"],
    ];
    for (const [patch, field] of cases) {
      const r = await gql(api.endpoint, FIT, { input: { ...fitInput, ...patch } }, { key: API_KEY });
      expect(ext(r), JSON.stringify(patch)).toMatchObject({ code: "BAD_USER_INPUT", field, argument: "input" });
      expect(r.errors?.[0]?.message).toMatch(/has no values in dataset/);
    }
  });

  it("fitModel refuses a degenerate fit (a count given as offset) and never stores it; a stored degenerate model does not break models", async () => {
    const before = await gql(api.endpoint, `{ models { id } }`);
    const r = await gql(api.endpoint, FIT, { input: { ...fitInput, name: "offset misuse", predictors: ["population"], offset: "fiscal_revenue", seType: "OIM" } }, { key: API_KEY });
    expect(ext(r)).toMatchObject({ code: "BAD_USER_INPUT", field: "input.offset", reason: "OUT_OF_RANGE" });
    expect(r.errors?.[0]?.message).toMatch(/offset "fiscal_revenue" is \d+(\.\d+)? for county \d{6} \(2020\).*log scale/);
    const after = await gql(api.endpoint, `{ models { id } }`);
    expect(after.data.models).toEqual(before.data.models);

    // A degenerate model stored by an older version (NaN → null in JSON, Infinity → null):
    const handle = createDb({ url: db.url });
    const repos = createRepositories(handle);
    const good = (await repos.models.list())[0]!;
    const broken = await repos.models.create({
      name: "degenerate", spec: good.spec, fingerprint: "degenerate-test",
      result: { ...good.result, aic: Number.NaN, logLikelihood: Number.POSITIVE_INFINITY },
    });
    await handle.$disconnect();
    const list = await gql(api.endpoint, `{ models { id aic logLikelihood } }`);
    expect(list.errors).toBeUndefined();
    expect(list.data.models.map((m: any) => m.id)).toEqual(before.data.models.map((m: any) => m.id));
    for (const m of list.data.models) expect(Number.isFinite(m.aic)).toBe(true);
    const one = await gql(api.endpoint, `query($id: Int!) { model(id: $id) { id aic } }`, { id: broken.id });
    expect(ext(one)).toMatchObject({ code: "ESTIMATION_FAILED", reason: "NON_FINITE" });
    expect(one.errors?.[0]?.message).toMatch(/deleteModel/);
    const del = await gql(api.endpoint, `mutation($id: Int!) { deleteModel(id: $id) }`, { id: broken.id }, { key: API_KEY });
    expect(del.data.deleteModel).toBe(true);
  });

  it("importDataset (CSV), then too few rows and a rank-deficient design are refused by fitModel", async () => {
    const counties = ["450102", "450103", "450105", "450107", "450108", "450109", "450110", "450123", "450124", "450125",
      "450126", "450127", "450202", "450203", "450204", "450205", "450206", "450222", "450223", "450224"];
    // population_x2 = 2 * population: an exactly collinear pair (a new indicator, hence createIndicators).
    const lines = ["county_code,year,wechat_accounts,population,fiscal_revenue,mobile_users,population_x2"];
    counties.forEach((c, i) => {
      const pop = 100000 + i * 1000 + (i % 3) * 5000;
      lines.push(`${c},2020,${((i * 7) % 13) + 1},${pop},${2000 + ((i * 37) % 11) * 100},${50000 + ((i * 53) % 17) * 900},${2 * pop}`);
    });
    const csv = lines.join("\n") + "\n";
    const input = { name: "e2e wide", csv, format: "WIDE", source: "test", provenance: "made up", synthetic: true, createIndicators: true };
    const imp = await gql(api.endpoint, IMPORT, { input }, { key: API_KEY });
    expect(imp.errors).toBeUndefined();
    expect(imp.data.importDataset).toMatchObject({ rows: 20, counties: 20, years: 1, indicators: 5, unchanged: false });
    const datasetId = imp.data.importDataset.datasetId;
    const again = await gql(api.endpoint, IMPORT, { input }, { key: API_KEY });
    expect(again.errors).toBeUndefined();
    expect(again.data.importDataset.unchanged).toBe(true);
    const different = await gql(api.endpoint, IMPORT, { input: { ...input, csv: csv.replace("450102,2020,1,", "450102,2020,2,") } }, { key: API_KEY });
    expect(ext(different).code).toBe("CONFLICT");

    const base = { name: "small", datasetId, years: [2020], outcome: "wechat_accounts", family: "POISSON", seType: "OIM" };
    const singular = await gql(api.endpoint, FIT, { input: { ...base, predictors: ["population", "population_x2"] } }, { key: API_KEY });
    expect(ext(singular)).toMatchObject({ code: "BAD_USER_INPUT", field: "input.predictors", reason: "SINGULAR_DESIGN" });

    // 3 complete rows cannot carry an intercept and 3 slopes.
    const tiny = await gql(api.endpoint, IMPORT, { input: { name: "e2e tiny", format: "WIDE", csv: lines.slice(0, 4).join("\n"), createIndicators: true } }, { key: API_KEY });
    expect(tiny.errors).toBeUndefined();
    const tooFew = await gql(api.endpoint, FIT, {
      input: { ...base, datasetId: tiny.data.importDataset.datasetId, predictors: ["population", "fiscal_revenue", "mobile_users"] },
    }, { key: API_KEY });
    expect(ext(tooFew)).toMatchObject({ code: "BAD_USER_INPUT", field: "input.years", reason: "TOO_FEW_ROWS" });

    const ok = await gql(api.endpoint, FIT, { input: { ...base, predictors: ["population", "fiscal_revenue"] } }, { key: API_KEY });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.fitModel.n).toBe(20);
    expect(ok.data.fitModel.dataset).toEqual({ id: datasetId, synthetic: true });
  });

  it("an offset (log scale) is carried into what-ifs: ADD ln 1.1 to the offset multiplies every prediction by exactly 1.1", async () => {
    const counties = ["450102", "450103", "450105", "450107", "450108", "450109", "450110", "450123", "450124", "450125",
      "450126", "450127", "450202", "450203", "450204", "450205", "450206", "450222", "450223", "450224"];
    const lines = ["county_code,year,wechat_accounts,fiscal_revenue,log_pop_e2e"];
    counties.forEach((c, i) => {
      const pop = 100000 + i * 7000 + (i % 4) * 9000;
      lines.push(`${c},2020,${((i * 5) % 11) + 2},${2000 + ((i * 37) % 11) * 100},${Math.log(pop)}`);
    });
    const imp = await gql(api.endpoint, IMPORT, { input: { name: "e2e offset", csv: lines.join("\n"), format: "WIDE", createIndicators: true, synthetic: true } }, { key: API_KEY });
    expect(imp.errors).toBeUndefined();
    const f = await gql(api.endpoint, `mutation($input: FitModelInput!) { fitModel(input: $input) { id offset n converged coefficients { term } } }`, {
      input: { name: "offset model", datasetId: imp.data.importDataset.datasetId, years: [2020], outcome: "wechat_accounts",
        predictors: ["fiscal_revenue"], offset: "log_pop_e2e", family: "POISSON", seType: "OIM" },
    }, { key: API_KEY });
    expect(f.errors).toBeUndefined();
    expect(f.data.fitModel).toMatchObject({ offset: "log_pop_e2e", n: 20, converged: true, coefficients: [{ term: "(Intercept)" }, { term: "fiscal_revenue" }] });
    const id = f.data.fitModel.id;
    const w = await gql(api.endpoint, WHAT_IF, { modelId: id, interventions: [{ indicator: "log_pop_e2e", operation: "ADD", value: Math.log(1.1) }] });
    expect(w.errors).toBeUndefined();
    expect(w.data.whatIf.counties).toHaveLength(20);
    expect(w.data.whatIf.scenarioTotal / w.data.whatIf.baselineTotal).toBeCloseTo(1.1, 10);
    for (const c of w.data.whatIf.counties) expect(c.scenario / c.baseline).toBeCloseTo(1.1, 10);
    // only the Nanning counties (4501xx) changed when the offset moves there alone
    const some = await gql(api.endpoint, WHAT_IF, { modelId: id, interventions: [{ indicator: "log_pop_e2e", operation: "ADD", value: Math.log(2), prefectureCodes: ["450100"] }] });
    expect(some.errors).toBeUndefined();
    for (const c of some.data.whatIf.counties) expect(c.scenario / c.baseline).toBeCloseTo(c.code.startsWith("4501") ? 2 : 1, 10);
    const overflow = await gql(api.endpoint, WHAT_IF, { modelId: id, interventions: [{ indicator: "log_pop_e2e", operation: "ADD", value: 800 }] });
    expect(ext(overflow)).toMatchObject({ code: "BAD_USER_INPUT", field: "interventions[0].value", reason: "OUT_OF_RANGE" });
  });

  it("importDataset: bad CSV → BAD_USER_INPUT with the line; oversize → BAD_USER_INPUT input.csv; anonymous → 401", async () => {
    const bad = await gql(api.endpoint, IMPORT, { input: { name: "e2e bad", csv: "county_code,year,indicator,value\n450102,2020,population,abc\n" } }, { key: API_KEY });
    expect(ext(bad)).toMatchObject({ code: "BAD_USER_INPUT", field: "input.csv", line: 2 });
    const big = "county_code,year,indicator,value\n" + "450102,2020,population,1\n".repeat(5000);
    const tooBig = await gql(api.endpoint, IMPORT, { input: { name: "e2e big", csv: big } }, { key: API_KEY });
    expect(ext(tooBig)).toMatchObject({ code: "BAD_USER_INPUT", field: "input.csv", reason: "TOO_LARGE" });
    const anon = await gql(api.endpoint, IMPORT, { input: { name: "x", csv: "a" } });
    expect(anon.status).toBe(401);
  });

  it("createScenario stores a what-if; scenarios(modelId), scenario(id), deleteScenario", async () => {
    const input = {
      modelId: seededModelId, name: "Baise +10% fiscal",
      interventions: [{ indicator: "fiscal_revenue", operation: "SCALE", value: 1.1, prefectureCodes: [BAISE] }],
    };
    const anon = await gql(api.endpoint, `mutation($input: CreateScenarioInput!) { createScenario(input: $input) { id } }`, { input });
    expect(ext(anon).code).toBe("UNAUTHENTICATED");
    const c = await gql(api.endpoint, `mutation($input: CreateScenarioInput!) { createScenario(input: $input) {
        id modelId name interventions { indicator operation value prefectureCodes countyCodes }
        result { baselineTotal scenarioTotal difference { estimate } counties { code name changed } } model { id } } }`, { input }, { key: API_KEY });
    expect(c.errors).toBeUndefined();
    const s = c.data.createScenario;
    expect(s.interventions).toEqual([{ indicator: "fiscal_revenue", operation: "SCALE", value: 1.1, prefectureCodes: [BAISE], countyCodes: null }]);
    expect(s.model.id).toBe(seededModelId);
    const live = await gql(api.endpoint, WHAT_IF, { modelId: seededModelId, interventions: input.interventions });
    expect(s.result.difference.estimate).toBeCloseTo(live.data.whatIf.difference.estimate, 10);

    const list = await gql(api.endpoint, `query($m: Int) { scenarios(modelId: $m) { id result { counties { code name changed } } } }`, { m: seededModelId });
    const found = list.data.scenarios.find((x: any) => x.id === s.id);
    expect(found.result.counties).toEqual(s.result.counties);
    const one = await gql(api.endpoint, `query($id: Int!) { scenario(id: $id) { id name result { scenarioTotal } } }`, { id: s.id });
    expect(one.data.scenario.result.scenarioTotal).toBeCloseTo(s.result.scenarioTotal, 10);

    const badModel = await gql(api.endpoint, `mutation($input: CreateScenarioInput!) { createScenario(input: $input) { id } }`,
      { input: { ...input, modelId: 999999 } }, { key: API_KEY });
    expect(ext(badModel)).toMatchObject({ code: "BAD_USER_INPUT", field: "input.modelId" });

    const del = await gql(api.endpoint, `mutation($id: Int!) { deleteScenario(id: $id) }`, { id: s.id }, { key: API_KEY });
    expect(del.data.deleteScenario).toBe(true);
    const nf = await gql(api.endpoint, `query($id: Int!) { scenario(id: $id) { id } }`, { id: s.id });
    expect(ext(nf).code).toBe("NOT_FOUND");
  });
});

describe("limits", () => {
  it("rejects queries that are too deep", async () => {
    let sel = "code";
    for (let i = 0; i < 12; i++) sel = `neighbors { ${sel} }`;
    const r = await gql(api.endpoint, `{ county(code: "451002") { ${sel} } }`);
    expect(r.data ?? null).toBeNull();
    expect(r.errors?.[0]?.message).toMatch(/depth/i);
  });

  it("rejects too many aliases", async () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: prefectures { code }`).join(" ");
    const r = await gql(api.endpoint, `{ ${aliases} }`);
    expect(r.errors?.[0]?.message).toMatch(/alias/i);
  });

  it("cost multiplies by list sizes: nested neighbour lists and 15 aliased county dumps are refused with 400", async () => {
    const deep = await gql(api.endpoint, `{ counties { neighbors { neighbors { neighbors { code indicators { value } } } } } }`);
    expect(deep.status).toBe(400);
    expect(deep.data ?? null).toBeNull();
    expect(ext(deep)).toMatchObject({ code: "GRAPHQL_VALIDATION_FAILED", reason: "QUERY_COST", maxCost: 50000 });
    expect(ext(deep).cost).toBeGreaterThan(1_000_000);
    expect(deep.errors?.[0]?.message).toMatch(/cost \d+ exceeds the limit of 50000/);
    const aliases = Array.from({ length: 15 }, (_, i) => `a${i}: counties { indicators { value } }`).join(" ");
    const many = await gql(api.endpoint, `{ ${aliases} }`);
    expect(many.status).toBe(400);
    expect(ext(many)).toMatchObject({ code: "GRAPHQL_VALIDATION_FAILED", reason: "QUERY_COST", cost: 15 * 111 * 61 });
    // the whole county graph in one query stays allowed
    const full = await gql(api.endpoint, `{ counties { code name prefecture { code name } neighbors { code name }
      indicators { indicator year value datasetId } adoptions { year count cumulative } } }`);
    expect(full.errors).toBeUndefined();
    expect(full.data.counties).toHaveLength(111);
  });

  it("cost follows the variables of each request, not those the same document first came with", async () => {
    // One prefecture's counties cost 15 × 475 = 7,125; all counties 111 × 475 = 52,725 (> 50,000).
    const q = `query($p: String) { counties(prefectureCode: $p) { neighbors { neighbors { neighbors { code } } } } }`;
    const narrow = await gql(api.endpoint, q, { p: "451000" });
    expect(narrow.errors).toBeUndefined();
    const wide = await gql(api.endpoint, q, { p: null });
    expect(wide.status).toBe(400);
    expect(ext(wide)).toMatchObject({ reason: "QUERY_COST", cost: 52725 });
    const again = await gql(api.endpoint, q, { p: "451000" });
    expect(again.errors).toBeUndefined();
    expect(again.data).toEqual(narrow.data);
  });

  it("a SIMULATION what-if is priced by draws × baseline rows: one of 1,000 draws passes, 15 aliased are refused naming the limit", async () => {
    const sim = (alias: string) => `${alias}: whatIf(modelId: $m, interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: 1.1 }],
      options: { uncertainty: SIMULATION, draws: 1000, seed: 3 }) { difference { estimate } }`;
    const one = await gql(api.endpoint, `query($m: Int!) { ${sim("a")} }`, { m: seededModelId });
    expect(one.errors).toBeUndefined();
    expect(one.data.a.difference.estimate).toBeGreaterThan(0);
    const fifteen = await gql(api.endpoint, `query($m: Int!) { ${Array.from({ length: 15 }, (_, i) => sim(`a${i}`)).join(" ")} }`, { m: seededModelId });
    expect(fifteen.status).toBe(400);
    expect(fifteen.data ?? null).toBeNull();
    // 111 baseline rows × 1,000 draws / 10 = 11,100 each, + 3 for the fields
    expect(ext(fifteen)).toMatchObject({ code: "GRAPHQL_VALIDATION_FAILED", reason: "QUERY_COST", cost: 15 * 11_103, maxCost: 50000 });
    expect(fifteen.errors?.[0]?.message).toMatch(/query cost 166545 exceeds the limit of 50000: SIMULATION what-ifs cost draws × baseline rows .*fewer draws/);
  });

  it("createScenario with SIMULATION is priced too: five aliased 1,000-draw scenarios are refused and none is saved", async () => {
    const before = (await gql(api.endpoint, `{ scenarios { id } }`)).data.scenarios.length;
    const create = (i: number) => `s${i}: createScenario(input: { modelId: $m, name: "priced ${i}", interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: 1.1 }],
      options: { uncertainty: SIMULATION, draws: 1000 } }) { id }`;
    const r = await gql(api.endpoint, `mutation($m: Int!) { ${[0, 1, 2, 3, 4].map(create).join(" ")} }`, { m: seededModelId }, { key: API_KEY });
    expect(r.status).toBe(400);
    expect(ext(r)).toMatchObject({ reason: "QUERY_COST", cost: 5 * 11_102 });
    expect((await gql(api.endpoint, `{ scenarios { id } }`)).data.scenarios.length).toBe(before);
  });

  it("rejects a query over the token limit", async () => {
    const fields = Array.from({ length: 4100 }, () => "__typename").join(" ");
    const r = await gql(api.endpoint, `{ ${fields} }`);
    expect(r.status).toBe(400);
    expect(ext(r).code).toBe("GRAPHQL_PARSE_FAILED");
    expect(r.errors?.[0]?.message).toMatch(/more that 4000 tokens/i) // (sic, graphql-js);
  });

  it("rejects a body over the size limit with 413 and a JSON error", async () => {
    const res = await fetch(api.endpoint, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }", variables: { pad: "x".repeat(300_000) } }),
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as any;
    expect(body.errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("wrong argument types are a 400 with a GraphQL error, not a crash", async () => {
    const r = await gql(api.endpoint, WHAT_IF, { modelId: "one", interventions: [] });
    expect(r.status).toBe(400);
    expect(ext(r).code).toBe("BAD_USER_INPUT");
  });
});

describe("per-client rate limiting (GOVDIFFUSION_RATE_LIMIT=3)", () => {
  it("429 with Retry-After and RATE_LIMITED after the budget; on PostgreSQL two servers on one database share it, on SQLite each process has its own", async () => {
    const one = await startApi(db.url, { GOVDIFFUSION_RATE_LIMIT: "3" });
    const two = await startApi(db.url, { GOVDIFFUSION_RATE_LIMIT: "3" });
    try {
      const statuses: number[] = [];
      for (const server of [one, one, two, two]) statuses.push((await gql(server.endpoint, "{ __typename }")).status);
      const shared = Boolean(process.env["TEST_PG_URL"]);
      expect(statuses).toEqual(shared ? [200, 200, 200, 429] : [200, 200, 200, 200]);
      // one more on the first server: its own third on SQLite, the fifth of the shared budget on PostgreSQL
      expect((await gql(one.endpoint, "{ __typename }")).status).toBe(shared ? 429 : 200);
      const refused = await gql(one.endpoint, "{ __typename }");
      expect(refused.status).toBe(429);
      const wait = Number(refused.headers.get("retry-after"));
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(60);
      expect(ext(refused)).toEqual({ code: "RATE_LIMITED", retryAfter: wait });
      // the main server of this suite (the default budget, 1,000 a minute) is unaffected
      expect((await gql(api.endpoint, "{ __typename }")).status).toBe(200);
    } finally {
      await one.stop();
      await two.stop();
    }
  });
});

describe("GOVDIFFUSION_REQUIRE_KEY_FOR_READS and read-only keys", () => {
  let locked: RunningApi;
  beforeAll(async () => {
    locked = await startApi(db.url, { GOVDIFFUSION_REQUIRE_KEY_FOR_READS: "true", GOVDIFFUSION_READ_KEYS: READ_KEY });
  });
  afterAll(() => locked?.stop());

  it("refuses anonymous and wrong-key reads with 401, serves reads with a key", async () => {
    const anon = await gql(locked.endpoint, `{ prefectures { code } }`);
    expect(anon.status).toBe(401);
    expect(ext(anon).code).toBe("UNAUTHENTICATED");
    const wrong = await gql(locked.endpoint, `{ prefectures { code } }`, {}, { key: "nope-nope-nope-nope-nope" });
    expect(wrong.status).toBe(401);
    const ok = await gql(locked.endpoint, `{ prefectures { code } }`, {}, { key: API_KEY });
    expect(ok.status).toBe(200);
    expect(ok.data.prefectures).toHaveLength(14);
  });

  it("a read-only key (GOVDIFFUSION_READ_KEYS) reads, and gets FORBIDDEN (403) on every mutation", async () => {
    const read = await gql(locked.endpoint, `{ prefectures { code } models { id } }`, {}, { key: READ_KEY });
    expect(read.status).toBe(200);
    expect(read.errors).toBeUndefined();
    expect(read.data.prefectures).toHaveLength(14);
    const id = read.data.models[0].id;
    const del = await gql(locked.endpoint, `mutation($id: Int!) { deleteModel(id: $id) }`, { id }, { key: READ_KEY });
    expect(del.status).toBe(403);
    expect(ext(del).code).toBe("FORBIDDEN");
    expect(del.errors?.[0]?.message).toMatch(/read-only/);
    const imp = await gql(locked.endpoint, IMPORT, { input: { name: "nope", csv: "county_code,year,indicator,value\n" } }, { key: READ_KEY });
    expect(ext(imp).code).toBe("FORBIDDEN");
    // the model is still there; a write key may still mutate
    const still = await gql(locked.endpoint, `query($id: Int!) { model(id: $id) { id } }`, { id }, { key: READ_KEY });
    expect(still.data.model.id).toBe(id);
    const scen = await gql(locked.endpoint, `mutation($id: Int!) { deleteScenario(id: $id) }`, { id: 999999 }, { key: API_KEY });
    expect(ext(scen).code).toBe("NOT_FOUND");
    // on the main server (no read keys configured) the read key is just an invalid key
    const elsewhere = await gql(api.endpoint, `{ prefectures { code } }`, {}, { key: READ_KEY });
    expect(elsewhere.status).toBe(401);
  });
});
