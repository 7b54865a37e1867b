import { getIntrospectionQuery, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { getSchema } from "../schema.js";
import { LIMITS } from "../app.js";
import { DRAW_ROWS_PER_COST_UNIT, queryCost, simulationCost } from "./query-cost.js";

describe("queryCost multiplies by expected list sizes", () => {
  it("hand-computed costs", async () => {
    const schema = await getSchema();
    const cost = (q: string) => queryCost(schema, parse(q));
    expect(cost("{ __typename }")).toBe(1);
    // counties: 111 × (1 + indicators: 30 × (1 + value: 1))
    expect(cost("{ counties { indicators { value } } }")).toBe(111 * (1 + 30 * 2));
    // one prefecture's counties: 15 × (1 + code)
    expect(cost(`{ counties(prefectureCode: "451000") { code } }`)).toBe(15 * 2);
    // county (one object) → neighbors ×6 → neighbors ×6 → code
    expect(cost(`{ county(code: "451002") { neighbors { neighbors { code } } } }`)).toBe(1 + 6 * (1 + 6 * 2));
    // 15 aliases cost 15 times one
    const aliased = Array.from({ length: 15 }, (_, i) => `a${i}: counties { indicators { value } }`).join(" ");
    expect(cost(`{ ${aliased} }`)).toBe(15 * 111 * 61);
  });

  it("GraphiQL's introspection query fits the limit; nested introspection does not", async () => {
    const schema = await getSchema();
    const cost = (q: string) => queryCost(schema, parse(q));
    const full = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true });
    expect(cost(full)).toBeLessThan(LIMITS.maxCost);
    // __schema 1 + types 50 × (1 + fields 5 × (1 + type (1 + fields 5 × (1 + type (1 + fields 5 × (1 + type (1 + fields 5 × 2)))))))
    expect(cost("{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }")).toBe(78051);
  });
});

describe("simulations are priced by draws × baseline rows", () => {
  const whatIf = (alias: string, draws: number | null, uncertainty = "SIMULATION") =>
    `${alias}: whatIf(modelId: 1, interventions: [], options: { uncertainty: ${uncertainty}${draws === null ? "" : `, draws: ${draws}`} }) { difference { estimate } }`;
  // The seeded single-year model: 111 baseline rows.
  const pricing = (rows?: number | "unknown") => ({ defaultDraws: 1000, baselineRows: () => (rows === "unknown" ? undefined : rows ?? 111) });

  it("simulationCost is draws × rows / DRAW_ROWS_PER_COST_UNIT, rounded up", () => {
    expect(DRAW_ROWS_PER_COST_UNIT).toBe(10);
    expect(simulationCost(1000, 111)).toBe(11_100);
    expect(simulationCost(3, 7)).toBe(3); // 2.1 → 3
    expect(simulationCost(1000, 12_210)).toBe(1_221_000);
  });

  it("one 1,000-draw what-if on 111 rows fits the limit; 15 aliased ones do not; DELTA is not priced", async () => {
    const schema = await getSchema();
    const cost = (q: string, rows?: number) => queryCost(schema, parse(q), {}, undefined, pricing(rows));
    const base = cost(`{ ${whatIf("a", null, "DELTA")} }`); // the fields alone
    expect(base).toBe(3); // whatIf 1 + difference (1 + estimate 1)
    expect(cost(`{ ${whatIf("a", 1000)} }`)).toBe(11_100 + base);
    expect(cost(`{ ${whatIf("a", 1000)} }`)).toBeLessThan(LIMITS.maxCost);
    expect(cost(`{ ${whatIf("a", null)} }`)).toBe(11_100 + base); // the default draws
    const fifteen = Array.from({ length: 15 }, (_, i) => whatIf(`a${i}`, 1000)).join(" ");
    expect(cost(`{ ${fifteen} }`)).toBe(15 * (11_100 + base));
    expect(cost(`{ ${fifteen} }`)).toBeGreaterThan(LIMITS.maxCost);
    // a pooled panel (12,210 rows): one 1,000-draw what-if is over the limit on its own
    expect(cost(`{ ${whatIf("a", 1000)} }`, 12_210)).toBe(1_221_000 + base);
  });

  it("createScenario with SIMULATION is priced like whatIf, with variables", async () => {
    const schema = await getSchema();
    const q = `mutation ($o: WhatIfOptions) { createScenario(input: { modelId: 1, name: "s", interventions: [], options: $o }) { id } }`;
    expect(queryCost(schema, parse(q), { o: { uncertainty: "SIMULATION", draws: 500 } }, undefined, pricing())).toBe(5550 + 2);
    expect(queryCost(schema, parse(q), { o: { uncertainty: "DELTA" } }, undefined, pricing())).toBe(2);
  });

  it("draws over the server's maximum are priced at the maximum (validation then names options.draws)", async () => {
    const schema = await getSchema();
    const q = `{ ${whatIf("a", 1_000_001)} }`;
    expect(queryCost(schema, parse(q), {}, undefined, { ...pricing(), maxDraws: 1000 })).toBe(11_100 + 3);
  });

  it("an unknown baseline (undefined) adds nothing", async () => {
    const schema = await getSchema();
    expect(queryCost(schema, parse(`{ ${whatIf("a", 1000)} }`), {}, undefined, pricing("unknown"))).toBe(3);
  });
});
