import { describe, expect, it } from "vitest";
import { lgamma, normalQuantile } from "./distributions.js";
import { EstimationError } from "./errors.js";
import { fitCountModel } from "./fit.js";
import { nonFinitePaths } from "./test-support/no-nan.js";
import { negbinDraw, testRng } from "./test-support/simulate.js";
import type { Cell, FitResult, ModelSpec, Table, WarningCode } from "./types.js";

const rel = (a: number | null | undefined, b: number) => Math.abs((a ?? NaN) - b) / Math.abs(b);
const coef = (fit: FitResult, term: string) => {
  const c = fit.coefficients.find((x) => x.term === term);
  if (c === undefined) throw new Error(`no term ${term}`);
  return c;
};
const codes = (fit: FitResult): WarningCode[] => fit.warnings.map((w) => w.code);

/** Fits and checks that every number in the result is finite or null. */
function fit(data: Table, spec: ModelSpec): FitResult {
  const result = fitCountModel(data, spec);
  expect(nonFinitePaths(result)).toEqual([]);
  // The result is plain data: it survives a JSON round trip unchanged.
  expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  return result;
}

function refusal(data: Table, spec: ModelSpec): EstimationError {
  try {
    fitCountModel(data, spec);
  } catch (e) {
    expect(e).toBeInstanceOf(EstimationError);
    return e as EstimationError;
  }
  throw new Error("expected the fit to be refused");
}

/** Overdispersed data with two predictors, deterministic. */
function nbData(n: number, seed: number, beta = [0.5, 0.3, -0.4], alpha = 0.5) {
  const rng = testRng(seed);
  const x1: number[] = [];
  const x2: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    const b = rng.uniform() < 0.4 ? 1 : 0;
    x1.push(a);
    x2.push(b);
    y.push(negbinDraw(rng, Math.exp(beta[0]! + beta[1]! * a + beta[2]! * b), alpha));
  }
  return { y, x1, x2 };
}

describe("closed-form Poisson fits", () => {
  it("intercept only: b0 = log(mean y), SE = 1/sqrt(sum y), full log-likelihood", () => {
    const y = [1, 2, 3, 4, 10];
    const f = fit({ y }, { family: "poisson", outcome: "y", predictors: [] });
    const b0 = coef(f, "(Intercept)");
    expect(rel(b0.estimate, Math.log(4))).toBeLessThan(1e-12);
    expect(rel(b0.stdError, 1 / Math.sqrt(20))).toBeLessThan(1e-12);
    const ll = y.reduce((s, v) => s + v * Math.log(4) - 4 - lgamma(v + 1), 0);
    expect(f.logLikelihood).toBeCloseTo(ll, 10);
    expect(f.nullLogLikelihood).toBeCloseTo(ll, 10);
    expect(f.pseudoR2).toBeCloseTo(0, 12);
    expect(f.aic).toBeCloseTo(-2 * ll + 2, 10);
    expect(f.bic).toBeCloseTo(-2 * ll + Math.log(5), 10);
    const dev = 2 * y.reduce((s, v) => s + v * Math.log(v / 4) - (v - 4), 0);
    expect(f.deviance).toBeCloseTo(dev, 10);
    expect(f.nullDeviance).toBeCloseTo(dev, 10);
    expect(f.pearsonChi2).toBeCloseTo(y.reduce((s, v) => s + ((v - 4) * (v - 4)) / 4, 0), 10);
    expect(f.dfResidual).toBe(4);
    expect(f.nParams).toBe(1);
    expect(f.converged).toBe(true);
    expect(f.alpha).toBeNull();
    expect(f.lrTest).toBeNull();
    const z = normalQuantile(0.975);
    expect(b0.ciLower).toBeCloseTo(Math.log(4) - z / Math.sqrt(20), 12);
    expect(b0.irr).toBeCloseTo(4, 12);
    expect(b0.irrCiUpper).toBeCloseTo(Math.exp(Math.log(4) + z / Math.sqrt(20)), 12);
    expect(b0.standardized).toBeNull();
    expect(b0.rank).toBeNull();
  });

  it("one binary predictor: log group means, SEs 1/sqrt(sum y per group)", () => {
    // Group A (x = 0): sum 12, mean 3; group B (x = 1): sum 24, mean 6.
    const data = { y: [1, 3, 2, 6, 5, 7, 9, 3], x: [0, 0, 0, 0, 1, 1, 1, 1] };
    const f = fit(data, { family: "poisson", outcome: "y", predictors: ["x"] });
    expect(rel(coef(f, "(Intercept)").estimate, Math.log(3))).toBeLessThan(1e-12);
    expect(rel(coef(f, "x").estimate, Math.log(2))).toBeLessThan(1e-12);
    expect(rel(coef(f, "(Intercept)").stdError, 1 / Math.sqrt(12))).toBeLessThan(1e-12);
    expect(rel(coef(f, "x").stdError, Math.sqrt(1 / 12 + 1 / 24))).toBeLessThan(1e-12);
    // Standardized: b * sample sd of x (sd of four 0s and four 1s = sqrt(2/7)).
    expect(rel(f.predictorSd.x!, Math.sqrt(2 / 7))).toBeLessThan(1e-14);
    expect(rel(coef(f, "x").standardized, Math.log(2) * Math.sqrt(2 / 7))).toBeLessThan(1e-12);
    expect(coef(f, "x").rank).toBe(1);
    // AME = b * mean(mu) = log 2 * 4.5.
    expect(rel(f.marginalEffects[0]!.estimate, Math.log(2) * 4.5)).toBeLessThan(1e-12);
    expect(f.vif).toEqual([{ term: "x", vif: 1 }]);
  });

  it("NB2 with one binary predictor also fits the group means", () => {
    const data = { y: [0, 3, 1, 8, 0, 2, 15, 1, 9, 22, 4, 0], x: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1] };
    const f = fit(data, { family: "negbin2", outcome: "y", predictors: ["x"] });
    expect(rel(coef(f, "(Intercept)").estimate, Math.log(14 / 6))).toBeLessThan(1e-10);
    expect(rel(coef(f, "x").estimate, Math.log(51 / 14))).toBeLessThan(1e-10);
    expect(f.alpha!).toBeGreaterThan(0);
    expect(rel(f.theta!, 1 / f.alpha!)).toBeLessThan(1e-14);
    expect(rel(f.thetaStdError!, f.alphaStdError! / f.alpha! ** 2)).toBeLessThan(1e-12);
    expect(f.nParams).toBe(3);
    expect(f.jointCovariance.hasAlpha).toBe(true);
    expect(f.jointCovariance.terms).toEqual(["(Intercept)", "x", "alpha"]);
    expect(f.lrTest!.statistic).toBeGreaterThan(0);
  });
});

describe("bad input is refused with the column and rows", () => {
  const base = { y: [0, 1, 2, 5, 3, 1], x: [1, 2, 3, 4, 5, 7] };
  const spec: ModelSpec = { family: "negbin2", outcome: "y", predictors: ["x"] };
  it("negative outcome", () => {
    const e = refusal({ ...base, y: [0, 1, -2, 5, 3, -1] }, spec);
    expect([e.code, e.column, e.rows]).toEqual(["INVALID_INPUT", "y", [2, 5]]);
    expect(e.message).toContain("2, 5");
  });
  it("non-integer outcome", () => {
    const e = refusal({ ...base, y: [0, 1, 2.5, 5, 3, 1] }, spec);
    expect([e.code, e.column, e.rows]).toEqual(["INVALID_INPUT", "y", [2]]);
  });
  it("infinite outcome", () => {
    const e = refusal({ ...base, y: [0, Infinity, 2, 5, 3, 1] }, spec);
    expect([e.code, e.column, e.rows]).toEqual(["INVALID_INPUT", "y", [1]]);
  });
  it("outcome without variation", () => {
    const e = refusal({ ...base, y: [0, 0, 0, 0, 0, 0] }, spec);
    expect([e.code, e.column]).toEqual(["INVALID_INPUT", "y"]);
    expect(e.message).toContain("no variation");
  });
  it("fewer rows than parameters", () => {
    const e = refusal({ y: [1, 2], x: [1, 3] }, spec);
    expect(e.code).toBe("INVALID_INPUT");
    expect(e.message).toContain("2 usable observations for 3 parameters");
  });
  it("unknown columns", () => {
    expect(refusal(base, { ...spec, predictors: ["x", "nope"] }).column).toBe("nope");
    expect(refusal(base, { ...spec, outcome: "z" }).column).toBe("z");
    expect(refusal(base, { ...spec, offset: "off" }).column).toBe("off");
  });
  it("exposure <= 0", () => {
    const e = refusal({ ...base, e: [1, 0, 2, -1, 1, 1] }, { ...spec, exposure: "e" });
    expect([e.code, e.column, e.rows]).toEqual(["INVALID_INPUT", "e", [1, 3]]);
  });
  it("negative or fractional frequency weights", () => {
    expect(refusal({ ...base, w: [1, 1, -1, 1, 1, 1] }, { ...spec, weights: "w" }).rows).toEqual([2]);
    expect(refusal({ ...base, w: [1, 1, 1, 1.5, 1, 1] }, { ...spec, weights: "w" }).rows).toEqual([3]);
  });
  it("cluster SEs without a cluster column; offset and exposure together", () => {
    expect(refusal(base, { ...spec, seType: "cluster" }).message).toContain("cluster");
    const e = refusal({ ...base, o: [0, 0, 0, 0, 0, 0], e: [1, 1, 1, 1, 1, 1] }, { ...spec, offset: "o", exposure: "e" });
    expect(e.code).toBe("INVALID_INPUT");
  });
  it("non-numeric predictor cells", () => {
    const e = refusal({ ...base, x: [1, 2, "three", 4, 5, 7] }, spec);
    expect([e.column, e.rows]).toEqual(["x", [2]]);
  });
});

describe("warnings", () => {
  const { y, x1, x2 } = nbData(300, 7);

  it("RANK_DEFICIENT: the later of two collinear columns is aliased, the fit equals the fit without it", () => {
    const x3 = x1.map((v) => 2 * v + 1);
    const f = fit({ y, x1, x2, x3 }, { family: "negbin2", outcome: "y", predictors: ["x1", "x3", "x2"] });
    expect(f.warnings.find((w) => w.code === "RANK_DEFICIENT")?.terms).toEqual(["x3"]);
    expect(coef(f, "x3")).toMatchObject({ aliased: true, estimate: null, stdError: null, rank: null });
    expect(f.covariance.terms).toEqual(["(Intercept)", "x1", "x2"]);
    const g = fit({ y, x1, x2 }, { family: "negbin2", outcome: "y", predictors: ["x1", "x2"] });
    expect(rel(coef(f, "x1").estimate, coef(g, "x1").estimate!)).toBeLessThan(1e-12);
    expect(rel(coef(f, "x2").stdError, coef(g, "x2").stdError!)).toBeLessThan(1e-10);
    expect(f.logLikelihood).toBeCloseTo(g.logLikelihood, 9);
    expect(f.terms).toEqual(["(Intercept)", "x1", "x3", "x2"]);
  });

  it("a constant predictor beside the intercept is aliased; collinearity below the tolerance is not", () => {
    const c = y.map(() => 3.7);
    const f = fit({ y, x1, c }, { family: "poisson", outcome: "y", predictors: ["c", "x1"] });
    expect(f.warnings.find((w) => w.code === "RANK_DEFICIENT")?.terms).toEqual(["c"]);
    // x4 differs from x1 by a relative 1e-5: estimable (R's dqrdc2 tolerance is 1e-7).
    const x4 = x1.map((v, i) => v + 1e-5 * Math.cos(i));
    const g = fit({ y, x1, x4 }, { family: "poisson", outcome: "y", predictors: ["x1", "x4"] });
    expect(codes(g)).not.toContain("RANK_DEFICIENT");
  });

  it('onRankDeficient "error" throws SINGULAR_DESIGN naming the column', () => {
    const x3 = x1.map((v, i) => v + x2[i]!);
    const e = refusal({ y, x1, x2, x3 }, { family: "poisson", outcome: "y", predictors: ["x1", "x2", "x3"], onRankDeficient: "error" });
    expect([e.code, e.column]).toEqual(["SINGULAR_DESIGN", "x3"]);
    expect(e.message).toContain('"x3"');
  });

  it("ROWS_DROPPED_MISSING: null, '', 'NA' and NaN in any used column drop the row", () => {
    const yy: Cell[] = [...y];
    const xx1: Cell[] = [...x1];
    const xx2: Cell[] = [...x2];
    const cl: Cell[] = y.map((_, i) => `g${i % 5}`);
    yy[3] = null;
    xx1[10] = "";
    xx2[20] = "NA";
    xx1[30] = NaN;
    cl[40] = undefined;
    const f = fit(
      { y: yy, x1: xx1, x2: xx2, cl },
      { family: "negbin2", outcome: "y", predictors: ["x1", "x2"], seType: "cluster", cluster: "cl" },
    );
    const w = f.warnings.find((v) => v.code === "ROWS_DROPPED_MISSING");
    expect(w?.rows).toEqual([3, 10, 20, 30, 40]);
    expect([f.n, f.dropped]).toEqual([295, 5]);
    expect(f.usedRows).toHaveLength(295);
    expect(f.usedRows).not.toContain(10);
    const keep = (v: readonly number[]) => v.filter((_, i) => ![3, 10, 20, 30, 40].includes(i));
    const g = fit({ y: keep(y), x1: keep(x1), x2: keep(x2) }, { family: "negbin2", outcome: "y", predictors: ["x1", "x2"] });
    expect(rel(coef(f, "x1").estimate, coef(g, "x1").estimate!)).toBeLessThan(1e-12);
  });

  it("ALPHA_AT_BOUNDARY on underdispersed data: alpha 0, Poisson fit, LR 0 and p 1", () => {
    const yy = Array.from({ length: 40 }, (_, i) => 1 + (i % 2) + (i % 5 === 0 ? 1 : 0));
    const xx = Array.from({ length: 40 }, (_, i) => Math.cos(i));
    const nb = fit({ y: yy, x: xx }, { family: "negbin2", outcome: "y", predictors: ["x"] });
    const po = fit({ y: yy, x: xx }, { family: "poisson", outcome: "y", predictors: ["x"] });
    expect(codes(nb)).toContain("ALPHA_AT_BOUNDARY");
    expect([nb.alpha, nb.alphaStdError, nb.theta, nb.thetaStdError]).toEqual([0, null, null, null]);
    expect(nb.lrTest).toEqual({ statistic: 0, pValue: 1 });
    expect(nb.nParams).toBe(2);
    expect(nb.jointCovariance.hasAlpha).toBe(false);
    expect(nb.jointCovariance.matrix).toEqual(nb.covariance.matrix);
    expect(coef(nb, "x").estimate).toBe(coef(po, "x").estimate);
    expect(coef(nb, "x").stdError).toBe(coef(po, "x").stdError);
    expect(nb.logLikelihood).toBe(po.logLikelihood);
    expect(nb.aic).toBe(po.aic);
  });

  it("SEPARATION: a dummy whose rows all have y = 0 is named; numbers stay finite", () => {
    const d = y.map((_, i) => (i % 10 === 0 ? 1 : 0));
    const ys = y.map((v, i) => (d[i] === 1 ? 0 : v + 1));
    for (const family of ["poisson", "negbin2"] as const) {
      const f = fit({ y: ys, x1, d }, { family, outcome: "y", predictors: ["x1", "d"] });
      expect(f.warnings.find((w) => w.code === "SEPARATION")?.terms).toEqual(["d"]);
      expect(coef(f, "d").estimate!).toBeLessThan(-10);
      expect(Math.abs(coef(f, "x1").estimate! - 0.3)).toBeLessThan(0.3);
    }
  });

  it("HESSIAN_NOT_PD: observed-information SEs are null, not NaN; expected SEs still given", () => {
    // One Newton step from the Poisson start lands where the NB2 log-likelihood is not concave.
    const data = {
      y: [1, 17, 0, 2, 11, 0, 0, 1, 0, 13, 0, 0, 15, 2, 6, 3, 8, 0],
      x: [0.378, 1.129, 0.067, 0.367, 0.493, -1.65, -0.448, 2.777, 1.133, -1.438, 0.262, -0.06, -0.325, 0.016, 0.404, -0.61, 1.63, -0.942],
    };
    const f = fit(data, { family: "negbin2", outcome: "y", predictors: ["x"], maxIterations: 1 });
    expect(codes(f)).toEqual(expect.arrayContaining(["NOT_CONVERGED", "HESSIAN_NOT_PD"]));
    expect(f.coefficients.map((c) => c.stdError)).toEqual([null, null]);
    expect(f.coefficients.map((c) => c.pValue)).toEqual([null, null]);
    expect([f.alphaStdError, f.thetaStdError]).toEqual([null, null]);
    expect(f.jointCovariance.matrix).toEqual([]);
    expect(f.covariance.matrix).toEqual([]);
    const g = fit(data, { family: "negbin2", outcome: "y", predictors: ["x"], maxIterations: 1, seType: "expected" });
    expect(g.coefficients.every((c) => c.stdError !== null && c.stdError > 0)).toBe(true);
  });

  it("NOT_CONVERGED with maxIterations 1, never NaN", () => {
    for (const family of ["poisson", "negbin2"] as const) {
      const f = fit({ y, x1, x2 }, { family, outcome: "y", predictors: ["x1", "x2"], maxIterations: 1 });
      expect(f.converged).toBe(false);
      expect(codes(f)).toContain("NOT_CONVERGED");
    }
    expect(refusal({ y, x1 }, { family: "poisson", outcome: "y", predictors: ["x1"], maxIterations: 0 }).column).toBe("maxIterations");
  });
});

describe("invariances", () => {
  const { y, x1, x2 } = nbData(400, 11);

  it("rescaling a predictor by 1e9 or 1e-6 rescales its coefficient and leaves z unchanged", () => {
    for (const family of ["poisson", "negbin2"] as const) {
      const a = fit({ y, x1, x2 }, { family, outcome: "y", predictors: ["x1", "x2"] });
      const b = fit(
        { y, x1: x1.map((v) => v * 1e9), x2: x2.map((v) => v * 1e-6) },
        { family, outcome: "y", predictors: ["x1", "x2"] },
      );
      expect(rel(coef(b, "x1").estimate! * 1e9, coef(a, "x1").estimate!)).toBeLessThan(1e-9);
      expect(rel(coef(b, "x2").estimate! * 1e-6, coef(a, "x2").estimate!)).toBeLessThan(1e-9);
      expect(rel(coef(b, "x1").z, coef(a, "x1").z!)).toBeLessThan(1e-9);
      expect(rel(coef(b, "x2").z, coef(a, "x2").z!)).toBeLessThan(1e-9);
      expect(rel(coef(b, "(Intercept)").estimate, coef(a, "(Intercept)").estimate!)).toBeLessThan(1e-9);
      expect(rel(coef(b, "x1").standardized, coef(a, "x1").standardized!)).toBeLessThan(1e-9);
      expect(b.logLikelihood).toBeCloseTo(a.logLikelihood, 8);
      // A large location shift only moves the intercept.
      const c = fit({ y, x1: x1.map((v) => v + 1e4), x2 }, { family, outcome: "y", predictors: ["x1", "x2"] });
      expect(rel(coef(c, "x1").estimate, coef(a, "x1").estimate!)).toBeLessThan(1e-8);
      expect(rel(coef(c, "(Intercept)").estimate, coef(a, "(Intercept)").estimate! - 1e4 * coef(a, "x1").estimate!)).toBeLessThan(1e-8);
    }
  });

  it("an offset log(e) and an exposure e give the same fit", () => {
    const e = y.map((_, i) => 1 + (i % 7));
    const o = e.map((v) => Math.log(v));
    const a = fit({ y, x1, x2, e }, { family: "negbin2", outcome: "y", predictors: ["x1", "x2"], exposure: "e" });
    const b = fit({ y, x1, x2, o }, { family: "negbin2", outcome: "y", predictors: ["x1", "x2"], offset: "o" });
    for (const t of ["(Intercept)", "x1", "x2"]) expect(rel(coef(a, t).estimate, coef(b, t).estimate!)).toBeLessThan(1e-12);
    expect(a.logLikelihood).toBeCloseTo(b.logLikelihood, 10);
    expect(a.nullDeviance).toBeCloseTo(b.nullDeviance, 10);
    expect(a.marginalEffects[0]!.estimate).toBeCloseTo(b.marginalEffects[0]!.estimate, 10);
  });

  it("null models: the grouped path (no offset) equals the row path (an all-zero offset)", () => {
    const zero = y.map(() => 0);
    for (const family of ["poisson", "negbin2"] as const) {
      for (const intercept of [true, false]) {
        const spec: ModelSpec = { family, outcome: "y", predictors: ["x1", "x2"], intercept };
        const a = fit({ y, x1, x2 }, spec);
        const b = fit({ y, x1, x2, zero }, { ...spec, offset: "zero" });
        expect(rel(a.nullLogLikelihood, b.nullLogLikelihood)).toBeLessThan(1e-10);
        expect(rel(a.nullDeviance, b.nullDeviance)).toBeLessThan(1e-10);
        expect(rel(a.pseudoR2, b.pseudoR2)).toBeLessThan(1e-9);
      }
    }
  });

  it("frequency weights equal replicated rows", () => {
    const w = y.map((_, i) => 1 + (i % 3));
    const expand = <T,>(v: readonly T[]) => v.flatMap((val, i) => Array.from({ length: w[i]! }, () => val));
    const cl = y.map((_, i) => i % 9);
    for (const seType of ["oim", "expected", "hc0", "hc1", "cluster"] as const) {
      const spec: ModelSpec = { family: "negbin2", outcome: "y", predictors: ["x1", "x2"], seType, cluster: "cl" };
      const a = fit({ y, x1, x2, w, cl }, { ...spec, weights: "w" });
      const b = fit({ y: expand(y), x1: expand(x1), x2: expand(x2), cl: expand(cl) }, spec);
      for (const t of ["(Intercept)", "x1", "x2"]) {
        expect(rel(coef(a, t).estimate, coef(b, t).estimate!)).toBeLessThan(1e-9);
        expect(rel(coef(a, t).stdError, coef(b, t).stdError!)).toBeLessThan(1e-8);
        if (t !== "(Intercept)") expect(rel(coef(a, t).standardized, coef(b, t).standardized!)).toBeLessThan(1e-9);
      }
      expect(a.n).toBe(b.n);
      expect(a.dfResidual).toBe(b.dfResidual);
      expect(a.logLikelihood).toBeCloseTo(b.logLikelihood, 7);
      expect(a.bic).toBeCloseTo(b.bic, 7);
      expect(rel(a.alpha, b.alpha!)).toBeLessThan(1e-8);
      expect(rel(a.alphaStdError, b.alphaStdError!)).toBeLessThan(1e-7);
      expect(rel(a.vif[0]!.vif, b.vif[0]!.vif)).toBeLessThan(1e-12);
    }
  });
});

describe("standard errors", () => {
  const { y, x1, x2 } = nbData(500, 3);
  const base: ModelSpec = { family: "negbin2", outcome: "y", predictors: ["x1", "x2"] };

  it("Poisson: oim equals expected (canonical link)", () => {
    const a = fit({ y, x1, x2 }, { ...base, family: "poisson", seType: "oim" });
    const b = fit({ y, x1, x2 }, { ...base, family: "poisson", seType: "expected" });
    for (const t of ["(Intercept)", "x1", "x2"]) expect(rel(a.coefficients.find((c) => c.term === t)!.stdError, coef(b, t).stdError!)).toBeLessThan(1e-12);
  });

  it("hc1 = hc0 * sqrt(n / (n - k)); NB2 oim and expected differ but are close", () => {
    const h0 = fit({ y, x1, x2 }, { ...base, seType: "hc0" });
    const h1 = fit({ y, x1, x2 }, { ...base, seType: "hc1" });
    for (const t of ["(Intercept)", "x1", "x2"]) expect(rel(coef(h1, t).stdError, coef(h0, t).stdError! * Math.sqrt(500 / 497))).toBeLessThan(1e-12);
    const oim = fit({ y, x1, x2 }, { ...base, seType: "oim" });
    const exp = fit({ y, x1, x2 }, { ...base, seType: "expected" });
    const r = coef(oim, "x1").stdError! / coef(exp, "x1").stdError!;
    expect(r).not.toBe(1);
    expect(Math.abs(r - 1)).toBeLessThan(0.05);
    // Same estimates whatever the SE type; covariance diagonal = SE^2.
    expect(coef(oim, "x1").estimate).toBe(coef(exp, "x1").estimate);
    expect(rel(oim.covariance.matrix[1]![1]!, coef(oim, "x1").stdError! ** 2)).toBeLessThan(1e-14);
    // jointCovariance is the OIM for every SE type: its beta block equals the oim covariance.
    expect(rel(exp.jointCovariance.matrix[1]![1]!, oim.covariance.matrix[1]![1]!)).toBeLessThan(1e-12);
  });

  it("cluster SEs with one row per cluster equal hc0 * G/(G-1)", () => {
    const id = y.map((_, i) => i);
    const h0 = fit({ y, x1, x2 }, { ...base, seType: "hc0" });
    const cl = fit({ y, x1, x2, id }, { ...base, seType: "cluster", cluster: "id" });
    expect(rel(coef(cl, "x2").stdError, coef(h0, "x2").stdError! * Math.sqrt(500 / 499))).toBeLessThan(1e-12);
  });

  it("marginal effects: AME = b * mean(mu), delta-method SE from the covariance", () => {
    const f = fit({ y, x1, x2 }, { ...base, seType: "expected" });
    const b = f.coefficients.map((c) => c.estimate!);
    const mu = y.map((_, i) => Math.exp(b[0]! + b[1]! * x1[i]! + b[2]! * x2[i]!));
    const muBar = mu.reduce((s, v) => s + v, 0) / mu.length;
    const me = f.marginalEffects.find((m) => m.term === "x1")!;
    expect(rel(me.estimate, b[1]! * muBar)).toBeLessThan(1e-10);
    const xs = [y.map(() => 1), x1, x2];
    const grad = xs.map((x, k) => (k === 1 ? muBar : 0) + (b[1]! * mu.reduce((s, m, i) => s + m * x[i]!, 0)) / mu.length);
    const v = f.covariance.matrix;
    let variance = 0;
    for (let a = 0; a < 3; a++) for (let c = 0; c < 3; c++) variance += grad[a]! * v[a]![c]! * grad[c]!;
    expect(rel(me.stdError, Math.sqrt(variance))).toBeLessThan(1e-10);
  });

  it("VIF = 1 / (1 - R^2) of a predictor on the others", () => {
    // x3 = x1 + noise: R^2 of x3 on x1 (and of x1 on x3) is the squared correlation.
    const rng = testRng(5);
    const x3 = x1.map((v) => v + rng.normal());
    const f = fit({ y, x1, x3 }, { ...base, predictors: ["x1", "x3"] });
    const mean = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
    const m1 = mean(x1);
    const m3 = mean(x3);
    let s11 = 0;
    let s33 = 0;
    let s13 = 0;
    x1.forEach((v, i) => {
      s11 += (v - m1) ** 2;
      s33 += (x3[i]! - m3) ** 2;
      s13 += (v - m1) * (x3[i]! - m3);
    });
    const r2 = (s13 * s13) / (s11 * s33);
    for (const v of f.vif) expect(rel(v.vif, 1 / (1 - r2))).toBeLessThan(1e-10);
  });
});

describe("no intercept", () => {
  it("fits through the origin (with an offset) and names no intercept", () => {
    const { y, x1, x2 } = nbData(300, 21);
    const f = fit({ y, x1, x2 }, { family: "negbin2", outcome: "y", predictors: ["x1", "x2"], intercept: false });
    expect(f.terms).toEqual(["x1", "x2"]);
    expect(f.spec.intercept).toBe(false);
    expect(f.coefficients.every((c) => c.estimate !== null)).toBe(true);
  });
});

describe("recovery: NB2 data simulated from known coefficients", () => {
  it("n = 5000: every true coefficient and alpha lies inside its 95% CI", () => {
    const truth = [0.8, 0.35, -0.5];
    const alpha = 0.6;
    const { y, x1, x2 } = nbData(5000, 1, truth, alpha);
    for (const seType of ["oim", "expected", "hc1"] as const) {
      const f = fit({ y, x1, x2 }, { family: "negbin2", outcome: "y", predictors: ["x1", "x2"], seType });
      expect(f.converged).toBe(true);
      expect(f.warnings).toEqual([]);
      ["(Intercept)", "x1", "x2"].forEach((t, j) => {
        const c = coef(f, t);
        expect(c.ciLower!).toBeLessThan(truth[j]!);
        expect(c.ciUpper!).toBeGreaterThan(truth[j]!);
      });
      const z = normalQuantile(0.975);
      expect(Math.abs(f.alpha! - alpha)).toBeLessThan(z * f.alphaStdError!);
      expect(f.lrTest!.pValue).toBeLessThan(1e-10);
    }
  });
});
