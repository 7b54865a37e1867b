import { describe, expect, it } from "vitest";
import { EstimationError } from "./errors.js";
import { fitCountModel } from "./fit.js";

describe("offsets that would overflow the fitted means are refused, never NaN", () => {
  const y = [3, 5, 2, 8, 13, 21, 4, 6];
  const x = [1, 2, 3, 4, 5, 6, 7, 8];
  // Unlogged fiscal revenue (10k CNY) passed as an offset: exp(8e5) overflows.
  const revenue = [52_000, 81_000, 790_000, 66_000, 120_000, 430_000, 95_000, 77_000];

  it("an offset spanning more than 700 on the log scale → INVALID_INPUT naming the column", () => {
    let err: unknown;
    try {
      fitCountModel({ y, x, revenue }, { family: "negbin2", outcome: "y", predictors: ["x"], offset: "revenue" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EstimationError);
    expect((err as EstimationError).code).toBe("INVALID_INPUT");
    expect((err as EstimationError).column).toBe("revenue");
    expect((err as EstimationError).message).toMatch(/spans 7\.38e\+5 on the log scale/);
  });

  it("the same values as an exposure (logged) fit normally", () => {
    const fit = fitCountModel({ y, x, revenue }, { family: "poisson", outcome: "y", predictors: ["x"], exposure: "revenue" });
    expect(fit.converged).toBe(true);
    expect(Number.isFinite(fit.logLikelihood)).toBe(true);
  });

  it("a constant large offset is absorbed by the intercept", () => {
    const big = y.map(() => 1e4);
    const plain = fitCountModel({ y, x }, { family: "poisson", outcome: "y", predictors: ["x"] });
    const shifted = fitCountModel({ y, x, big }, { family: "poisson", outcome: "y", predictors: ["x"], offset: "big" });
    expect(shifted.coefficients[1]!.estimate).toBeCloseTo(plain.coefficients[1]!.estimate!, 8);
    expect(shifted.coefficients[0]!.estimate! + 1e4).toBeCloseTo(plain.coefficients[0]!.estimate!, 6);
  });
});
