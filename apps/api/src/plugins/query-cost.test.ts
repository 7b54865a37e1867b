import { getIntrospectionQuery, parse } from "graphql";
import { describe, expect, it } from "vitest";
import { getSchema } from "../schema.js";
import { LIMITS } from "../app.js";
import { queryCost } from "./query-cost.js";

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
