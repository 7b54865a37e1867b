import { describe, expect, it } from "vitest";
import { createRng, fitCountModel, predictiveIntervals, simulateScenario } from "./index.js";

/** Data from a known NB2 model: log mu = b0 + 0.5 x1 - 0.8 x2. */
function knownModel(seed: number, n: number, b0: number, alpha: number) {
  const rng = createRng(seed);
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const mu = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x1[i] = rng.normal();
    x2[i] = rng.uniform();
    mu[i] = Math.exp(b0 + 0.5 * x1[i]! - 0.8 * x2[i]!);
  }
  const draw = () => Float64Array.from(mu, (m) => rng.negBin2(m, alpha));
  return { x1, x2, mu, draw };
}

describe("predictiveIntervals", () => {
  it("covers new counts from the true model at the nominal 95% (coverage simulation, per row and total)", () => {
    let rowHits = 0;
    let rowCount = 0;
    let totalHits = 0;
    const reps = 300;
    for (let r = 0; r < reps; r++) {
      const m = knownModel(1000 + r, 150, 3.5, 0.25);
      const fit = fitCountModel({ y: m.draw(), x1: m.x1, x2: m.x2 }, { family: "negbin2", outcome: "y", predictors: ["x1", "x2"] });
      const pi = predictiveIntervals(fit, { x1: m.x1, x2: m.x2 }, { draws: 400, seed: r + 1 });
      const fresh = m.draw();
      let sum = 0;
      pi.rows.forEach((e, i) => {
        rowCount++;
        if (fresh[i]! >= e.lower && fresh[i]! <= e.upper) rowHits++;
        sum += fresh[i]!;
      });
      if (sum >= pi.total.lower && sum <= pi.total.upper) totalHits++;
    }
    if (process.env["SHOW_COVERAGE"]) console.log("coverage", rowHits / rowCount, totalHits / reps);
    expect(Math.abs(rowHits / rowCount - 0.95)).toBeLessThan(0.02);
    expect(Math.abs(totalHits / reps - 0.95)).toBeLessThan(0.02 + 2 * Math.sqrt((0.95 * 0.05) / reps)); // 2% plus two MC standard errors of 300 reps
  });

  it("is wider than the interval for the expected count, and centred on the same estimate", () => {
    const m = knownModel(7, 200, 2, 0.5);
    const fit = fitCountModel({ y: m.draw(), x1: m.x1, x2: m.x2 }, { family: "negbin2", outcome: "y", predictors: ["x1", "x2"] });
    const data = { x1: m.x1, x2: m.x2 };
    const pi = predictiveIntervals(fit, data, { draws: 2000, seed: 3 });
    const expected = simulateScenario(fit, data, data, { method: "simulation", draws: 2000, seed: 3 });
    pi.rows.forEach((e, i) => {
      const ev = expected.rows[i]!.baseline;
      expect(e.estimate).toBeCloseTo(ev.estimate, 12);
      expect(e.upper - e.lower).toBeGreaterThan(ev.upper - ev.lower);
      // Var(Y) = E[mu + alpha mu^2] + Var(mu) >= mu + alpha mu^2 at the MLE, roughly.
      expect(e.stdError).toBeGreaterThan(0.8 * Math.sqrt(ev.estimate + fit.alpha! * ev.estimate ** 2));
    });
    expect(pi.total.upper - pi.total.lower).toBeGreaterThan(expected.baselineTotal.upper - expected.baselineTotal.lower);
  });

  it("Poisson draws for a Poisson fit: variance of a row's counts close to its mean", () => {
    const rng = createRng(5);
    const n = 400;
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const y = Float64Array.from(x, (v) => rng.poisson(Math.exp(3 + 0.1 * v)));
    const fit = fitCountModel({ y, x }, { family: "poisson", outcome: "y", predictors: ["x"] });
    const pi = predictiveIntervals(fit, { x: [0] }, { draws: 20000, seed: 9 });
    const mu = pi.rows[0]!.estimate;
    expect(pi.rows[0]!.stdError ** 2 / mu).toBeGreaterThan(0.95);
    expect(pi.rows[0]!.stdError ** 2 / mu).toBeLessThan(1.1);
  });

  it("same seed, same numbers; bad options refused", () => {
    const m = knownModel(11, 50, 1, 0.3);
    const fit = fitCountModel({ y: m.draw(), x1: m.x1, x2: m.x2 }, { family: "negbin2", outcome: "y", predictors: ["x1", "x2"] });
    const data = { x1: m.x1, x2: m.x2 };
    expect(predictiveIntervals(fit, data, { seed: 4, draws: 100 })).toEqual(predictiveIntervals(fit, data, { seed: 4, draws: 100 }));
    expect(() => predictiveIntervals(fit, data, { draws: 1 })).toThrow(/draws must be an integer from 2/);
    expect(() => predictiveIntervals(fit, data, { level: 1 })).toThrow(/level must be between 0 and 1/);
    expect(() => predictiveIntervals(fit, { x1: new Float64Array(30_000), x2: new Float64Array(30_000) }, { draws: 1000 })).toThrow(/more than 20000000/);
  });
});
