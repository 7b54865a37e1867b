import { describe, expect, it } from "vitest";
import { handFit } from "./__fixtures__/hand-fit.js";
import { EstimationError } from "./errors.js";
import { confidenceLevelProblem, criticalValue, predict, probAtLeastOne } from "./predict.js";
import { fitCountModel } from "./fit.js";

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

// beta = (0.5, 0.2), V = [[0.04, -0.01], [-0.01, 0.09]]. At x = 2: eta = 0.9 and
// x'Vx = 0.04 - 2*2*0.01 + 4*0.09 = 0.36, so se(eta) = 0.6. Reference numbers from R:
// exp(0.9), 0.6*exp(0.9), exp(0.9 -+ qnorm(0.975)*0.6), 1-exp(-mu), 1-dnbinom(0, size=2, mu=mu).
const terms = ["(Intercept)", "x"];
const beta = [0.5, 0.2];
const covariance = [
  [0.04, -0.01],
  [-0.01, 0.09],
];

describe("predict", () => {
  it("gives mu, delta-method SE, link-scale CI and P(Y>=1) for a Poisson fit", () => {
    const fit = handFit({ family: "poisson", terms, beta, covariance });
    const [p] = predict(fit, { x: [2] });
    expect(p).toBeDefined();
    expect(p!.eta).toBeCloseTo(0.9, 15);
    expect(rel(p!.mu, 2.45960311115694985)).toBeLessThan(1e-14);
    expect(rel(p!.stdError, 1.47576186669416987)).toBeLessThan(1e-13);
    expect(rel(p!.lower, 0.75882932833643935)).toBeLessThan(1e-12);
    expect(rel(p!.upper, 7.97234271067964961)).toBeLessThan(1e-12);
    expect(rel(p!.probAtLeastOne, 0.91453113412405407)).toBeLessThan(1e-14);
  });

  it("uses the NB2 zero probability (1 + alpha mu)^(-1/alpha) and honours the level", () => {
    const fit = handFit({ family: "negbin2", terms, beta, covariance, alpha: 0.5 });
    const [p, q] = predict(fit, { x: [2, -1.5] }, { level: 0.9 });
    // alpha = 0.5 is size = 2 in R's dnbinom.
    expect(rel(p!.probAtLeastOne, 0.79887429853418368)).toBeLessThan(1e-14);
    // x = -1.5: eta = 0.2, x'Vx = 0.04 + 0.03 + 0.2025 = 0.2725; R: exp(0.2 + qnorm(0.95)*sqrt(0.2725)).
    expect(rel(q!.mu, 1.22140275816016985)).toBeLessThan(1e-14);
    expect(rel(q!.stdError, 0.63759095830104584)).toBeLessThan(1e-13);
    expect(rel(q!.upper, 2.88244473788037814)).toBeLessThan(1e-12);
  });

  it("treats alpha 0 (boundary) and tiny alpha as Poisson, stably", () => {
    expect(probAtLeastOne(2, 0)).toBe(-Math.expm1(-2));
    expect(rel(probAtLeastOne(2, 1e-12), -Math.expm1(-2))).toBeLessThan(1e-10);
    expect(rel(probAtLeastOne(1e-12, 0.5), 1e-12)).toBeLessThan(1e-9);
    const fit = handFit({ family: "negbin2", terms, beta, covariance, alpha: 0 });
    expect(predict(fit, { x: [2] })[0]!.probAtLeastOne).toBeCloseTo(0.91453113412405407, 15);
  });

  it("adds log(exposure): doubling exposure doubles mu and keeps the relative SE", () => {
    const fit = handFit({ family: "poisson", terms, beta, covariance, exposure: "pop" });
    const [a, b] = predict(fit, { x: [2, 2], pop: [10, 20] });
    expect(rel(a!.mu, 10 * Math.exp(0.9))).toBeLessThan(1e-14);
    expect(rel(b!.mu, 2 * a!.mu)).toBeLessThan(1e-14);
    expect(rel(b!.stdError, 2 * a!.stdError)).toBeLessThan(1e-14);
    expect(rel(b!.upper, 2 * a!.upper)).toBeLessThan(1e-14);
  });

  it("adds an offset column as given (log scale)", () => {
    const fit = handFit({ family: "poisson", terms, beta, covariance, offset: "lo" });
    const [a] = predict(fit, { x: [2], lo: [Math.log(3)] });
    expect(a!.eta).toBeCloseTo(0.9 + Math.log(3), 14);
    expect(rel(a!.mu, 3 * Math.exp(0.9))).toBeLessThan(1e-14);
  });

  it("skips aliased terms: their column is not read", () => {
    const fit = handFit({ family: "poisson", terms, beta, covariance, aliased: ["x2"] });
    const [p] = predict(fit, { x: [2] });
    expect(rel(p!.mu, Math.exp(0.9))).toBeLessThan(1e-14);
  });

  it("refuses missing predictor cells naming the column and rows", () => {
    const fit = handFit({ family: "poisson", terms, beta, covariance });
    let err: unknown;
    try {
      predict(fit, { x: [1, null, 3, "NA"] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EstimationError);
    expect((err as EstimationError).code).toBe("INVALID_INPUT");
    expect((err as EstimationError).column).toBe("x");
    expect((err as EstimationError).rows).toEqual([1, 3]);
    expect((err as EstimationError).message).toMatch(/"x".*rows 1, 3/);
  });

  it("refuses unknown columns, non-positive exposure and bad levels", () => {
    const fit = handFit({ family: "poisson", terms, beta, covariance, exposure: "pop" });
    expect(() => predict(fit, { pop: [1] })).toThrow(/unknown column "x"/);
    expect(() => predict(fit, { x: [1, 2], pop: [1, 0] })).toThrow(/exposure column "pop" must be > 0; rows 1/);
    expect(() => predict(fit, { x: [1], pop: [1] }, { level: 1 })).toThrow(/level/);
  });
});

describe("confidence levels whose interval cannot be computed", () => {
  it("0.9999999999999999: the critical value is infinite in double precision, so the level is refused by name", () => {
    expect(criticalValue(0.9999999999999998)).toBeCloseTo(8.2095, 3);
    expect(confidenceLevelProblem(0.95)).toBeUndefined();
    expect(confidenceLevelProblem(0.9999999999999999)).toMatch(/too close to 1/);
    expect(confidenceLevelProblem(1)).toMatch(/strictly between 0 and 1/);
    const err = (() => { try { criticalValue(0.9999999999999999); } catch (e) { return e; } return undefined; })();
    expect(err).toBeInstanceOf(EstimationError);
    expect(err).toMatchObject({ code: "INVALID_INPUT", column: "confidenceLevel" });
  });

  it("fitCountModel refuses it naming the confidenceLevel column, before fitting", () => {
    const data = { y: [1, 2, 3, 4, 5, 6], x: [0.1, 0.5, 0.2, 0.9, 0.4, 0.7] };
    const err = (() => { try { fitCountModel(data, { family: "poisson", outcome: "y", predictors: ["x"], confidenceLevel: 0.9999999999999999 }); } catch (e) { return e; } return undefined; })();
    expect(err).toMatchObject({ name: "EstimationError", code: "INVALID_INPUT", column: "confidenceLevel" });
  });
});
