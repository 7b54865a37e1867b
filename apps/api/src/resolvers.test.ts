import assert from "node:assert/strict";
import { ApolloServer } from "@apollo/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Context } from "./context.js";
import { formatError } from "./errors.js";
import { requestLogPlugin } from "./plugins/request-log.js";
import { getSchema } from "./schema.js";
import { fakeDataAccess, memoryLogger, testContext } from "./testing.js";

let server: ApolloServer<Context>;
beforeAll(async () => {
  server = new ApolloServer<Context>({ schema: await getSchema(), formatError, plugins: [requestLogPlugin()] });
  await server.start();
});
afterAll(() => server.stop());

const run = async (query: string, contextValue: Context, variables?: Record<string, unknown>) => {
  const res = await server.executeOperation({ query, ...(variables ? { variables } : {}) }, { contextValue });
  assert(res.body.kind === "single");
  return res.body.singleResult;
};

describe("resolvers (executeOperation, fake repositories)", () => {
  it("prefectures with counties batched through one DataLoader call", async () => {
    let countyListCalls = 0;
    const data = fakeDataAccess({
      prefectures: { list: async () => [{ code: "451000", name: "百色市", nameEn: "Baise" }, { code: "450100", name: "南宁市", nameEn: "Nanning" }] },
      counties: {
        list: async () => {
          countyListCalls++;
          return [
            { code: "451002", name: "右江区", nameEn: "Youjiang", kind: "district", prefectureCode: "451000" },
            { code: "450102", name: "兴宁区", nameEn: "Xingning", kind: "district", prefectureCode: "450100" },
          ];
        },
      },
    });
    const r = await run("{ prefectures { code counties { code kind } } }", testContext(data));
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({
      prefectures: [
        { code: "451000", counties: [{ code: "451002", kind: "DISTRICT" }] },
        { code: "450100", counties: [{ code: "450102", kind: "DISTRICT" }] },
      ],
    });
    expect(countyListCalls).toBe(1);
  });

  it("neighbors: one batched neighbours query per level; counties come from the reference cache", async () => {
    const calls: string[] = [];
    const counties = new Map([
      ["451002", { code: "451002", name: "a", nameEn: "A", kind: "district" as const, prefectureCode: "451000" }],
      ["451003", { code: "451003", name: "b", nameEn: "B", kind: "county" as const, prefectureCode: "451000" }],
      ["451004", { code: "451004", name: "c", nameEn: "C", kind: "county" as const, prefectureCode: "451000" }],
    ]);
    const adj: Record<string, string[]> = { "451002": ["451003", "451004"], "451003": ["451002"], "451004": ["451002"] };
    const data = fakeDataAccess({
      prefectures: { list: async () => [] },
      counties: {
        list: async () => {
          calls.push("list");
          return [...counties.values()];
        },
        neighbors: async (codes) => {
          calls.push(`neighbors ${[...codes].join(",")}`);
          return new Map(codes.map((c) => [c, adj[c] ?? []]));
        },
      },
    });
    const r = await run(`{ county(code: "451002") { code neighbors { code neighbors { code } } } }`, testContext(data));
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({
      county: { code: "451002", neighbors: [{ code: "451003", neighbors: [{ code: "451002" }] }, { code: "451004", neighbors: [{ code: "451002" }] }] },
    });
    expect(calls).toEqual(["list", "neighbors 451002", "neighbors 451003,451004"]);
  });

  it("an unexpected error is masked for the client and logged with the request id and stack", async () => {
    const data = fakeDataAccess({
      prefectures: { list: async () => { throw new Error("SQLITE_CANTOPEN: /secret/path.db"); } },
      counties: { list: async () => [] },
    });
    const { log, lines } = memoryLogger();
    const r = await run("{ prefectures { code } }", testContext(data, { log }));
    expect(r.errors).toEqual([{ message: "Internal server error", path: ["prefectures"], extensions: { code: "INTERNAL_SERVER_ERROR" } }]);
    const logged = lines.find((l) => l["msg"] === "unhandled error") as { reqId: string; err: { message: string; stack: string } };
    expect(logged.reqId).toBe("test-request");
    expect(logged.err.message).toMatch(/SQLITE_CANTOPEN/);
    expect(logged.err.stack).toMatch(/Error: SQLITE_CANTOPEN/);
  });

  it("mutations need a principal: anonymous → UNAUTHENTICATED, and the service is not called", async () => {
    let called = false;
    const data = fakeDataAccess({ scenarios: { delete: async () => { called = true; return true; } } });
    const r = await run("mutation { deleteScenario(id: 1) }", testContext(data));
    expect(r.errors?.[0]?.extensions?.["code"]).toBe("UNAUTHENTICATED");
    expect(called).toBe(false);
    const ok = await run("mutation { deleteScenario(id: 1) }", testContext(data, { principal: { kind: "api-key", id: "key-1", role: "write" } }));
    expect(ok.errors).toBeUndefined();
    expect(ok.data).toEqual({ deleteScenario: true });
    expect(called).toBe(true);
  });

  it("County.indicators and County.adoptions: one batched call per request for all counties, each county's series trimmed to its own years", async () => {
    const calls: { obs: string[][]; adoptions: string[][] } = { obs: [], adoptions: [] };
    const data = fakeDataAccess({
      prefectures: { list: async () => [] },
      counties: {
        list: async () => [
          { code: "450102", name: "兴宁区", nameEn: "Xingning", kind: "district", prefectureCode: "450100" },
          { code: "451002", name: "右江区", nameEn: "Youjiang", kind: "district", prefectureCode: "451000" },
        ],
      },
      observationsForCounties: async (codes, opts) => {
        calls.obs.push([...codes]);
        expect(opts).toEqual({ year: 2020 });
        return [
          { datasetId: 1, countyCode: "450102", year: 2020, indicator: "population", value: 5 },
          { datasetId: 1, countyCode: "451002", year: 2020, indicator: "population", value: 7 },
        ];
      },
      adoptions: {
        // as the repository does for several counties: every county over the joint span 2019..2021
        series: async (codes) => {
          calls.adoptions.push([...codes]);
          return [
            { countyCode: "450102", year: 2019, count: 2, cumulative: 2 }, { countyCode: "450102", year: 2020, count: 0, cumulative: 2 },
            { countyCode: "450102", year: 2021, count: 0, cumulative: 2 },
            { countyCode: "451002", year: 2019, count: 0, cumulative: 0 }, { countyCode: "451002", year: 2020, count: 0, cumulative: 0 },
            { countyCode: "451002", year: 2021, count: 3, cumulative: 3 },
          ];
        },
      },
    });
    const r = await run("{ counties { code indicators(year: 2020) { indicator value } adoptions { year count cumulative } } }", testContext(data));
    expect(r.errors).toBeUndefined();
    expect(calls).toEqual({ obs: [["450102", "451002"]], adoptions: [["450102", "451002"]] });
    expect(r.data).toEqual({
      counties: [
        { code: "450102", indicators: [{ indicator: "population", value: 5 }], adoptions: [{ year: 2019, count: 2, cumulative: 2 }] },
        { code: "451002", indicators: [{ indicator: "population", value: 7 }], adoptions: [{ year: 2021, count: 3, cumulative: 3 }] },
      ],
    });
  });
});
