import { describe, expect, it } from "vitest";
import { fitCountModel } from "./fit.js";
import { createRng } from "./rng.js";

/**
 * Overdispersed data whose Poisson start is pulled by high-leverage points: a Newton run from the
 * moment start walks alpha towards 0 although the score at alpha = 0 is positive. The fit must
 * restart rather than report a boundary (R MASS::glm.nb finds the interior maximum).
 */
describe("NB2 restarts when a run collapses although the score at alpha = 0 is positive", () => {
  it("matches R glm.nb on seeded NB2 data (alpha = 1, n = 40)", () => {
    const rng = createRng(146);
    const y: number[] = [];
    const x: number[] = [];
    for (let i = 0; i < 40; i++) {
      const xi = 2 * rng.normal();
      y.push(rng.negBin2(Math.exp(1 + xi), 1));
      x.push(xi);
    }
    const fit = fitCountModel({ y, x }, { family: "negbin2", outcome: "y", predictors: ["x"], seType: "expected" });
    expect(fit.warnings.map((w) => w.code)).not.toContain("ALPHA_AT_BOUNDARY");
    expect(fit.converged).toBe(true);
    // R: glm.nb(y ~ x, control = glm.control(epsilon = 1e-12, maxit = 200)), refitted from its theta.
    expect(fit.logLikelihood).toBeCloseTo(-87.4840854808631, 6);
    expect(fit.alpha! / 0.627142020085602 - 1).toBeLessThan(1e-5);
    expect(fit.coefficients[0]!.estimate! / 0.878632453969495 - 1).toBeLessThan(1e-6);
    expect(fit.coefficients[1]!.estimate! / 1.260695270821834 - 1).toBeLessThan(1e-6);
    // Poisson log-likelihood -118.418679359726 (R): the LR statistic is far from 0.
    expect(fit.lrTest!.statistic).toBeCloseTo(2 * (-87.4840854808631 + 118.418679359726), 5);
  });

  it("finds the interior maximum with one extreme count among eight rows", () => {
    const y = [100000, 2, 3, 4, 5, 1, 0, 7];
    const x = [1, 2, 3, 4, 5, 6, 7, 8];
    const fit = fitCountModel({ y, x }, { family: "negbin2", outcome: "y", predictors: ["x"] });
    expect(fit.warnings.map((w) => w.code)).not.toContain("ALPHA_AT_BOUNDARY");
    // R optim on the NB2 log-likelihood: about -38.19 at alpha about 5.18 (the Poisson fit: -521.57).
    expect(fit.logLikelihood).toBeGreaterThan(-38.2);
    expect(fit.alpha!).toBeGreaterThan(4);
  });
});
