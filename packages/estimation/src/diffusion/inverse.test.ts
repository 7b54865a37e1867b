import { describe, expect, it } from "vitest";
import { applyInterventions } from "../index.js";
import { allocationObjective } from "./budget.js";
import { solveTarget, solveTargetWithUncertainty, type TargetProblem } from "./inverse.js";
import { world } from "./test-world.js";

const w = world();
const treated = [0, 1, 2, 3, 10, 11];
const problem = (target: TargetProblem["target"], op: "scale" | "add" = "scale", bounds: [number, number] = [0, 50]): TargetProblem => ({
  fit: w.fit,
  graph: w.graph,
  horizon: 3,
  previousOutcome: w.prev,
  neutral: op === "scale" ? 1 : 0,
  bounds,
  target,
  covariates: (_t, value) => applyInterventions(w.covariates, [{ column: "x1", operation: op, value, rows: treated }]),
});
const totalWith = (pr: TargetProblem, value: number) =>
  allocationObjective({ ...pr, objective: "horizon", covariates: (t) => pr.covariates(t, value) }, new Float64Array(w.n)).value;

describe("solveTarget (inverse what-if)", () => {
  it("feeding the answer back reproduces the target within 1e-6 relative (SCALE and ADD, increase and level)", () => {
    for (const [target, op] of [
      [{ increase: 25 }, "scale"],
      [{ increase: 10 }, "add"],
      [{ total: 900 }, "scale"],
    ] as const) {
      const pr = problem(target, op, op === "scale" ? [0, 50] : [-1, 100]);
      const s = solveTarget(pr);
      expect(s.reachable).toBe(true);
      const got = totalWith(pr, s.value!);
      expect(Math.abs(got - s.targetTotal) / s.targetTotal).toBeLessThan(1e-6);
      if ("increase" in target) expect(s.targetTotal - s.baselineTotal).toBeCloseTo(target.increase, 8);
    }
  });

  it("a lower target needs a factor below 1", () => {
    const s = solveTarget(problem({ increase: -5 }));
    expect(s.reachable).toBe(true);
    expect(s.value!).toBeLessThan(1);
  });

  it("refuses an unreachable target with the best the bounds allow, and a wrong-way target", () => {
    const capped = solveTarget(problem({ increase: 1e6 }, "scale", [0, 2]));
    expect(capped.reachable).toBe(false);
    expect(capped.value).toBeNull();
    expect(capped.bestTotal!).toBeCloseTo(totalWith(problem({ increase: 0 }), 2), 8);
    expect(capped.message).toMatch(/cannot be reached within \[0, 2\]: the best the bounds allow is/);
    const wrongWay = solveTarget(problem({ increase: -5 }, "add", [0, 100]));
    expect(wrongWay.reachable).toBe(false);
    expect(wrongWay.message).toMatch(/needs lowering the indicator, which the bounds do not allow/);
  });

  it("gives an interval over parameter draws around the point answer; same seed, same numbers", () => {
    const pr = problem({ increase: 25 });
    const r = solveTargetWithUncertainty(pr, { draws: 60, seed: 4 });
    expect(r.value!.lower).toBeLessThan(r.value!.estimate);
    expect(r.value!.upper).toBeGreaterThan(r.value!.estimate);
    expect(r.unreachableDraws).toBe(0);
    expect(solveTargetWithUncertainty(pr, { draws: 60, seed: 4 })).toEqual(r);
  });
});
