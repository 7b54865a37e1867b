/**
 * Poisson regression with log link by Newton's method (identical to IRLS for the canonical link),
 * with step-halving on the log-likelihood.
 */
import { bd0Log, stirlerr } from "../distributions.js";
import { cholesky, choleskySolve } from "../linalg.js";
import {
  crossProducts,
  DECREMENT_TOL,
  dot,
  NOISE_DECREMENT,
  TINY_DECREMENT,
  linearPredictor,
  newtonDirection,
  RecentIterates,
  REL_TOL,
  type GlmData,
  type NewtonResult,
} from "./common.js";

/** Full log-likelihood at beta (fills d.eta, d.mu): sum w (y eta - mu - lgamma(y + 1)). */
export function poissonLogLik(d: GlmData, beta: ArrayLike<number>): number {
  linearPredictor(d, beta);
  const { n, y, w, eta, mu } = d;
  let s = 0;
  for (let i = 0; i < n; i++) s += w[i]! * (y[i]! * eta[i]! - mu[i]!);
  return s - d.lgammaY1;
}

/**
 * Full log-likelihood at d.mu in Loader's form, as R's dpois(log = TRUE):
 * -stirlerr(y) - log(2 pi y)/2 - bd0(y, mu) for y > 0 and -mu for y = 0. Unlike
 * sum(y eta - mu - lgamma(y + 1)) it keeps full accuracy when counts are in the millions.
 */
export function poissonLogLikAccurate(d: GlmData): number {
  const { n, y, w, mu, eta, groupValues, groupWeights } = d;
  let s = 0;
  for (let g = 0; g < groupValues.length; g++) {
    const v = groupValues[g]!;
    if (v > 0) s -= groupWeights[g]! * (stirlerr(v) + 0.5 * Math.log(2 * Math.PI * v));
  }
  for (let i = 0; i < n; i++) s -= w[i]! * bd0Log(y[i]!, mu[i]!, eta[i]!);
  return s;
}

/** Score X' w (y - mu) and information X' diag(w mu) X (upper triangle) at d.mu. */
export function poissonDerivatives(d: GlmData, g: Float64Array, a: Float64Array): void {
  const { n, y, w, mu, work1, work2 } = d;
  for (let i = 0; i < n; i++) {
    work1[i] = w[i]! * mu[i]!;
    work2[i] = w[i]! * (y[i]! - mu[i]!);
  }
  g.fill(0);
  a.fill(0);
  crossProducts(d, work1, work2, g, a, d.p);
}

/** IRLS start from mu = y + 0.1 (as R's poisson()$initialize): one weighted least-squares solve. */
function irlsStart(d: GlmData): Float64Array | null {
  const { n, p, y, w, offset, work1, work2 } = d;
  for (let i = 0; i < n; i++) {
    const mu0 = y[i]! + 0.1;
    const z = Math.log(mu0) - offset[i]! + (y[i]! - mu0) / mu0;
    work1[i] = w[i]! * mu0;
    work2[i] = w[i]! * mu0 * z;
  }
  const g = new Float64Array(p);
  const a = new Float64Array(p * p);
  crossProducts(d, work1, work2, g, a, p);
  const l = cholesky(a, p);
  return l === null ? null : choleskySolve(l, p, g);
}

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
