import assert from "node:assert";
import { ApolloServer } from "@apollo/server";
import { describe, expect, it } from "vitest";
import type { Context } from "../context.js";
import { formatError } from "../errors.js";
import { getSchema } from "../schema.js";
import { fakeDataAccess, testContext, WHAT_IF_WORLD } from "../testing.js";
import { CACHE_HEADER, estimateResponseBytes, whatIfResponseCache } from "./what-if-response-cache.js";

const { codes, x, y, frame, model } = WHAT_IF_WORLD; // 12 counties, one year, y on x (testing.ts)

describe("the what-if response cache is bounded by bytes", () => {
  it("many new questions never hold more than its budget; the latest is a hit, the first was dropped", async () => {
    const data = fakeDataAccess({
      models: { byId: async (id) => (id === 7 ? model : null), exists: async (id) => id === 7 },
      counties: { list: async () => codes.map((c, i) => ({ code: c, name: `county ${i}`, nameEn: "", kind: "county" as const, prefectureCode: frame.rows[i]!.prefectureCode })) },
      buildAnalysisFrame: async () => frame,
    });
    const base = testContext(data);
    const budget = 40_000;
    const cache = whatIfResponseCache(base.services.whatIf, budget);
    const server = new ApolloServer<Context>({ schema: await getSchema(), formatError, plugins: [cache] });
    await server.start();
    try {
      const query = `query($v: Float!) { whatIf(modelId: 7, interventions: [{ indicator: "x", operation: SCALE, value: $v }]) {
        scenarioTotal counties { code name baseline scenario } } }`;
      const ask = async (v: number) => {
        const res = await server.executeOperation({ query, variables: { v } }, { contextValue: { ...base, whatIfModels: [] } });
        assert(res.body.kind === "single");
        expect(res.body.singleResult.errors, JSON.stringify(res.body.singleResult.errors)).toBeUndefined();
        return res.http.headers.get(CACHE_HEADER);
      };
      for (let i = 0; i < 40; i++) {
        expect(await ask(1 + i / 100)).toBe("miss");
        expect(cache.cachedBytes()).toBeLessThanOrEqual(budget);
      }
      expect(cache.cachedBytes()).toBeGreaterThan(budget / 2);
      expect(await ask(1 + 39 / 100)).toBe("hit");
      expect(await ask(1)).toBe("miss");
    } finally {
      await server.stop();
    }
  });
});

describe("response size estimate", () => {
  it("grows with the rows and fields asked for, and is of the order of the heap the response takes", () => {
    const row = { code: "451002", name: "右江区", baseline: 12.5, scenario: 14.1, difference: { estimate: 1.6, lower: 1.1, upper: 2.1 } };
    const small = estimateResponseBytes({ data: { whatIf: { scenarioTotal: 9320.0 } } });
    const rows = estimateResponseBytes({ data: { whatIf: { scenarioTotal: 9320.0, counties: Array.from({ length: 111 }, () => row) } } });
    expect(small).toBeLessThan(300);
    // per row: 24 + 32 + code 60 + name 54 + baseline 48 + scenario 48 + difference (24 + 32 + 3 × 48) = 466; × 111 ≈ 51.7 kB
    expect(rows).toBeGreaterThan(45_000);
    expect(rows).toBeLessThan(60_000);
    expect(rows / JSON.stringify({ counties: Array.from({ length: 111 }, () => row) }).length).toBeGreaterThan(2.5); // ~3.5 heap bytes per JSON character
  });
});
