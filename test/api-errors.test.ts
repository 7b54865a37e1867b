/**
 * Every failure has a clear class (issue 8, point 4), over real HTTP against the built server, on
 * SQLite or (TEST_PG_URL, `npm run test:pg`) PostgreSQL: an unreachable or read-only database is
 * 503 SERVICE_UNAVAILABLE (retryable), over-deep JSON is 400 before GraphQL runs, control
 * characters are BAD_USER_INPUT naming the argument, an incomputable confidence level names
 * confidenceLevel, introspection obeys a depth limit, and the createScenario/deleteModel race has
 * one answer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { getIntrospectionQuery } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDataAccess, createLogger, createServer, loadConfig, type DataAccess } from "@govdiffusion/api";
import { createDb, createRepositories, type Db } from "@govdiffusion/db";
import { API_KEY, ext, gql, seededDatabase, type TestDatabase } from "./api-harness.js";

const onPg = process.env["TEST_PG_URL"] !== undefined;

interface Started { endpoint: string; base: string; lines: Record<string, any>[]; stop(): Promise<void> }

/** The built server on `url` (or over a given DataAccess), its JSON log lines collected. */
async function start(url: string, opts: { data?: DataAccess; env?: Record<string, string> } = {}): Promise<Started> {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString("utf8").split("\n")) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  const config = loadConfig({ PORT: "0", DATABASE_URL: url, GOVDIFFUSION_API_KEYS: API_KEY, LOG_LEVEL: "info", ...opts.env });
  const server = await createServer({ config, ...(opts.data ? { data: opts.data } : { db: createDb({ url }) }), log: createLogger("info", stream) });
  const { port } = await server.listen(0, "127.0.0.1");
  const base = `http://127.0.0.1:${port}`;
  return { endpoint: `${base}/graphql`, base, lines, stop: () => server.stop() };
}

const post = (endpoint: string, body: string) =>
  fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body }).then(async (r) => ({ status: r.status, headers: r.headers, body: (await r.json()) as any }));

const IMPORT = `mutation($input: ImportDatasetInput!) { importDataset(input: $input) { datasetId rows } }`;
const CSV = "county_code,year,indicator,value\n450102,2020,population,1\n";

describe("database unreachable → HTTP 503 SERVICE_UNAVAILABLE, retryable", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "govdiffusion-unreachable-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // PostgreSQL on a port where nothing listens (the shared server is left alone); SQLite on a path that is a directory.
  for (const [label, url] of [["PostgreSQL down", "postgresql://nobody:secret@127.0.0.1:1/none"], ["SQLite file unopenable", `file:${dir}`]] as const) {
    it(`${label}: queries and mutations answer 503 with SERVICE_UNAVAILABLE, /readyz 503; no error-level log`, async () => {
      const api = await start(url);
      try {
        const read = await gql(api.endpoint, "{ prefectures { code } }");
        expect(read.status).toBe(503);
        expect(read.headers.get("retry-after")).toBe("5");
        expect(read.errors).toHaveLength(1);
        expect(read.errors![0]!.message).toBe("The database is unreachable; retry later");
        expect(ext(read)).toEqual({ code: "SERVICE_UNAVAILABLE", reason: "UNREACHABLE", retryable: true });
        const write = await gql(api.endpoint, `mutation { deleteModel(id: 1) }`, {}, { key: API_KEY });
        expect(write.status).toBe(503);
        expect(ext(write)).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryable: true });
        const ready = await fetch(`${api.base}/readyz`);
        expect(ready.status).toBe(503);
        expect(await ready.text()).toBe("database unreachable");
        expect(api.lines.filter((l) => l.level >= 50)).toEqual([]);
        expect(api.lines.some((l) => l.level === 40 && l.msg === "database unavailable")).toBe(true);
      } finally {
        await api.stop();
      }
    });
  }
});

describe("with a seeded database", () => {
  let db: TestDatabase;
  let api: Started;
  let repos: ReturnType<typeof createRepositories>;
  let admin: Db;
  let modelId: number;

  beforeAll(async () => {
    db = await seededDatabase("errors");
    api = await start(db.url, { env: { GOVDIFFUSION_GRAPHIQL: "true" } });
    admin = createDb({ url: db.url });
    repos = createRepositories(admin);
    modelId = (await repos.models.list())[0]!.id;
  });
  afterAll(async () => {
    await api?.stop();
    await admin?.$disconnect();
    await db?.drop();
  });

  describe("JSON nested deeper than the bound (64)", () => {
    it("variables nested 3,000 deep in a 6 KB body: 400 BAD_REQUEST before GraphQL runs, nothing logged at error level", async () => {
      const deep = "[".repeat(3000) + "1" + "]".repeat(3000);
      const body = `{"query":"{ __typename }","variables":{"x":${deep}}}`;
      expect(body.length).toBeLessThan(6200);
      const r = await post(api.endpoint, body);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ errors: [{ message: "JSON body nested deeper than 64 levels", extensions: { code: "BAD_REQUEST" } }] });
      const viaGet = await fetch(`${api.endpoint}?query=${encodeURIComponent("{ __typename }")}&variables=${encodeURIComponent(`{"x":${"[".repeat(100)}1${"]".repeat(100)}}`)}`, {
        headers: { "apollo-require-preflight": "true" },
      });
      expect(viaGet.status).toBe(400);
      expect(((await viaGet.json()) as any).errors[0].extensions.code).toBe("BAD_REQUEST");
      // Legitimate nesting well inside the bound still works.
      const ok = await post(api.endpoint, `{"query":"{ __typename }","variables":{"x":[[[{\"a\":[1]}]]]}}`);
      expect(ok.body).toEqual({ data: { __typename: "Query" } });
      expect(api.lines.filter((l) => l.level >= 50)).toEqual([]);
    });
  });

  describe("control characters in any string argument → BAD_USER_INPUT naming it, identically on SQLite and PostgreSQL", () => {
    it("NUL in a dataset name, a CSV (with its line), a predictor, a county code; DEL in a scenario name; nothing is written", async () => {
      const before = (await repos.datasets.list()).length;
      const name = await gql(api.endpoint, IMPORT, { input: { name: "census\u0000x", csv: CSV } }, { key: API_KEY });
      expect(name.status).toBe(400);
      expect(name.errors![0]!.message).toMatch(/^input\.name contains the control character U\+0000 at position 7/);
      expect(ext(name)).toEqual({ code: "BAD_USER_INPUT", field: "input.name", argument: "input", reason: "CONTROL_CHARACTER" });

      const csv = await gql(api.endpoint, IMPORT, { input: { name: "nul-csv", csv: `${CSV}450103,2020,population,2\u0000\n` } }, { key: API_KEY });
      expect(ext(csv)).toEqual({ code: "BAD_USER_INPUT", field: "input.csv", argument: "input", reason: "CONTROL_CHARACTER", line: 3 });
      expect(csv.errors![0]!.message).toMatch(/on line 3/);

      // A literal in the document (not a variable) is checked the same way.
      const literal = await gql(api.endpoint, `mutation { importDataset(input: { name: "a\\u0001b", csv: ${JSON.stringify(CSV)} }) { rows } }`, {}, { key: API_KEY });
      expect(ext(literal)).toMatchObject({ code: "BAD_USER_INPUT", field: "input.name" });
      const raw = await gql(api.endpoint, `mutation { importDataset(input: { name: "a\u007fb", csv: ${JSON.stringify(CSV)} }) { rows } }`, {}, { key: API_KEY });
      expect(ext(raw)).toMatchObject({ code: "BAD_USER_INPUT", field: "input.name", reason: "CONTROL_CHARACTER" });

      const fit = await gql(api.endpoint, `mutation($input: FitModelInput!) { fitModel(input: $input) { id } }`, {
        input: { name: "m", datasetId: 1, years: [2020], outcome: "wechat_accounts", predictors: ["population", "fiscal\u0000revenue"] },
      }, { key: API_KEY });
      expect(ext(fit)).toMatchObject({ code: "BAD_USER_INPUT", field: "input.predictors[1]", reason: "CONTROL_CHARACTER" });

      const whatIf = await gql(api.endpoint, `query($i: [InterventionInput!]!) { whatIf(modelId: ${modelId}, interventions: $i) { scenarioTotal } }`, {
        i: [{ indicator: "fiscal_revenue", operation: "SCALE", value: 1.1, countyCodes: ["450102", "4501\u000003"] }],
      });
      expect(ext(whatIf)).toMatchObject({ code: "BAD_USER_INPUT", field: "interventions[0].countyCodes[1]", argument: "interventions" });

      const del = await gql(api.endpoint, `mutation($input: CreateScenarioInput!) { createScenario(input: $input) { id } }`, {
        input: { modelId, name: "bad\u007fname", interventions: [] },
      }, { key: API_KEY });
      expect(ext(del)).toMatchObject({ code: "BAD_USER_INPUT", field: "input.name", reason: "CONTROL_CHARACTER" });
      expect(del.errors![0]!.message).toMatch(/U\+007F/);

      expect((await repos.datasets.list()).length).toBe(before);
      expect((await repos.scenarios.list()).length).toBe(0);
      // Tabs and newlines are ordinary text.
      const tab = await gql(api.endpoint, IMPORT, { input: { name: "with\ttab", csv: CSV.replace(/\n/g, "\r\n"), createIndicators: true } }, { key: API_KEY });
      expect(tab.errors).toBeUndefined();
    });
  });

  describe("an interval that cannot be computed at the confidence level blames confidenceLevel", () => {
    it("whatIf options.confidenceLevel and fitModel input.confidenceLevel: 0.9999999999999999", async () => {
      const w = await gql(api.endpoint, `query($o: WhatIfOptions) { whatIf(modelId: ${modelId}, interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: 1.1 }], options: $o) { scenarioTotal } }`, {
        o: { confidenceLevel: 0.9999999999999999 },
      });
      expect(ext(w)).toEqual({ code: "BAD_USER_INPUT", field: "options.confidenceLevel", argument: "options", reason: "OUT_OF_RANGE" });
      expect(w.errors![0]!.message).toMatch(/too close to 1/);
      const sim = await gql(api.endpoint, `query($o: WhatIfOptions) { whatIf(modelId: ${modelId}, interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: 1.1 }], options: $o) { scenarioTotal } }`, {
        o: { confidenceLevel: 0.9999999999999999, uncertainty: "SIMULATION", draws: 10 },
      });
      expect(ext(sim)).toMatchObject({ field: "options.confidenceLevel" });
      const stored = (await repos.models.byId(modelId))!;
      const f = await gql(api.endpoint, `mutation($input: FitModelInput!) { fitModel(input: $input) { id } }`, {
        input: { name: "level", datasetId: stored.spec.datasetId, years: stored.spec.years, outcome: stored.spec.outcome, predictors: stored.spec.predictors, confidenceLevel: 0.9999999999999999 },
      }, { key: API_KEY });
      expect(ext(f)).toEqual({ code: "BAD_USER_INPUT", field: "input.confidenceLevel", argument: "input", reason: "OUT_OF_RANGE" });
      const fine = await gql(api.endpoint, `query($o: WhatIfOptions) { whatIf(modelId: ${modelId}, interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: 1.1 }], options: $o) { confidenceLevel } }`, {
        o: { confidenceLevel: 0.9999999999999998 },
      });
      expect(fine.data.whatIf.confidenceLevel).toBe(0.9999999999999998);
    });
  });

  describe("GraphQL validation", () => {
    it("unknown fields and arguments are GRAPHQL_VALIDATION_FAILED (400), not BAD_USER_INPUT", async () => {
      for (const q of ["{ nope }", "{ models(foo: 1) { id } }", `{ whatIf(modelId: 1, interventions: [{ indicator: "x", op: SCALE, value: 1 }]) { scenarioTotal } }`]) {
        const r = await gql(api.endpoint, q);
        expect(r.status).toBe(400);
        expect(r.errors!.map((e) => e.extensions?.["code"])).toEqual(r.errors!.map(() => "GRAPHQL_VALIDATION_FAILED"));
        expect(ext(r)).not.toHaveProperty("reason");
      }
    });

    it("introspection obeys a depth limit (15, fragments flattened); GraphiQL's standard introspection query still works", async () => {
      let sel = "name";
      for (let i = 0; i < 20; i++) sel = `ofType { ${sel} }`;
      const deep = await gql(api.endpoint, `{ __schema { types { fields { type { ${sel} } } } } }`);
      expect(deep.status).toBe(400);
      expect(ext(deep).code).toBe("GRAPHQL_VALIDATION_FAILED");
      expect(deep.errors![0]!.message).toMatch(/depth limit of 15 exceeded/);
      const viaType = await gql(api.endpoint, `{ __type(name: "Query") { fields { type { ${sel} } } } }`);
      expect(ext(viaType).code).toBe("GRAPHQL_VALIDATION_FAILED");
      const standard = await gql(api.endpoint, getIntrospectionQuery({ inputValueDeprecation: true, schemaDescription: true, specifiedByUrl: true, directiveIsRepeatable: true }));
      expect(standard.errors).toBeUndefined();
      expect(standard.data.__schema.queryType.name).toBe("Query");
    });
  });

  describe("the createScenario/deleteModel race has one answer: BAD_USER_INPUT input.modelId UNKNOWN_MODEL", () => {
    const CREATE = `mutation($input: CreateScenarioInput!) { createScenario(input: $input) { id } }`;
    const input = (id: number) => ({ modelId: id, name: "race", interventions: [{ indicator: "fiscal_revenue", operation: "SCALE", value: 1.1 }] });
    /** A copy of the seeded model (its own id), so each race deletes a model of its own. */
    const copyModel = async (tag: string) => {
      const m = (await repos.models.byId(modelId))!;
      return (await repos.models.create({ name: `copy ${tag}`, spec: m.spec, result: m.result, fingerprint: `${m.fingerprint}-${tag}` })).id;
    };
    const expectUnknownModel = (r: Awaited<ReturnType<typeof gql>>, id: number) => {
      expect(r.status).toBe(200);
      expect(r.errors).toHaveLength(1);
      expect(r.errors![0]!.message).toBe(`model ${id} does not exist (see the models query)`);
      expect(ext(r)).toEqual({ code: "BAD_USER_INPUT", field: "input.modelId", argument: "input", reason: "UNKNOWN_MODEL" });
    };

    it("deleted before the request, after the what-if ran (before the insert), and between the check and the insert (foreign key)", async () => {
      const gone = await copyModel("before");
      await repos.models.delete(gone);
      expectUnknownModel(await gql(api.endpoint, CREATE, { input: input(gone) }, { key: API_KEY }), gone);

      // Deletions injected at fixed points through a DataAccess double over the same database.
      const afterWhatIf = await copyModel("after-what-if");
      const real = createDataAccess(admin);
      const racingRepos = Object.create(real.repos) as typeof real.repos;
      racingRepos.scenarios = {
        ...real.repos.scenarios,
        create: async (s) => {
          await real.repos.models.delete(s.modelId);
          return real.repos.scenarios.create(s);
        },
      };
      const raceApi = await start(db.url, { data: { ...real, repos: racingRepos } });
      try {
        expectUnknownModel(await gql(raceApi.endpoint, CREATE, { input: input(afterWhatIf) }, { key: API_KEY }), afterWhatIf);
      } finally {
        await raceApi.stop();
      }

      const atInsert = await copyModel("at-insert");
      const racingDb = admin.$extends({
        query: { scenario: { async create({ args, query }) { await admin.fittedModel.deleteMany({ where: { id: atInsert } }); return query(args); } } },
      }) as unknown as Db;
      const fkApi = await start(db.url, { data: createDataAccess(racingDb) });
      try {
        expectUnknownModel(await gql(fkApi.endpoint, CREATE, { input: input(atInsert) }, { key: API_KEY }), atInsert);
      } finally {
        await fkApi.stop();
      }
      expect((await repos.scenarios.list()).filter((s) => [gone, afterWhatIf, atInsert].includes(s.modelId))).toEqual([]);
    });
  });
});

describe("database read-only → /readyz says so, mutations 503 naming the read-only store, reads work", () => {
  let db: TestDatabase;
  let api: Started;
  let readOnlyUrl: string;

  beforeAll(async () => {
    db = await seededDatabase("readonly");
    if (onPg) {
      // A PostgreSQL database whose sessions are read-only (what a hot standby also reports).
      const u = new URL(db.url);
      const pg = (await import("pg")).default;
      const c = new pg.Client({ connectionString: process.env["TEST_PG_URL"] });
      await c.connect();
      await c.query(`ALTER DATABASE "${u.pathname.slice(1)}" SET default_transaction_read_only = on`);
      await c.end();
      readOnlyUrl = db.url;
    } else {
      // Tests run as root, which ignores file modes: open the SQLite file read-only instead.
      readOnlyUrl = `${db.url}?mode=ro`;
    }
    api = await start(readOnlyUrl);
  });
  afterAll(async () => {
    await api?.stop();
    await db?.drop();
  });

  it("/readyz answers 503 naming the read-only state; reads answer 200", async () => {
    const ready = await fetch(`${api.base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toBe("database read-only: reads work, every change is refused");
    const read = await gql(api.endpoint, "{ prefectures { code } }");
    expect(read.status).toBe(200);
    expect(read.data.prefectures).toHaveLength(14);
  });

  it("importDataset and deleteModel answer 503 SERVICE_UNAVAILABLE saying the store is read-only; nothing is written", async () => {
    const imp = await gql(api.endpoint, IMPORT, { input: { name: "ro", csv: CSV } }, { key: API_KEY });
    expect(imp.status).toBe(503);
    expect(imp.errors![0]!.message).toMatch(/^The store is read-only/);
    expect(ext(imp)).toEqual({ code: "SERVICE_UNAVAILABLE", reason: "READ_ONLY", retryable: true });
    const del = await gql(api.endpoint, `mutation { deleteModel(id: 1) }`, {}, { key: API_KEY });
    expect(del.status).toBe(503);
    expect(ext(del)).toEqual({ code: "SERVICE_UNAVAILABLE", reason: "READ_ONLY", retryable: true });
    const models = await gql(api.endpoint, "{ models { id } datasets { name } }");
    expect(models.data.models.map((m: any) => m.id)).toContain(1);
    expect(models.data.datasets.map((d: any) => d.name)).not.toContain("ro");
    expect(api.lines.filter((l) => l.level >= 50)).toEqual([]);
  });
});
