import { describe, expect, it } from "vitest";
import { handFit } from "./__fixtures__/hand-fit.js";
import { numericColumn } from "./columns.js";
import { EstimationError } from "./errors.js";
import { fitCountModel } from "./fit.js";
import { predict } from "./predict.js";
import { createRng } from "./rng.js";
import { applyInterventions, probAtLeastOneDerivatives, simulateScenario } from "./scenario.js";
import type { Table } from "./types.js";

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

const terms = ["(Intercept)", "x1", "x2"];
const beta = [0.3, 0.4, -0.2];
const covariance = [
  [0.05, -0.01, 0.004],
  [-0.01, 0.02, -0.003],
  [0.004, -0.003, 0.03],
];
const n = 12;
const baseline: Table = {
  x1: Array.from({ length: n }, (_, i) => Math.sin(i + 1) * 1.5 + 0.2),
  x2: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)),
  pop: Array.from({ length: n }, (_, i) => 1 + (i % 4) * 0.75),
};
const fit = handFit({ family: "negbin2", terms, beta, covariance, alpha: 0.5, alphaStdError: 0.1, exposure: "pop" });
const scenario = applyInterventions(
  baseline,
  [
    { column: "x1", operation: "scale", value: 1.1, rows: [0, 1, 2, 3, 4, 5] },
    { column: "x2", operation: "add", value: 0.5 },
  ],
  { exposure: "pop" },
);

/** Expected counts computed independently of the implementation, for any beta. */
function mus(table: Table, b: readonly number[]): number[] {
  const x1 = numericColumn(table, "x1");
  const x2 = numericColumn(table, "x2");
  const pop = numericColumn(table, "pop");
  return Array.from({ length: n }, (_, i) => pop[i]! * Math.exp(b[0]! + b[1]! * x1[i]! + b[2]! * x2[i]!));
}
const sum = (v: number[]): number => v.reduce((s, x) => s + x, 0);

/** sqrt(g' V g) with g the central-difference gradient of f at beta. */
function finiteDifferenceSe(f: (b: number[]) => number): number {
  const g = beta.map((bk, k) => {
    const h = 1e-5 * (1 + Math.abs(bk));
    const up = [...beta];
    const down = [...beta];
    up[k] = bk + h;
    down[k] = bk - h;
    return (f(up) - f(down)) / (2 * h);
  });
  let v = 0;
  for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) v += g[j]! * covariance[j]![k]! * g[k]!;
  return Math.sqrt(v);
}

describe("applyInterventions", () => {
  it("scales, adds and sets on the chosen rows only, leaving the input untouched", () => {
    const data: Table = { a: [1, 2, 3, 4], b: [10, 20, 30, 40], c: ["p", "q", "r", "s"] };
    const out = applyInterventions(data, [
      { column: "a", operation: "scale", value: 2, rows: [1, 3] },
      { column: "a", operation: "add", value: 0.5, rows: [0] },
      { column: "b", operation: "set", value: 7 },
    ]);
    expect(Array.from(out.a!)).toEqual([1.5, 4, 3, 8]);
    expect(Array.from(out.b!)).toEqual([7, 7, 7, 7]);
    expect(data.a).toEqual([1, 2, 3, 4]);
    expect(data.b).toEqual([10, 20, 30, 40]);
    expect(out.c).toBe(data.c); // untouched columns are shared, not copied
  });

  it("keeps missing cells missing under scale and add", () => {
    const out = applyInterventions({ a: [1, null, "NA", 4] }, [{ column: "a", operation: "add", value: 1 }]);
    expect(Array.from(out.a!)).toEqual([2, NaN, NaN, 5]);
  });

  it("refuses unknown columns, non-finite values, rows out of range and exposure <= 0", () => {
    const data: Table = { a: [1, 2], pop: [1, 2] };
    const codeOf = (f: () => unknown): EstimationError => {
      try {
        f();
      } catch (e) {
        if (e instanceof EstimationError) return e;
      }
      throw new Error("expected an EstimationError");
    };
    const unknown = codeOf(() => applyInterventions(data, [{ column: "zz", operation: "scale", value: 2 }]));
    expect(unknown.code).toBe("INVALID_INPUT");
    expect(unknown.column).toBe("zz");
    expect(() => applyInterventions(data, [{ column: "a", operation: "scale", value: Infinity }])).toThrow(/finite/);
    expect(() => applyInterventions(data, [{ column: "a", operation: "add", value: NaN }])).toThrow(/finite/);
    expect(codeOf(() => applyInterventions(data, [{ column: "a", operation: "set", value: 1, rows: [0, 2, -1] }])).rows).toEqual([2, -1]);
    const expo = codeOf(() =>
      applyInterventions(data, [{ column: "pop", operation: "add", value: -1.5 }], { exposure: "pop" }),
    );
    expect(expo.column).toBe("pop");
    expect(expo.rows).toEqual([0]);
    // 1 * 1e308 is fine, 2 * 1e308 is not.
    expect(() => applyInterventions(data, [{ column: "a", operation: "scale", value: 1e308 }])).toThrow(
      /intervention 0: column "a" overflows at row 1/,
    );
  });
});

describe("simulateScenario, delta method", () => {
  const out = simulateScenario(fit, baseline, scenario, { method: "delta" });

  it("gives the expected counts per row and in total", () => {
    const mb = mus(baseline, beta);
    const ms = mus(scenario, beta);
    expect(rel(out.baselineTotal.estimate, sum(mb))).toBeLessThan(1e-13);
    expect(rel(out.scenarioTotal.estimate, sum(ms))).toBeLessThan(1e-13);
    expect(rel(out.difference.estimate, sum(ms) - sum(mb))).toBeLessThan(1e-12);
    out.rows.forEach((r, i) => {
      expect(rel(r.baseline.estimate, mb[i]!)).toBeLessThan(1e-13);
      expect(rel(r.scenario.estimate, ms[i]!)).toBeLessThan(1e-13);
      expect(r.probAtLeastOneBaseline).toBeCloseTo(1 - (1 + 0.5 * mb[i]!) ** -2, 14);
    });
    expect(out.method).toBe("delta");
    expect(out.draws).toBeNull();
  });

  it("matches a finite-difference gradient for totals, difference and rows (relative 1e-6)", () => {
    const seB = finiteDifferenceSe((b) => sum(mus(baseline, b)));
    const seS = finiteDifferenceSe((b) => sum(mus(scenario, b)));
    const seD = finiteDifferenceSe((b) => sum(mus(scenario, b)) - sum(mus(baseline, b)));
    expect(rel(out.baselineTotal.stdError, seB)).toBeLessThan(1e-6);
    expect(rel(out.scenarioTotal.stdError, seS)).toBeLessThan(1e-6);
    expect(rel(out.difference.stdError, seD)).toBeLessThan(1e-6);
    for (const i of [0, 5, 7]) {
      const seRow = finiteDifferenceSe((b) => mus(scenario, b)[i]! - mus(baseline, b)[i]!);
      expect(rel(out.rows[i]!.difference.stdError, seRow)).toBeLessThan(1e-6);
      const seBase = finiteDifferenceSe((b) => mus(baseline, b)[i]!);
      expect(rel(out.rows[i]!.baseline.stdError, seBase)).toBeLessThan(1e-6);
    }
  });

  it("uses symmetric intervals for totals and differences, link-scale ones per row as predict()", () => {
    const z = 1.959963984540054;
    const d = out.difference;
    expect(d.lower).toBeCloseTo(d.estimate - z * d.stdError, 12);
    expect(d.upper).toBeCloseTo(d.estimate + z * d.stdError, 12);
    const p = predict(fit, baseline);
    out.rows.forEach((r, i) => {
      expect(rel(r.baseline.lower, p[i]!.lower)).toBeLessThan(1e-12);
      expect(rel(r.baseline.upper, p[i]!.upper)).toBeLessThan(1e-12);
      expect(rel(r.baseline.stdError, p[i]!.stdError)).toBeLessThan(1e-12);
    });
  });

  it("carries the exposure: doubling it doubles every count and the totals' SE", () => {
    const doubled = applyInterventions(baseline, [{ column: "pop", operation: "scale", value: 2 }]);
    const two = simulateScenario(fit, baseline, doubled, { method: "delta" });
    expect(rel(two.scenarioTotal.estimate, 2 * two.baselineTotal.estimate)).toBeLessThan(1e-14);
    expect(rel(two.scenarioTotal.stdError, 2 * two.baselineTotal.stdError)).toBeLessThan(1e-12);
    expect(rel(two.difference.estimate, two.baselineTotal.estimate)).toBeLessThan(1e-13);
  });

  it("gives zero difference with zero SE for rows the scenario leaves alone", () => {
    const only = applyInterventions(baseline, [{ column: "x1", operation: "scale", value: 1.1, rows: [2] }]);
    const r = simulateScenario(fit, baseline, only, { method: "delta" });
    expect(r.rows[3]!.difference).toEqual({ estimate: 0, stdError: 0, lower: 0, upper: 0 });
    expect(r.rows[2]!.difference.estimate).toBeGreaterThan(0);
  });
});

describe("simulateScenario, parametric simulation", () => {
  it("is reproducible with a seed and changes with another seed", () => {
    const a = simulateScenario(fit, baseline, scenario, { method: "simulation", draws: 500, seed: 7 });
    const b = simulateScenario(fit, baseline, scenario, { method: "simulation", draws: 500, seed: 7 });
    const c = simulateScenario(fit, baseline, scenario, { method: "simulation", draws: 500, seed: 8 });
    expect(b).toEqual(a);
    expect(c.difference.stdError).not.toBe(a.difference.stdError);
    expect(c.difference.estimate).toBe(a.difference.estimate); // point estimate at beta-hat
    expect(a.draws).toBe(500);
    expect(a.seed).toBe(7);
    const d = simulateScenario(fit, baseline, scenario, { method: "simulation", draws: 500 });
    expect(d.seed).toBe(1);
  });

  it("approaches the delta method with many draws when uncertainty is small", () => {
    const tight = handFit({
      family: "poisson",
      terms,
      beta,
      covariance: covariance.map((r) => r.map((v) => v / 100)),
      exposure: "pop",
    });
    const delta = simulateScenario(tight, baseline, scenario, { method: "delta" });
    const sim = simulateScenario(tight, baseline, scenario, { method: "simulation", draws: 40_000, seed: 3 });
    for (const key of ["baselineTotal", "scenarioTotal", "difference"] as const) {
      expect(rel(sim[key].stdError, delta[key].stdError)).toBeLessThan(0.05);
      const width = delta[key].upper - delta[key].lower;
      expect(Math.abs(sim[key].lower - delta[key].lower) / width).toBeLessThan(0.05);
      expect(Math.abs(sim[key].upper - delta[key].upper) / width).toBeLessThan(0.05);
    }
    expect(rel(sim.rows[4]!.difference.stdError, delta.rows[4]!.difference.stdError)).toBeLessThan(0.05);
    expect(rel(sim.rows[4]!.baseline.upper, delta.rows[4]!.baseline.upper)).toBeLessThan(0.01);
  });

  it("refuses bad draws, seeds, levels and mismatched tables", () => {
    const run = (opts: Parameters<typeof simulateScenario>[3], s: Table = scenario) => () => simulateScenario(fit, baseline, s, opts);
    expect(run({ method: "simulation", draws: 1 })).toThrow(/draws must be an integer from 2 to 100000/);
    expect(run({ method: "simulation", draws: 100_001 })).toThrow(/draws/);
    expect(run({ method: "simulation", draws: 10.5 })).toThrow(/draws/);
    expect(run({ method: "simulation", seed: 0.5 })).toThrow(/seed/);
    expect(run({ method: "delta", level: 0 })).toThrow(/level/);
    const short: Table = { x1: [1], x2: [0], pop: [1] };
    expect(run({ method: "delta" }, short)).toThrow(/baseline has 12 rows but scenario has 1/);
  });
});

describe("simulateScenario on a real NB2 fit (end to end)", () => {
  // Seeded NB2 data: log mu = 0.5 + 0.4 x1 - 0.3 x2, alpha = 0.5, x1 normal, x2 binary.
  const rng = createRng(2024);
  const m = 400;
  const data: Table = { x1: [], x2: [], y: [] };
  const x1 = data.x1 as number[];
  const x2 = data.x2 as number[];
  const y = data.y as number[];
  for (let i = 0; i < m; i++) {
    x1.push(rng.normal());
    x2.push(rng.uniform() < 0.4 ? 1 : 0);
    y.push(rng.negBin2(Math.exp(0.5 + 0.4 * x1[i]! - 0.3 * x2[i]!), 0.5));
  }
  const nb = fitCountModel(data, { family: "negbin2", outcome: "y", predictors: ["x1", "x2"] });
  const rows50 = Array.from({ length: 50 }, (_, i) => i);
  const counterfactual = applyInterventions(data, [{ column: "x1", operation: "scale", value: 1.1, rows: rows50 }]);

  it("gives a total difference equal to the per-row sum and to the hand formula", () => {
    expect(nb.converged).toBe(true);
    const b = Object.fromEntries(nb.coefficients.map((c) => [c.term, c.estimate!]));
    // Only rows 0..49 change: mu_i (exp(b1 * 0.1 * x1_i) - 1).
    let byHand = 0;
    for (const i of rows50) {
      const mu = Math.exp(b["(Intercept)"]! + b.x1! * x1[i]! + b.x2! * x2[i]!);
      byHand += mu * Math.expm1(b.x1! * 0.1 * x1[i]!);
    }
    for (const method of ["delta", "simulation"] as const) {
      const out = simulateScenario(nb, data, counterfactual, { method, draws: 400, seed: 5 });
      const perRow = out.rows.reduce((s, r) => s + r.difference.estimate, 0);
      expect(rel(out.difference.estimate, perRow)).toBeLessThan(1e-10);
      expect(rel(out.difference.estimate, byHand)).toBeLessThan(1e-10);
      expect(out.rows.slice(50).every((r) => r.difference.estimate === 0)).toBe(true);
      expect(out.difference.stdError).toBeGreaterThan(0);
      expect(out.difference.lower).toBeLessThan(out.difference.estimate);
      expect(out.difference.upper).toBeGreaterThan(out.difference.estimate);
    }
    // Baseline totals reproduce predict() on the fitted model.
    const p = predict(nb, data);
    const delta = simulateScenario(nb, data, counterfactual, { method: "delta" });
    expect(rel(delta.baselineTotal.estimate, p.reduce((s, q) => s + q.mu, 0))).toBeLessThan(1e-12);
    expect(delta.rows[0]!.probAtLeastOneBaseline).toBeCloseTo(1 - (1 + nb.alpha! * p[0]!.mu) ** (-1 / nb.alpha!), 14);
  });

  it("uses the joint (beta, alpha) OIM covariance for oim fits and independent alpha for expected SEs", () => {
    expect(simulateScenario(nb, data, counterfactual, { method: "delta" }).alphaUncertainty).toBe("joint");
    const expected = fitCountModel(data, { family: "negbin2", outcome: "y", predictors: ["x1", "x2"], seType: "expected" });
    const out = simulateScenario(expected, data, counterfactual, { method: "simulation", draws: 200, seed: 2 });
    expect(out.alphaUncertainty).toBe("independent");
    const e = out.rows[0]!.probAtLeastOneScenarioEstimate;
    expect(e.stdError).toBeGreaterThan(0);
    expect(e.lower).toBeLessThan(e.estimate);
    expect(e.upper).toBeGreaterThan(e.estimate);
  });
});

describe("simulateScenario, P(Y >= 1) with the uncertainty of beta and alpha", () => {
  // (beta, alpha) covariance with beta-alpha cross terms, as an OIM fit would carry.
  const cross = [0.002, -0.001, 0.0015];
  const alphaVar = 0.01; // se(alpha) = 0.1
  const jointMatrix = [...covariance.map((row, i) => [...row, cross[i]!]), [...cross, alphaVar]];
  const jointFit = {
    ...fit,
    jointCovariance: { terms: [...terms, "alpha"], matrix: jointMatrix, hasAlpha: true },
  };
  const independentFit = { ...fit, spec: { ...fit.spec, seType: "expected" as const } };
  /** P(Y >= 1) computed independently of the implementation. */
  const prob = (mu: number, a: number): number => (a === 0 ? 1 - Math.exp(-mu) : 1 - (1 + a * mu) ** (-1 / a));

  /** sqrt(g' V g), g the central-difference gradient of P(Y_i >= 1) wrt (beta, alpha). */
  function fdProbSe(table: Table, i: number, a: number, v: number[][]): number {
    const theta = [...beta, a];
    const f = (t: number[]): number => prob(mus(table, t.slice(0, 3))[i]!, t[3]!);
    const q = v.length;
    const g = theta.slice(0, q).map((tk, k) => {
      const h = 1e-5 * (1 + Math.abs(tk));
      const up = [...theta];
      const down = [...theta];
      up[k] = tk + h;
      down[k] = tk - h;
      return (f(up) - f(down)) / (2 * h);
    });
    let s = 0;
    for (let j = 0; j < q; j++) for (let k = 0; k < q; k++) s += g[j]! * v[j]![k]! * g[k]!;
    return Math.sqrt(s);
  }

  it("delta SE matches a finite-difference gradient wrt (beta, alpha), joint OIM covariance (relative 1e-6)", () => {
    const out = simulateScenario(jointFit, baseline, scenario, { method: "delta" });
    expect(out.alphaUncertainty).toBe("joint");
    for (const i of [0, 3, 5, 7, 11]) {
      const r = out.rows[i]!;
      expect(rel(r.probAtLeastOneBaselineEstimate.stdError, fdProbSe(baseline, i, 0.5, jointMatrix))).toBeLessThan(1e-6);
      expect(rel(r.probAtLeastOneScenarioEstimate.stdError, fdProbSe(scenario, i, 0.5, jointMatrix))).toBeLessThan(1e-6);
      expect(r.probAtLeastOneBaselineEstimate.estimate).toBe(r.probAtLeastOneBaseline);
      expect(rel(r.probAtLeastOneBaseline, prob(mus(baseline, beta)[i]!, 0.5))).toBeLessThan(1e-13);
    }
  });

  it("delta SE with alpha independent of beta for non-OIM fits (relative 1e-6), and a logit-scale interval", () => {
    const out = simulateScenario(independentFit, baseline, scenario, { method: "delta" });
    expect(out.alphaUncertainty).toBe("independent");
    const v = [...covariance.map((row) => [...row, 0]), [0, 0, 0, 0.01]];
    const z = 1.959963984540054;
    for (const i of [1, 4, 9]) {
      const e = out.rows[i]!.probAtLeastOneScenarioEstimate;
      expect(rel(e.stdError, fdProbSe(scenario, i, 0.5, v))).toBeLessThan(1e-6);
      const logit = Math.log(e.estimate / (1 - e.estimate));
      const seLogit = e.stdError / (e.estimate * (1 - e.estimate));
      expect(rel(e.lower, 1 / (1 + Math.exp(-(logit - z * seLogit))))).toBeLessThan(1e-10);
      expect(rel(e.upper, 1 / (1 + Math.exp(-(logit + z * seLogit))))).toBeLessThan(1e-10);
      expect(e.lower).toBeGreaterThan(0);
      expect(e.upper).toBeLessThan(1);
    }
    // Alpha's uncertainty adds variance: beta-only (alphaStdError null) is strictly smaller.
    const betaOnly = simulateScenario({ ...fit, alphaStdError: null }, baseline, scenario, { method: "delta" });
    expect(betaOnly.alphaUncertainty).toBe("none");
    const vBeta = covariance;
    expect(rel(betaOnly.rows[1]!.probAtLeastOneScenarioEstimate.stdError, fdProbSe(scenario, 1, 0.5, vBeta))).toBeLessThan(1e-6);
    expect(out.rows[1]!.probAtLeastOneScenarioEstimate.stdError).toBeGreaterThan(betaOnly.rows[1]!.probAtLeastOneScenarioEstimate.stdError);
  });

  it("Poisson (alpha null) has no alpha contribution: delta SE is the beta-only gradient", () => {
    const pois = handFit({ family: "poisson", terms, beta, covariance, exposure: "pop" });
    const out = simulateScenario(pois, baseline, scenario, { method: "delta" });
    expect(out.alphaUncertainty).toBe("none");
    out.rows.forEach((r, i) => {
      expect(rel(r.probAtLeastOneBaselineEstimate.stdError, fdProbSe(baseline, i, 0, covariance))).toBeLessThan(1e-6);
      expect(rel(r.probAtLeastOneBaselineEstimate.estimate, 1 - Math.exp(-mus(baseline, beta)[i]!))).toBeLessThan(1e-13);
    });
    // Simulation: every draw uses alpha = 0, so P = 1 - exp(-mu_d) is a monotone map of the mean
    // draws and its percentiles are those of the mean mapped through it.
    // 1001 draws put the 2.5% and 97.5% percentiles on draws exactly (no interpolation).
    const sim = simulateScenario(pois, baseline, scenario, { method: "simulation", draws: 1001, seed: 4 });
    expect(sim.alphaUncertainty).toBe("none");
    const r = sim.rows[2]!;
    expect(rel(r.probAtLeastOneBaselineEstimate.lower, 1 - Math.exp(-r.baseline.lower))).toBeLessThan(1e-12);
    expect(rel(r.probAtLeastOneBaselineEstimate.upper, 1 - Math.exp(-r.baseline.upper))).toBeLessThan(1e-12);
  });

  it("simulation approaches the delta method with many draws (5%), with alpha drawn jointly and independently", () => {
    const shrink = (m: number[][]) => m.map((row) => row.map((x) => x / 100));
    const tightJoint = {
      ...jointFit,
      covariance: { terms, matrix: shrink(covariance) },
      alphaStdError: 0.01,
      jointCovariance: { terms: [...terms, "alpha"], matrix: shrink(jointMatrix), hasAlpha: true },
    };
    const tightIndependent = { ...tightJoint, spec: { ...tightJoint.spec, seType: "hc1" as const } };
    for (const f of [tightJoint, tightIndependent]) {
      const delta = simulateScenario(f, baseline, scenario, { method: "delta" });
      const sim = simulateScenario(f, baseline, scenario, { method: "simulation", draws: 40_000, seed: 11 });
      expect(sim.alphaUncertainty).toBe(delta.alphaUncertainty);
      for (const i of [0, 4, 8]) {
        for (const key of ["probAtLeastOneBaselineEstimate", "probAtLeastOneScenarioEstimate"] as const) {
          const d = delta.rows[i]![key];
          const s = sim.rows[i]![key];
          expect(s.estimate).toBe(d.estimate);
          expect(rel(s.stdError, d.stdError)).toBeLessThan(0.05);
          const width = d.upper - d.lower;
          expect(Math.abs(s.lower - d.lower) / width).toBeLessThan(0.05);
          expect(Math.abs(s.upper - d.upper) / width).toBeLessThan(0.05);
        }
      }
    }
  });

  it("is reproducible; drawing alpha leaves the beta draws (and so all counts) as a beta-only run gives them", () => {
    const opts = { method: "simulation" as const, draws: 300, seed: 21 };
    const a = simulateScenario(jointFit, baseline, scenario, opts);
    expect(simulateScenario(jointFit, baseline, scenario, opts)).toEqual(a);
    const c = simulateScenario(jointFit, baseline, scenario, { ...opts, seed: 22 });
    expect(c.rows[0]!.probAtLeastOneBaselineEstimate.stdError).not.toBe(a.rows[0]!.probAtLeastOneBaselineEstimate.stdError);
    for (const other of [independentFit, { ...fit, alphaStdError: null }]) {
      const b = simulateScenario(other, baseline, scenario, opts);
      expect(b.difference).toEqual(a.difference);
      expect(b.rows[6]!.scenario).toEqual(a.rows[6]!.scenario);
    }
    // ...while P(Y >= 1) spreads wider once alpha varies too.
    const fixedAlpha = simulateScenario({ ...fit, alphaStdError: null }, baseline, scenario, opts);
    expect(a.rows[0]!.probAtLeastOneBaselineEstimate.stdError).toBeGreaterThan(fixedAlpha.rows[0]!.probAtLeastOneBaselineEstimate.stdError);
  });

  it("derivatives stay accurate for tiny alpha * mu (series branch)", () => {
    for (const [mu, a] of [
      [2, 1e-4],
      [0.003, 0.5],
      [5, 0.3],
    ] as const) {
      const { p0, dMu, dAlpha } = probAtLeastOneDerivatives(mu, a);
      // (1 + a mu)^(-1/a) through log1p: the plain power loses ~1e-12 for a = 1e-4, too much here.
      const accurate = (m: number, al: number): number => -Math.expm1(-Math.log1p(al * m) / al);
      expect(rel(p0, 1 - prob(mu, a))).toBeLessThan(1e-10);
      const h = 1e-4 * a;
      expect(rel(dAlpha, (accurate(mu, a + h) - accurate(mu, a - h)) / (2 * h))).toBeLessThan(1e-6);
      const hm = 1e-5 * mu;
      expect(rel(dMu, (accurate(mu + hm, a) - accurate(mu - hm, a)) / (2 * hm))).toBeLessThan(1e-6);
    }
  });
});
