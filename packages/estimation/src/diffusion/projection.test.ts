import { describe, expect, it } from "vitest";
import {
  applyInterventions, fitCountModel, peerTerm, projectMeanField, projectMonteCarlo, simulateScenario,
  type FitResult, type PeerGraph, type ProjectionInput, type Table,
} from "../index.js";
import { world } from "./test-world.js";

function input(w: ReturnType<typeof world>, horizon: number, fit: FitResult = w.fit, graph: PeerGraph = w.graph): ProjectionInput {
  const scen = applyInterventions(w.covariates, [{ column: "x1", operation: "scale", value: 1.1, rows: [0, 1, 2, 3] }]);
  return { fit, graph, baseline: () => w.covariates, scenario: () => scen, previousOutcome: w.prev, horizon };
}

describe("projectMeanField", () => {
  const w = world();

  it("horizon 0 is today's delta-method what-if (1e-10)", () => {
    const pr = projectMeanField(input(w, 0));
    const inp = input(w, 0);
    const withPeers = (t: Table): Table => ({
      ...t,
      peer_siblings: peerTerm(w.graph, "peer_siblings", w.prev),
      peer_neighbors: peerTerm(w.graph, "peer_neighbors", w.prev),
    });
    const wi = simulateScenario(w.fit, withPeers(inp.baseline(0)), withPeers(inp.scenario(0)), { method: "delta" });
    const y0 = pr.years[0]!;
    for (const [got, want] of [
      [y0.total.baseline, wi.baselineTotal],
      [y0.total.scenario, wi.scenarioTotal],
      [y0.total.difference, wi.difference],
    ] as const) {
      for (const key of ["estimate", "stdError", "lower", "upper"] as const) expect(Math.abs(got[key] - want[key])).toBeLessThan(1e-10 * Math.max(1, Math.abs(want[key])));
    }
    y0.difference.forEach((e, i) => {
      expect(Math.abs(e.estimate - wi.rows[i]!.difference.estimate)).toBeLessThan(1e-10);
      expect(Math.abs(e.stdError - wi.rows[i]!.difference.stdError)).toBeLessThan(1e-10);
    });
    // In the base year peer terms come from observed outcomes: no spillover yet.
    expect(y0.total.spillover.estimate).toBe(0);
  });

  it("spillover reaches untouched units from year 1 on when the peer coefficients are positive", () => {
    const pr = projectMeanField(input(w, 5));
    expect(w.fit.coefficients.find((c) => c.term === "peer_siblings")!.estimate!).toBeGreaterThan(0);
    for (const year of pr.years.slice(1)) {
      expect(year.total.spillover.estimate).toBeGreaterThan(0);
      // Units 4..39 were not touched: all of their effect is spillover.
      for (let i = 4; i < w.n; i++) {
        expect(year.direct[i]!.estimate).toBeCloseTo(0, 12);
        expect(year.spillover[i]!.estimate).toBeCloseTo(year.difference[i]!.estimate, 12);
      }
      // Units 4..7 are siblings of the treated units 0..3 (group g0): they gain through peer_siblings.
      for (let i = 4; i < 8; i++) expect(year.difference[i]!.estimate).toBeGreaterThan(0);
    }
    // Spillover grows over the years as the push travels.
    expect(pr.years[5]!.total.spillover.estimate).toBeGreaterThan(pr.years[1]!.total.spillover.estimate);
    // direct + spillover = difference, exactly.
    const y = pr.years[3]!;
    expect(y.total.direct.estimate + y.total.spillover.estimate).toBeCloseTo(y.total.difference.estimate, 10);
  });

  it("spillover is exactly 0 without a peer term", () => {
    const noPeer = fitCountModel(
      { y: [3, 5, 8, 2, 9, 4, 7, 6, 11, 5], x1: [1, 2, 3, 1, 3, 2, 2.5, 2, 3.5, 1.5], x2: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1] },
      { family: "poisson", outcome: "y", predictors: ["x1", "x2"] },
    );
    const pr = projectMeanField(input(w, 4, noPeer));
    for (const y of pr.years) {
      expect(y.total.spillover).toEqual({ estimate: 0, stdError: 0, lower: 0, upper: 0 });
      y.spillover.forEach((e) => expect(e.estimate).toBe(0));
      expect(y.total.direct.estimate).toBe(y.total.difference.estimate);
    }
  });

  it("the recursion's delta-method SEs match finite differences (1e-6)", () => {
    const horizon = 6;
    const pr = projectMeanField(input(w, horizon));
    const v = w.fit.covariance.matrix;
    const terms = w.fit.covariance.terms;
    const total = (fit: FitResult, which: "difference" | "spillover" | "baseline") => projectMeanField(input(w, horizon, fit)).years[horizon]!.total[which].estimate;
    for (const which of ["difference", "spillover", "baseline"] as const) {
      const g = terms.map((term) => {
        const shifted = (h: number): FitResult => ({
          ...w.fit,
          coefficients: w.fit.coefficients.map((c) => (c.term === term ? { ...c, estimate: c.estimate! + h } : c)),
        });
        const h = 1e-6 * Math.max(1, Math.abs(w.fit.coefficients.find((c) => c.term === term)!.estimate!));
        return (total(shifted(h), which) - total(shifted(-h), which)) / (2 * h);
      });
      let var_ = 0;
      g.forEach((ga, a) => g.forEach((gb, b) => (var_ += ga * v[a]![b]! * gb)));
      const se = pr.years[horizon]!.total[which].stdError;
      expect(Math.abs(se - Math.sqrt(var_)) / Math.sqrt(var_)).toBeLessThan(1e-6);
    }
  });

  it("refuses a horizon outside 0..30 and missing peers in the base year", () => {
    expect(() => projectMeanField(input(w, 31))).toThrow(/horizon must be an integer from 0 to 30/);
    const bad = { ...input(w, 1), previousOutcome: Float64Array.from(w.prev, () => NaN) };
    expect(() => projectMeanField(bad)).toThrow(/cannot be computed: none of its peers has an outcome the year before/);
  });
});

describe("projectMonteCarlo", () => {
  const w = world();

  it("agrees with the mean field within Monte Carlo error plus a small Jensen gap", () => {
    const mf = projectMeanField(input(w, 5));
    const mc = projectMonteCarlo(input(w, 5), { draws: 2000, seed: 11 });
    for (const t of [0, 2, 5]) {
      for (const which of ["baseline", "difference"] as const) {
        const a = mf.years[t]!.total[which].estimate;
        const m = mc.years[t]!.total[which];
        const mcError = m.stdError / Math.sqrt(2000);
        // Jensen: E[exp(eta)] over beta draws exceeds exp(E eta) by ~ var(eta)/2; allow 3% of the level.
        expect(Math.abs(m.estimate - a)).toBeLessThan(4 * mcError + 0.03 * Math.abs(a));
      }
    }
  });

  it("common random numbers: without an intervention the difference is exactly 0 in every draw", () => {
    const same = { ...input(w, 3), scenario: () => w.covariates };
    const mc = projectMonteCarlo(same, { draws: 200, seed: 2 });
    for (const y of mc.years) expect(y.total.difference).toEqual({ estimate: 0, stdError: 0, lower: 0, upper: 0 });
  });

  it("same seed, same numbers; another seed, other numbers", () => {
    const a = projectMonteCarlo(input(w, 2), { draws: 100, seed: 5 });
    expect(projectMonteCarlo(input(w, 2), { draws: 100, seed: 5 })).toEqual(a);
    expect(projectMonteCarlo(input(w, 2), { draws: 100, seed: 6 }).years[2]!.total.baseline.estimate).not.toBe(a.years[2]!.total.baseline.estimate);
  });
});
