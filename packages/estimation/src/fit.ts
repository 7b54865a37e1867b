/**
 * fitCountModel: Poisson or NB2 fit with full inference (see README "Estimation API").
 *
 * The fitters work on internally centred/scaled columns (design.ts); estimates and covariances
 * are mapped back exactly with beta = T beta', V = T V' T'.
 *
 * Standard errors: "oim" inverts the observed information of (beta, alpha) jointly (Stata nbreg,
 * statsmodels); "expected" is X'WX with W = w mu/(1 + alpha mu), alpha fixed (MASS::glm.nb);
 * "hc0"/"hc1"/"cluster" are R sandwich's on the glm.nb object (bread = expected information,
 * scores x (y - mu)/(1 + alpha mu); hc1 scales by n/(n - k); cluster by G/(G - 1)). SE(alpha) comes
 * from the joint OIM except for "expected", where SE(theta) is R's theta.ml one.
 * `iterations` counts the Newton steps of the Poisson start plus those of the NB2 fit.
 *
 * Frequency weights w_i (whole numbers) mean "this row occurs w_i times": they multiply each row's
 * log-likelihood contribution and score, and n, dfResidual, BIC, HC0/HC1 meat, VIFs and sds are
 * those of the expanded data (n = sum of weights over the used rows).
 */
import { buildDesign, INTERCEPT_TERM, type Design } from "./design.js";
import { clusterRobustCR2 } from "./cr2.js";
import { chiSquare1Sf, normalQuantile, twoSidedPValue } from "./distributions.js";
import { studentQuantile, studentTwoSidedPValue } from "./student-t.js";
import { EstimationError } from "./errors.js";
import { firstNonFinite } from "./finite.js";
import { makeGlmData, runRowPass, type GlmData } from "./glm/common.js";
import { defaultFitThreads, MAX_FIT_THREADS, releaseRowThreads } from "./glm/row-threads.js";
import type { RowPassSpec } from "./glm/kernels.js";
import { nullModels } from "./glm/null-model.js";
import { alphaScoreAtZero, fitNegbin, momentAlpha, negbinHalfDeviance, negbinSaturated, type NegbinResult } from "./glm/negbin.js";
import { fitPoisson, poissonDerivatives, poissonHalfDeviance, poissonLogLik, poissonSaturated } from "./glm/poisson.js";
import { congruence, inverseSpd, symmetrize, toRows } from "./linalg.js";
import type { Coefficient, FitResult, FitWarning, MarginalEffect, ModelSpec, SeType, Table, Vif } from "./types.js";

/** Rows whose fitted mean falls below this fraction of the mean outcome (with y = 0) signal separation. */
const SEPARATION_MU_FRACTION = 1e-6;

/** Starting values of alpha tried, in order, until an NB2 run beats the Poisson fit (see fitCountModel). */
const NEGBIN_RESTART_ALPHAS = [0.1, 1, 10];

export function fitCountModel(data: Table, spec: ModelSpec): FitResult {
  const maxIterations = spec.maxIterations ?? 200;
  if (!(Number.isInteger(maxIterations) && maxIterations >= 1)) {
    throw new EstimationError("INVALID_INPUT", `maxIterations must be a positive integer, got ${maxIterations}`, { column: "maxIterations" });
  }
  const threads = spec.threads ?? defaultFitThreads();
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= MAX_FIT_THREADS)) {
    throw new EstimationError("INVALID_INPUT", `threads must be a whole number from 1 to ${MAX_FIT_THREADS}, got ${threads}`, { column: "threads" });
  }
  try {
    return fitWithThreads(data, spec, maxIterations, threads);
  } finally {
    releaseRowThreads();
  }
}

function fitWithThreads(data: Table, spec: ModelSpec, maxIterations: number, threads: number): FitResult {
  const design = buildDesign(data, spec);
  const seType: SeType = spec.seType ?? "oim";
  const level = spec.confidenceLevel ?? 0.95;
  const warnings: FitWarning[] = [...design.warnings];
  const { n, p } = design;
  const nObs = design.nObs;
  const gd = makeGlmData(design.x, p, design.y, design.w, design.offset, threads);

  // Poisson fit: the answer for family poisson, the start (and LR baseline) for NB2.
  const pois = fitPoisson(gd, maxIterations);
  // d.mu is at pois.beta. The accurate log-likelihood is saturated part minus half the deviance.
  const poisHalfDeviance = poissonHalfDeviance(gd);
  const poisLL = poissonSaturated(gd) - poisHalfDeviance;
  let halfDeviance = poisHalfDeviance;
  let beta = pois.beta;
  let alpha = 0;
  let ll = poisLL;
  let converged = pois.converged;
  let iterations = pois.iterations;
  let lastStep = pois.lastStep;
  let atBoundary = false;
  // Score and information at the estimates (scaled coordinates), as the fitters leave them.
  let gJoint: Float64Array | null = null; // from the NB2 fitter; for Poisson computed below
  let aJoint: Float64Array | null = null;
  let muMoved = false; // gd.mu no longer at the Poisson fit
  if (spec.family === "negbin2") {
    // The NB2 log-likelihood need not be concave in alpha: a run from the moment start can
    // collapse towards 0 although the maximum is interior, and a negative score at alpha = 0 can
    // hide a higher interior maximum (an extreme count). So other starts are tried before the
    // boundary is reported; an interior fit must beat the Poisson log-likelihood.
    const beatsPoisson = (r: NegbinResult): boolean => !r.collapsed && r.ll > poisLL;
    let nb: NegbinResult | null = alphaScoreAtZero(gd) > 0 ? fitNegbin(gd, maxIterations, pois.beta, momentAlpha(gd)) : null;
    for (const start of NEGBIN_RESTART_ALPHAS) {
      if (nb !== null && beatsPoisson(nb)) break;
      if (nb) iterations += nb.iterations;
      nb = fitNegbin(gd, maxIterations, pois.beta, start);
    }
    muMoved = true;
    if (nb !== null && beatsPoisson(nb)) {
      iterations += nb.iterations;
      beta = nb.beta;
      alpha = nb.alpha;
      converged = nb.converged;
      lastStep = nb.lastStep;
      gJoint = nb.g;
      aJoint = nb.a;
    } else {
      if (nb) iterations += nb.iterations;
      atBoundary = true;
    }
    if (atBoundary) {
      warnings.push({
        code: "ALPHA_AT_BOUNDARY",
        message:
          "the NB2 likelihood is maximised at alpha = 0 (no overdispersion): reporting alpha = 0 with the Poisson coefficients",
      });
    }
  }
  const isNb = spec.family === "negbin2" && !atBoundary;
  // The fitters leave eta/mu at the point they return (the NB2 fitter also its derivatives); only
  // a fall-back to the Poisson fit after an NB2 attempt needs them recomputed.
  if (isNb) {
    halfDeviance = negbinHalfDeviance(gd, alpha);
    ll = negbinSaturated(gd, alpha) - halfDeviance;
  } else if (muMoved) poissonLogLik(gd, beta); // same beta, so poisHalfDeviance still holds

  if (!converged) {
    warnings.push({
      code: "NOT_CONVERGED",
      message: `the fit did not converge within ${maxIterations} iterations; estimates are the last iterate`,
    });
  }

  const t = backTransform(design);
  const betaOrig = matVec(t, beta, p);

  // Separation: rows with y = 0 whose fitted mean has run to ~0 while a coefficient keeps moving.
  const sepTerms = separatedTerms(design, gd, t, betaOrig, lastStep);
  if (sepTerms.length > 0) {
    warnings.push({
      code: "SEPARATION",
      message: `coefficient(s) of ${sepTerms.join(", ")} diverge: fitted means run to 0 for rows whose outcome is 0 (separation); estimates and SEs of these terms are not meaningful`,
      terms: sepTerms,
    });
  }

  // Information matrices at the final estimates (scaled coordinates).
  const k = isNb ? p + 1 : p;
  if (gJoint === null || aJoint === null) {
    gJoint = new Float64Array(p);
    aJoint = new Float64Array(p * p);
    poissonDerivatives(gd, gJoint, aJoint);
  }
  symmetrize(aJoint, k);
  const oimInv = inverseSpd(aJoint, k);
  if (oimInv === null) {
    warnings.push({
      code: "HESSIAN_NOT_PD",
      message: "the observed information is not positive definite at the estimates; observed-information standard errors are not available",
    });
  }
  // Fisher information of beta (alpha fixed): the expected SEs and the sandwich bread.
  const expectedInv = seType === "oim" ? null : inverseSpd(expectedInformation(gd, alpha), p);

  let vScaled: Float64Array | null;
  if (seType === "oim") vScaled = oimInv === null ? null : blockOf(oimInv, k, p);
  else if (seType === "expected") vScaled = expectedInv;
  else vScaled = expectedInv === null ? null : sandwich(gd, design, alpha, expectedInv, seType);
  if (vScaled === null && seType !== "oim") {
    warnings.push({ code: "HESSIAN_NOT_PD", message: "the expected information is not positive definite; standard errors are not available" });
  }
  let vBeta = vScaled === null ? null : congruence(t, vScaled, p);
  const clusterCorrection = spec.clusterCorrection ?? "none";
  let satterthwaiteDf: Float64Array | null = null;
  if (seType === "cluster") {
    if (design.nClusters < FEW_CLUSTERS) {
      warnings.push({
        code: "FEW_CLUSTERS",
        message:
          `only ${design.nClusters} clusters (G = ${design.nClusters}); cluster-robust standard errors are biased downward below about ${FEW_CLUSTERS}` +
          (clusterCorrection === "cr2" ? " (CR2 with Satterthwaite degrees of freedom corrects for this)" : "; use the CR2 correction"),
      });
    }
    if (clusterCorrection === "cr2" && vBeta !== null) {
      const cr2 = clusterRobustCR2({
        x: originalDesign(design), n, p, y: gd.y, mu: gd.mu, alpha, weights: design.hasWeights ? design.w : null,
        cluster: design.cluster!, nClusters: design.nClusters,
      });
      vBeta = cr2.covariance;
      satterthwaiteDf = cr2.df;
    }
  }
  if (vBeta !== null && !vBeta.every(Number.isFinite)) {
    // Only reachable with fitted means at the limits of floating point (extreme separation).
    vBeta = null;
    warnings.push({ code: "HESSIAN_NOT_PD", message: "the covariance matrix is not finite; standard errors are not available" });
  }

  // Joint covariance (beta, alpha) in original coordinates.
  let jointMatrix: number[][] = [];
  let alphaStdError: number | null = null;
  if (oimInv !== null) {
    const tExt = new Float64Array(k * k);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) tExt[i * k + j] = t[i * p + j]!;
    if (isNb) tExt[p * k + p] = 1;
    const joint = congruence(tExt, oimInv, k);
    if (joint.every(Number.isFinite)) {
      jointMatrix = toRows(joint, k);
      if (isNb) alphaStdError = positiveSqrt(joint[p * k + p]!);
    }
  }
  let thetaStdError: number | null = null;
  if (isNb) {
    if (seType === "expected") {
      // R's theta.ml: 1/sqrt(-d2l/dtheta2) at fixed mu = alpha^4 A_aa - 2 alpha^3 g_a.
      const info = alpha ** 4 * aJoint[p * k + p]! - 2 * alpha ** 3 * gJoint[p]!;
      thetaStdError = info > 0 ? finiteOrNull(1 / Math.sqrt(info)) : null;
      alphaStdError = thetaStdError === null ? null : finiteOrNull(thetaStdError * alpha * alpha);
    } else if (alphaStdError !== null) thetaStdError = finiteOrNull(alphaStdError / (alpha * alpha));
  }

  // Coefficient table.
  const zq = normalQuantile(0.5 + level / 2);
  const estimableIndex = new Map(design.estimableTerms.map((term, j) => [term, j]));
  const coefficients: Coefficient[] = design.terms.map((term) => {
    const j = estimableIndex.get(term);
    if (j === undefined) return aliasedCoefficient(term);
    const est = betaOrig[j]!;
    const se = vBeta === null ? null : positiveSqrt(vBeta[j * p + j]!);
    const sd = term === INTERCEPT_TERM ? null : (design.predictorSd[term] ?? null);
    const df = satterthwaiteDf === null ? null : satterthwaiteDf[j]!;
    const q = df === null ? zq : studentQuantile(0.5 + level / 2, df);
    const lo = se === null ? null : est - q * se;
    const hi = se === null ? null : est + q * se;
    return {
      term,
      estimate: finiteOrNull(est),
      stdError: se,
      z: se === null ? null : finiteOrNull(est / se),
      pValue: se === null ? null : finiteOrNull(df === null ? twoSidedPValue(est / se) : studentTwoSidedPValue(est / se, df)),
      ...(df !== null ? { df: finiteOrNull(df) } : {}),
      ciLower: finiteOrNull(lo),
      ciUpper: finiteOrNull(hi),
      irr: finiteOrNull(Math.exp(est)),
      irrCiLower: lo === null ? null : finiteOrNull(Math.exp(lo)),
      irrCiUpper: hi === null ? null : finiteOrNull(Math.exp(hi)),
      standardized: sd === null ? null : finiteOrNull(est * sd),
      rank: null,
      aliased: false,
    };
  });
  const ranked = coefficients.filter((c) => c.term !== INTERCEPT_TERM && c.standardized !== null);
  ranked.sort((a, b) => Math.abs(b.standardized!) - Math.abs(a.standardized!));
  ranked.forEach((c, r) => (c.rank = r + 1));

  // Fit statistics.
  const nParams = p + (isNb ? 1 : 0);
  const deviance = 2 * halfDeviance;
  const pearsonChi2 = pearsonAt(gd, alpha);
  const dfResidual = nObs - p;
  const nullFits = nullModels(gd, design.hasIntercept, design.hasOffset, spec.family, alpha, isNb, maxIterations);
  const lrTest =
    spec.family === "negbin2"
      ? (() => {
          const statistic = isNb ? Math.max(0, 2 * (ll - poisLL)) : 0;
          return { statistic, pValue: statistic > 0 ? 0.5 * chiSquare1Sf(statistic) : 1 };
        })()
      : null;

  const vif = computeVif(design);
  const marginalEffects = vBeta === null ? [] : averageMarginalEffects(gd, design, betaOrig, vBeta, zq);

  const result: FitResult = {
    family: spec.family,
    spec: {
      family: spec.family,
      outcome: spec.outcome,
      predictors: [...spec.predictors],
      intercept: design.hasIntercept,
      seType,
      confidenceLevel: level,
      ...(spec.offset !== undefined ? { offset: spec.offset } : {}),
      ...(spec.exposure !== undefined ? { exposure: spec.exposure } : {}),
      ...(spec.weights !== undefined ? { weights: spec.weights } : {}),
      ...(spec.cluster !== undefined ? { cluster: spec.cluster } : {}),
      ...(seType === "cluster" && clusterCorrection === "cr2" ? { clusterCorrection } : {}),
    },
    terms: design.terms,
    n: nObs,
    dropped: design.droppedRows.length,
    usedRows: design.usedRows,
    nParams,
    dfResidual,
    converged,
    iterations,
    logLikelihood: ll,
    nullLogLikelihood: nullFits.logLikelihood,
    aic: -2 * ll + 2 * nParams,
    bic: -2 * ll + Math.log(nObs) * nParams,
    deviance,
    nullDeviance: nullFits.deviance,
    pearsonChi2,
    dispersion: dfResidual > 0 ? pearsonChi2 / dfResidual : 0,
    pseudoR2: nullFits.logLikelihood !== 0 ? 1 - ll / nullFits.logLikelihood : 0,
    alpha: spec.family === "negbin2" ? alpha : null,
    alphaStdError: isNb ? alphaStdError : null,
    theta: isNb ? 1 / alpha : null,
    thetaStdError: isNb ? thetaStdError : null,
    lrTest,
    coefficients,
    covariance: { terms: [...design.estimableTerms], matrix: vBeta === null ? [] : toRows(vBeta, p) },
    jointCovariance: {
      terms: isNb ? [...design.estimableTerms, "alpha"] : [...design.estimableTerms],
      // As the contract says: without alpha (Poisson, or alpha at the boundary) it is `covariance`.
      matrix: isNb ? jointMatrix : vBeta === null ? [] : toRows(vBeta, p),
      hasAlpha: isNb,
    },
    vif,
    marginalEffects,
    predictorSd: design.predictorSd,
    warnings,
  };
  const bad = firstNonFinite(result);
  if (bad !== undefined) {
    // Never hand out NaN/Infinity: the fit overflowed somewhere the checks above did not foresee.
    throw new EstimationError(
      "NOT_CONVERGED",
      `the fit produced a non-finite ${bad} (fitted means overflow or underflow); check the scales of the outcome, offset and predictors`,
    );
  }
  return result;
}


function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

function positiveSqrt(v: number): number | null {
  return v > 0 && Number.isFinite(v) ? Math.sqrt(v) : null;
}

function aliasedCoefficient(term: string): Coefficient {
  return {
    term,
    estimate: null,
    stdError: null,
    z: null,
    pValue: null,
    ciLower: null,
    ciUpper: null,
    irr: null,
    irrCiLower: null,
    irrCiUpper: null,
    standardized: null,
    rank: null,
    aliased: true,
  };
}

/** T with beta_original = T beta_scaled (p x p, row-major). */
function backTransform(design: Design): Float64Array {
  const { p, center, scale, hasIntercept } = design;
  const t = new Float64Array(p * p);
  for (let j = 0; j < p; j++) t[j * p + j] = 1 / scale[j]!;
  if (hasIntercept) {
    t[0] = 1;
    for (let j = 1; j < p; j++) t[j] = -center[j]! / scale[j]!;
  }
  return t;
}

function matVec(t: Float64Array, v: ArrayLike<number>, p: number): Float64Array {
  const out = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += t[i * p + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

function blockOf(a: Float64Array, k: number, p: number): Float64Array {
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) out[i * p + j] = a[i * k + j]!;
  return out;
}

/** Weight w mu / (1 + alpha mu) at the fitted means (a0 = alpha). */
const EXPECTED_INFORMATION: RowPassSpec = { name: "expected-information", eta: "read", gram: true, cross: false, code: "wt = (wi * mi) / (1 + a0 * mi);" };
/** Weight w r^2, r = (y - mu) / (1 + alpha mu): the HC0 meat X' diag(w r^2) X. */
const SANDWICH_MEAT: RowPassSpec = {
  name: "sandwich-meat",
  eta: "read",
  gram: true,
  cross: false,
  code: "const e = (yi - mi) / (1 + a0 * mi); wt = wi * e * e;",
};

/** Below this many clusters a cluster-robust fit warns FEW_CLUSTERS (Angrist & Pischke's rule of thumb). */
export const FEW_CLUSTERS = 42;

/** The estimable design columns in original units (row-major n x p), from the scaled design. */
function originalDesign(design: Design): Float64Array {
  const { n, p, x, center, scale } = design;
  const out = new Float64Array(n * p);
  for (let i = 0, o = 0; i < n; i++, o += p) for (let j = 0; j < p; j++) out[o + j] = center[j]! + scale[j]! * x[o + j]!;
  return out;
}

/** X' W X with W = w mu / (1 + alpha mu) (Fisher information of beta at fixed alpha), symmetrised. */
function expectedInformation(gd: GlmData, alpha: number): Float64Array {
  const p = gd.p;
  const a = new Float64Array(p * p);
  runRowPass(gd, EXPECTED_INFORMATION, null, [alpha], new Float64Array(p), a, p);
  symmetrize(a, p);
  return a;
}

/** Sandwich B M B with scores s_i = w_i x_i (y_i - mu_i) / (1 + alpha mu_i) (R sandwich on glm/glm.nb). */
function sandwich(gd: GlmData, design: Design, alpha: number, bread: Float64Array, seType: SeType): Float64Array {
  const { n, p, x, y, w, mu } = gd;
  const meat = new Float64Array(p * p);
  if (seType === "cluster") {
    const ids = design.cluster!;
    const nc = design.nClusters;
    const sums = new Float64Array(nc * p);
    for (let i = 0, o = 0; i < n; i++, o += p) {
      const r = (w[i]! * (y[i]! - mu[i]!)) / (1 + alpha * mu[i]!);
      const base = ids[i]! * p;
      for (let j = 0; j < p; j++) sums[base + j] = sums[base + j]! + x[o + j]! * r;
    }
    for (let c = 0; c < nc; c++)
      for (let a = 0; a < p; a++) for (let b = a; b < p; b++) meat[a * p + b] = meat[a * p + b]! + sums[c * p + a]! * sums[c * p + b]!;
    const adj = nc / (nc - 1);
    for (let q = 0; q < p * p; q++) meat[q] = meat[q]! * adj;
  } else {
    // A row with frequency weight w stands for w replicated rows, each with score x r.
    runRowPass(gd, SANDWICH_MEAT, null, [alpha], new Float64Array(p), meat, p);
  }
  symmetrize(meat, p);
  const v = congruence(bread, meat, p);
  const nObs = design.nObs;
  if (seType === "hc1" && nObs > p) for (let q = 0; q < p * p; q++) v[q] = (v[q]! * nObs) / (nObs - p);
  return v;
}

/**
 * sum w (y - mu)^2 / (mu (1 + alpha mu)) (a0 = alpha). mu can underflow to 0 only where y = 0
 * (else the likelihood is -Inf); the term's limit is 0.
 */
const PEARSON: RowPassSpec = {
  name: "pearson",
  eta: "read",
  gram: false,
  cross: false,
  code: "if (mi > 0) { const e = yi - mi; s0 += (wi * e * e) / (mi * (1 + a0 * mi)); }",
};

function pearsonAt(gd: GlmData, alpha: number): number {
  return runRowPass(gd, PEARSON, null, [alpha], new Float64Array(0), new Float64Array(0), 0)[0]!;
}

/** VIF_j = diagonal of the inverse correlation matrix of the estimable predictors. */
function computeVif(design: Design): Vif[] {
  const preds = design.estimableTerms.filter((t) => t !== INTERCEPT_TERM);
  const m = preds.length;
  if (m === 0) return [];
  const inv = inverseSpd(design.predictorCorrelation, m);
  if (inv === null) return [];
  return preds
    .map((term, j) => ({ term, vif: inv[j * m + j]! }))
    .filter((v) => Number.isFinite(v.vif));
}

/** sum w x mu (into g), sum w (s0) and sum w mu (s1) at the fitted means. */
const MEAN_EFFECT_SUMS: RowPassSpec = {
  name: "mean-effect-sums",
  eta: "read",
  gram: true,
  scoreOnly: true,
  cross: false,
  code: "r = wi * mi; s0 += wi; s1 += r;",
};

/** AME_j = mean_w(beta_j mu_i) with delta-method SEs (gradient mean(1[j=k] mu + beta_j mu x_k)). */
function averageMarginalEffects(
  gd: GlmData,
  design: Design,
  beta: Float64Array,
  v: Float64Array,
  zq: number,
): MarginalEffect[] {
  const p = gd.p;
  const muZ = new Float64Array(p);
  const sums = runRowPass(gd, MEAN_EFFECT_SUMS, null, [], muZ, new Float64Array(0), 0);
  const wSum = sums[0]!;
  const muBar = sums[1]! / wSum;
  // mean_w(mu x_k) in original units: x = c + s z.
  const muX = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    if (design.hasIntercept && j === 0) muX[j] = muBar;
    else muX[j] = design.center[j]! * muBar + design.scale[j]! * (muZ[j]! / wSum);
  }
  const out: MarginalEffect[] = [];
  for (let j = 0; j < p; j++) {
    const term = design.estimableTerms[j]!;
    if (term === INTERCEPT_TERM) continue;
    const grad = new Float64Array(p);
    for (let q = 0; q < p; q++) grad[q] = beta[j]! * muX[q]! + (q === j ? muBar : 0);
    let varAme = 0;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) varAme += grad[a]! * v[a * p + b]! * grad[b]!;
    const estimate = beta[j]! * muBar;
    const se = Math.sqrt(Math.max(varAme, 0));
    if (!Number.isFinite(estimate) || !(se > 0) || !Number.isFinite(se)) continue;
    out.push({
      term,
      estimate,
      stdError: se,
      z: estimate / se,
      pValue: twoSidedPValue(estimate / se),
      ciLower: estimate - zq * se,
      ciUpper: estimate + zq * se,
    });
  }
  return out;
}

/**
 * Terms that run off to infinity. Needs rows with y = 0 whose fitted means have gone to ~0; then a
 * term is named when the fit is still moving it by a sizeable amount (in units of the predictor's
 * sd: the last Newton direction, or the recent moves of a fit that hit the iteration cap), or when
 * its effect per sd is already implausibly large (|b * sd| > 15, a factor of 3e6) because the
 * iterations have slowed to a crawl on a flat likelihood.
 */
function separatedTerms(design: Design, gd: GlmData, t: Float64Array, beta: Float64Array, lastStep: Float64Array | null): string[] {
  const { n, y, w, mu } = gd;
  let ySum = 0;
  let wSum = 0;
  for (let i = 0; i < n; i++) {
    ySum += w[i]! * y[i]!;
    wSum += w[i]!;
  }
  const threshold = SEPARATION_MU_FRACTION * (ySum / wSum);
  let any = false;
  for (let i = 0; i < n && !any; i++) if (y[i] === 0 && mu[i]! < threshold) any = true;
  if (!any) return [];
  const p = design.p;
  const sdOf = (term: string) => (term === INTERCEPT_TERM ? 1 : (design.predictorSd[term] ?? 1));
  const flagged = new Set<string>();
  if (lastStep !== null) {
    const step = matVec(t, lastStep, p);
    const size = design.estimableTerms.map((term, j) => Math.abs(step[j]!) * sdOf(term));
    const max = Math.max(...size);
    if (max > 0.05) design.estimableTerms.forEach((term, j) => size[j]! > 0.1 * max && flagged.add(term));
  }
  design.estimableTerms.forEach((term, j) => {
    if (term !== INTERCEPT_TERM && Math.abs(beta[j]!) * sdOf(term) > 15) flagged.add(term);
  });
  return design.estimableTerms.filter((term) => flagged.has(term));
}
