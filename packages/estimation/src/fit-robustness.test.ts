import { expect, it } from "vitest";
import { EstimationError } from "./errors.js";
import { fitCountModel } from "./fit.js";
import { nonFinitePaths } from "./test-support/no-nan.js";
import { negbinDraw, testRng } from "./test-support/simulate.js";
import type { Cell, ModelSpec } from "./types.js";

/**
 * Property: on small, messy data (tiny samples, extreme effects and scales, near-Poisson and very
 * overdispersed outcomes, huge counts, exposures, weights, missing cells) a fit either returns
 * numbers that are all finite or null, or refuses with an EstimationError; never NaN, never a
 * different exception.
 */
it("fits of random messy data are finite or refused, never NaN", () => {
  const problems: string[] = [];
  for (let seed = 1; seed <= 250; seed++) {
    const rng = testRng(seed);
    const n = 3 + Math.floor(rng.uniform() * 60);
    const alpha = [1e-6, 0.01, 0.5, 3, 50][seed % 5]!;
    const scale = [1, 1e-6, 1e9][seed % 3]!;
    const b1 = [0, 0.5, 3, -8][seed % 4]!;
    const x1: Cell[] = [];
    const x2: number[] = [];
    const y: number[] = [];
    const e: number[] = [];
    const w: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = rng.normal();
      const d = rng.uniform() < 0.2 ? 1 : 0;
      x1.push(rng.uniform() < 0.03 ? "NA" : a * scale);
      x2.push(d);
      e.push(1 + Math.floor(rng.uniform() * 5));
      w.push(Math.floor(rng.uniform() * 3));
      y.push(negbinDraw(rng, Math.exp(0.5 + b1 * a - 2 * d) * e[i]!, alpha));
    }
    const g = x2.map((_, i) => `c${i % 4}`);
    for (const family of ["poisson", "negbin2"] as const) {
      for (const seType of ["oim", "expected", "hc1", "cluster"] as const) {
        const spec: ModelSpec = {
          family,
          outcome: "y",
          predictors: ["x1", "x2"],
          seType,
          cluster: "g",
          intercept: seed % 7 !== 0,
          ...(seed % 2 === 1 ? { exposure: "e" } : {}),
          ...(seed % 5 === 2 ? { weights: "w" } : {}),
        };
        try {
          const bad = nonFinitePaths(fitCountModel({ y, x1, x2, e, w, g }, spec));
          if (bad.length > 0) problems.push(`seed ${seed} ${family} ${seType}: ${bad.slice(0, 3).join("; ")}`);
        } catch (err) {
          if (!(err instanceof EstimationError)) problems.push(`seed ${seed} ${family} ${seType}: ${String(err)}`);
        }
      }
    }
  }
  expect(problems).toEqual([]);
}, 120_000);
