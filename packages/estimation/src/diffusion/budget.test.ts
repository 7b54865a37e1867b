import { describe, expect, it } from "vitest";
import { allocateBudget, allocationGradient, allocationObjective, type AllocationProblem } from "./budget.js";
import { world } from "./test-world.js";

const w = world();
const problem = (objective: "horizon" | "cumulative" = "horizon", horizon = 4): AllocationProblem => ({
  fit: w.fit,
  graph: w.graph,
  horizon,
  previousOutcome: w.prev,
  objective,
  covariates: (_t, amounts) => ({ ...w.covariates, x1: Float64Array.from(w.covariates["x1"] as Float64Array, (v, i) => v + amounts[i]!) }),
});

describe("budget allocation", () => {
  it("the adjoint gradient equals finite differences of the projected objective", () => {
    for (const objective of ["horizon", "cumulative"] as const) {
      const pr = problem(objective);
      const a = Float64Array.from({ length: w.n }, (_, i) => (i % 3) * 0.05);
      const g = allocationGradient(pr, a);
      for (const i of [0, 4, 9, 21, 33]) {
        const h = 1e-5;
        const up = a.slice();
        up[i]! += h;
        const down = a.slice();
        down[i]! -= h;
        const fd = (allocationObjective(pr, up).value - allocationObjective(pr, down).value) / (2 * h);
        expect(Math.abs(g[i]! - fd) / Math.abs(fd)).toBeLessThan(1e-5);
      }
    }
  });

  it("greedy by gradient picks the same allocation as greedy by full evaluation of every candidate", () => {
    const pr = problem("horizon", 3);
    const eligible = Array.from({ length: w.n }, (_, i) => i < 16);
    const caps = Array.from({ length: w.n }, () => 0.3);
    const fast = allocateBudget(pr, { budget: 1, increments: 10, eligible, caps });
    // Exact greedy: each increment to the unit whose projected objective rises most.
    const slow = new Float64Array(w.n);
    for (let k = 0; k < 10; k++) {
      let best = -1;
      let bestValue = -Infinity;
      for (let i = 0; i < w.n; i++) {
        if (!eligible[i] || slow[i]! + 0.1 > caps[i]! + 1e-12) continue;
        const trial = slow.slice();
        trial[i]! += 0.1;
        const v = allocationObjective(pr, trial).value;
        if (v > bestValue) [best, bestValue] = [i, v];
      }
      slow[best]! += 0.1;
    }
    expect(Array.from(fast, (v) => Math.round(v * 1e9) / 1e9)).toEqual(Array.from(slow, (v) => Math.round(v * 1e9) / 1e9));
  });

  it("beats the uniform split and the split in proportion to x1, and respects caps and eligibility", () => {
    const pr = problem("cumulative", 5);
    const eligible = Array.from({ length: w.n }, (_, i) => i % 2 === 0);
    const caps = Array.from({ length: w.n }, () => 0.25);
    const budget = 2;
    const best = allocateBudget(pr, { budget, increments: 40, eligible, caps });
    expect(best.reduce((a, b) => a + b, 0)).toBeCloseTo(budget, 10);
    best.forEach((v, i) => {
      expect(v).toBeLessThanOrEqual(0.25 + 1e-12);
      if (!eligible[i]) expect(v).toBe(0);
    });
    const idx = eligible.flatMap((e, i) => (e ? [i] : []));
    const uniform = Float64Array.from({ length: w.n }, (_, i) => (eligible[i] ? budget / idx.length : 0));
    const x1 = w.covariates["x1"] as Float64Array;
    const x1Sum = idx.reduce((s, i) => s + x1[i]!, 0);
    const proportional = Float64Array.from({ length: w.n }, (_, i) => (eligible[i] ? (budget * x1[i]!) / x1Sum : 0));
    const value = (a: Float64Array) => allocationObjective(pr, a).value;
    expect(value(best)).toBeGreaterThan(value(uniform));
    expect(value(best)).toBeGreaterThan(value(proportional));
  });

  it("refuses a budget the caps cannot hold, and bad increments", () => {
    const pr = problem();
    const eligible = Array.from({ length: w.n }, (_, i) => i < 2);
    expect(() => allocateBudget(pr, { budget: 1, increments: 5, eligible, caps: Array.from({ length: w.n }, () => 0.1) })).toThrow(
      /caps of the eligible units add up to 0.2, less than the budget 1/,
    );
    expect(() => allocateBudget(pr, { budget: 1, increments: 0, eligible, caps: Array.from({ length: w.n }, () => 1) })).toThrow(/increments must be/);
  });
});
