import type { Coefficient, Family, FitResult } from "../types.js";

/**
 * A FitResult built by hand (it is plain data) for testing predictions and scenarios without
 * fitting: only the fields predict/simulateScenario read carry meaning, the rest are placeholders.
 */
export function handFit(opts: {
  family: Family;
  terms: string[];
  beta: number[];
  covariance: number[][];
  alpha?: number | null;
  alphaStdError?: number | null;
  offset?: string;
  exposure?: string;
  /** Terms present in the design but aliased (no estimate, not in the covariance). */
  aliased?: string[];
}): FitResult {
  const aliased = opts.aliased ?? [];
  const coefficients: Coefficient[] = opts.terms.map((term, k) => coef(term, opts.beta[k]!, Math.sqrt(opts.covariance[k]![k]!)));
  for (const term of aliased) coefficients.push(aliasedCoef(term));
  const predictors = [...opts.terms, ...aliased].filter((t) => t !== "(Intercept)");
  const alpha = opts.family === "negbin2" ? (opts.alpha ?? null) : null;
  return {
    family: opts.family,
    spec: {
      family: opts.family,
      outcome: "y",
      predictors,
      intercept: opts.terms.includes("(Intercept)"),
      seType: "oim",
      confidenceLevel: 0.95,
      ...(opts.offset !== undefined ? { offset: opts.offset } : {}),
      ...(opts.exposure !== undefined ? { exposure: opts.exposure } : {}),
    },
    terms: [...opts.terms, ...aliased],
    n: 100,
    dropped: 0,
    usedRows: [],
    nParams: opts.terms.length + (alpha !== null ? 1 : 0),
    dfResidual: 100 - opts.terms.length,
    converged: true,
    iterations: 5,
    logLikelihood: -100,
    nullLogLikelihood: -120,
    aic: 210,
    bic: 220,
    deviance: 90,
    nullDeviance: 130,
    pearsonChi2: 95,
    dispersion: 1,
    pseudoR2: 1 - 100 / 120,
    alpha,
    alphaStdError: alpha !== null ? (opts.alphaStdError ?? null) : null,
    theta: alpha !== null && alpha > 0 ? 1 / alpha : null,
    thetaStdError: null,
    lrTest: null,
    coefficients,
    covariance: { terms: [...opts.terms], matrix: opts.covariance.map((r) => [...r]) },
    jointCovariance: { terms: [...opts.terms], matrix: opts.covariance.map((r) => [...r]), hasAlpha: false },
    vif: [],
    marginalEffects: [],
    predictorSd: {},
    warnings: [],
  };
}

function coef(term: string, estimate: number, se: number): Coefficient {
  return {
    term,
    estimate,
    stdError: se,
    z: estimate / se,
    pValue: null,
    ciLower: null,
    ciUpper: null,
    irr: Math.exp(estimate),
    irrCiLower: null,
    irrCiUpper: null,
    standardized: null,
    rank: null,
    aliased: false,
  };
}

function aliasedCoef(term: string): Coefficient {
  return { ...coef(term, 0, 1), estimate: null, stdError: null, z: null, irr: null, aliased: true };
}
