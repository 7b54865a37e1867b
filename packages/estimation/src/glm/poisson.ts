/**
 * Poisson regression with log link by Newton's method (identical to IRLS for the canonical link),
 * with step-halving on the log-likelihood.
 */
import { bd0, bd0Log, stirlerr } from "../distributions.js";
import { cholesky, choleskySolve } from "../linalg.js";
import type { RowPassSpec } from "./kernels.js";
import {
  DECREMENT_TOL,
  dot,
  NOISE_DECREMENT,
  TINY_DECREMENT,
  newtonDirection,
  runRowPass,
  RecentIterates,
  REL_TOL,
  type GlmData,
  type NewtonResult,
} from "./common.js";

const NO_PARAMS = new Float64Array(0);

/**
 * Per row: log-likelihood term (without lgamma(y + 1)), score weight w (y - mu) and information
 * weight w mu.
 */
const POISSON_AT_MU: RowPassSpec = {
  name: "poisson",
  eta: "read",
  gram: true,
  cross: false,
  code: "wt = wi * mi; r = wi * (yi - mi);",
};
/** eta, mu and the log-likelihood term only: the pass for trial points of the line search. */
const POISSON_LL: RowPassSpec = { name: "poisson-ll", eta: "compute", gram: false, cross: false, code: "s0 += wi * (yi * ei - mi);" };

/** Full log-likelihood sum w (y eta - mu - lgamma(y + 1)) at beta (fills d.eta, d.mu). */
export function poissonLogLik(d: GlmData, beta: ArrayLike<number>): number {
  return runRowPass(d, POISSON_LL, beta, NO_PARAMS, NO_PARAMS, NO_PARAMS, d.p)[0]! - d.lgammaY1;
}

/**
 * Full log-likelihood at d.mu in Loader's form, as R's dpois(log = TRUE):
 * -stirlerr(y) - log(2 pi y)/2 - bd0(y, mu) for y > 0 and -mu for y = 0. Unlike
 * sum(y eta - mu - lgamma(y + 1)) it keeps full accuracy when counts are in the millions.
 */
export function poissonLogLikAccurate(d: GlmData): number {
  return poissonSaturated(d) - poissonHalfDeviance(d);
}

/** Saturated log-likelihood -sum_y W_y (stirlerr(y) + log(2 pi y)/2) over distinct y > 0. */
export function poissonSaturated(d: GlmData): number {
  const { groupValues, groupWeights } = d;
  let s = 0;
  for (let g = 0; g < groupValues.length; g++) {
    const v = groupValues[g]!;
    if (v > 0) s -= groupWeights[g]! * (stirlerr(v) + 0.5 * Math.log(2 * Math.PI * v));
  }
  return s;
}

/** Half the Poisson deviance at d.mu, sum w bd0(y, mu) (also the row part of the log-likelihood). */
export function poissonHalfDeviance(d: GlmData): number {
  return runRowPass(d, POISSON_HALF_DEVIANCE, null, NO_PARAMS, NO_PARAMS, NO_PARAMS, 0)[0]!;
}
const POISSON_HALF_DEVIANCE: RowPassSpec = {
  name: "poisson-half-deviance",
  eta: "read",
  gram: false,
  cross: false,
  code: "s0 += wi * bd0Log(yi, mi, ei);",
  helpers: [bd0, bd0Log],
};

/** Score X' w (y - mu) and information X' diag(w mu) X (upper triangle) at d.mu. */
export function poissonDerivatives(d: GlmData, g: Float64Array, a: Float64Array): void {
  g.fill(0);
  a.fill(0);
  runRowPass(d, POISSON_AT_MU, null, NO_PARAMS, g, a, d.p);
}

/** Weighted least squares on the working response at mu = y + 0.1 (R's poisson()$initialize). */
const IRLS_START: RowPassSpec = {
  name: "poisson-irls-start",
  eta: "none",
  gram: true,
  cross: false,
  code: "const m0 = yi + 0.1; const z = Math.log(m0) - oi + (yi - m0) / m0; wt = wi * m0; r = wi * m0 * z;",
};

/** IRLS start from mu = y + 0.1: one weighted least-squares solve. */
function irlsStart(d: GlmData): Float64Array | null {
  const p = d.p;
  const g = new Float64Array(p);
  const a = new Float64Array(p * p);
  runRowPass(d, IRLS_START, null, NO_PARAMS, g, a, p);
  const l = cholesky(a, p);
  return l === null ? null : choleskySolve(l, p, g);
}

/** Newton with step-halving; d.eta and d.mu are left at the returned beta. */
export function fitPoisson(d: GlmData, maxIterations: number, start?: Float64Array): NewtonResult {
  const p = d.p;
  let beta = start !== undefined ? new Float64Array(start) : irlsStart(d);
  let iterations = start !== undefined ? 0 : 1;
  let ll = beta === null ? -Infinity : poissonLogLik(d, beta);
  if (beta === null || !Number.isFinite(ll)) {
    beta = new Float64Array(p);
    ll = poissonLogLik(d, beta);
  }
  const g = new Float64Array(p);
  const a = new Float64Array(p * p);
  let converged = false;
  let lastStep: Float64Array | null = null;
  const recent = new RecentIterates();
  recent.push(beta);
  while (iterations < maxIterations) {
    poissonDerivatives(d, g, a);
    const { step } = newtonDirection(a, p, g);
    lastStep = step;
    const dec = dot(g, step, p);
    if (!(dec > 1e-24)) {
      converged = true;
      break;
    }
    iterations++;
    const trial = new Float64Array(p);
    let accepted = false;
    let llTrial = -Infinity;
    for (let s = 1, h = 0; h < 60; h++, s *= 0.5) {
      for (let j = 0; j < p; j++) trial[j] = beta[j]! + s * step[j]!;
      llTrial = poissonLogLik(d, trial);
      // Tiny predicted gain: take the Newton step (the log-likelihood change is below its noise).
      if (Number.isFinite(llTrial) && (llTrial >= ll - 1e-13 * Math.abs(ll) || (s === 1 && dec < TINY_DECREMENT))) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      poissonLogLik(d, beta); // restore eta/mu
      converged = dec < 1e-6;
      break;
    }
    const rel = Math.abs(llTrial - ll) / (Math.abs(ll) + 0.1);
    beta = trial;
    ll = llTrial;
    recent.push(beta);
    if (dec < DECREMENT_TOL && (rel < REL_TOL || dec < NOISE_DECREMENT)) {
      converged = true;
      break;
    }
  }
  return { beta, ll, converged, iterations, lastStep: converged ? lastStep : (recent.moveTo(beta) ?? lastStep) };
}
