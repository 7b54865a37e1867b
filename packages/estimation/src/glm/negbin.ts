/**
 * NB2 regression (variance mu + alpha mu^2) by maximum likelihood of (beta, alpha) jointly.
 *
 * Per row, in terms of alpha (theta = 1/alpha):
 *   l = G0(y, alpha) + y eta - (y + theta) log(1 + alpha mu) - lgamma(y + 1),
 *   G0(y, alpha) = sum_{j<y} log(1 + j alpha) = lgamma(y + theta) - lgamma(theta) + y log(alpha).
 * G0 and its alpha-derivatives depend on y only, so they are summed over the distinct outcome
 * values with their total weights (computed once per distinct y per iteration). Every piece is
 * written so that it stays accurate as alpha -> 0 (theta -> infinity), where the textbook
 * digamma/trigamma forms cancel catastrophically.
 */
import {
  bd0,
  bd0Log,
  digamma,
  digammaTail,
  digammaTailDerivative,
  lgamma,
  log1pmx,
  stirlerr,
  stirlingCorrection,
  trigamma,
} from "../distributions.js";
import type { RowPassSpec } from "./kernels.js";
import {
  newtonDirection,
  runRowPass,
  dot,
  DECREMENT_TOL,
  NOISE_DECREMENT,
  RecentIterates,
  REL_TOL,
  TINY_DECREMENT,
  type GlmData,
  type NewtonResult,
} from "./common.js";

/** Outcomes up to this value use explicit sums for G0 and its derivatives. */
const SMALL_Y = 64;
/** Below this alpha the fit is treated as having collapsed to the Poisson boundary. */
export const ALPHA_FLOOR = 1e-8;
/** Below this v = alpha mu, K and N are summed as series (their closed forms cancel). */
const K_SERIES_BELOW = 0.05;

/** M(u) = 2 (log(1+u) - u) + u^2/(1+u), accurate for small u. */
function mFunction(u: number): number {
  if (Math.abs(u) < 0.1) {
    // sum_{k>=3} (-1)^k u^k (k-2)/k
    let pow = u * u * u;
    let sum = 0;
    for (let k = 3; k < 80; k++) {
      const term = ((k % 2 === 0 ? 1 : -1) * pow * (k - 2)) / k;
      const next = sum + term;
      if (next === sum) break;
      sum = next;
      pow *= u;
    }
    return sum;
  }
  return 2 * (Math.log1p(u) - u) + (u * u) / (1 + u);
}

/** G0, dG0/dalpha, d2G0/dalpha2 for one outcome value (see the module comment). */
export function gTerms(y: number, alpha: number): [number, number, number] {
  if (y <= SMALL_Y) {
    let g0 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let j = 1; j < y; j++) {
      const t = j / (1 + j * alpha);
      g0 += Math.log1p(j * alpha);
      g1 += t;
      g2 -= t * t;
    }
    return [g0, g1, g2];
  }
  const theta = 1 / alpha;
  if (theta <= 30) {
    const dpsi = digamma(y + theta) - digamma(theta);
    const dpsi1 = trigamma(y + theta) - trigamma(theta);
    const t2 = theta * theta;
    return [
      lgamma(y + theta) - lgamma(theta) + y * Math.log(alpha),
      y / alpha - t2 * dpsi,
      -y * t2 + 2 * t2 * theta * dpsi + t2 * t2 * dpsi1,
    ];
  }
  // Large theta: Stirling-type expansions of lgamma/digamma around theta and theta + y.
  const u = y * alpha;
  const l = log1pmx(u);
  const lp = Math.log1p(u);
  const ds = stirlingCorrection(theta + y) - stirlingCorrection(theta);
  const dt = digammaTail(theta + y) - digammaTail(theta);
  const dtp = digammaTailDerivative(theta + y) - digammaTailDerivative(theta);
  const t2 = theta * theta;
  const g0 = theta * l + (y - 0.5) * lp + ds;
  const g1 = -t2 * l - y / (2 * (1 + u)) + t2 * dt;
  const g2 = t2 * theta * mFunction(u) + (y * y) / (2 * (1 + u) * (1 + u)) - t2 * (2 * theta * dt + t2 * dtp);
  return [g0, g1, g2];
}

/** sum over distinct y of weight * (G0, G1, G2). */
export function groupedTerms(d: GlmData, alpha: number, order: 0 | 2): [number, number, number] {
  const { groupValues, groupWeights } = d;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  // Explicit prefix sums for the small outcomes, shared across groups.
  let small = 0;
  for (let g = 0; g < groupValues.length; g++) if (groupValues[g]! <= SMALL_Y) small = groupValues[g]!;
  let j = 1;
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  for (let g = 0; g < groupValues.length; g++) {
    const y = groupValues[g]!;
    const wy = groupWeights[g]!;
    if (y <= small) {
      for (; j < y; j++) {
        c0 += Math.log1p(j * alpha);
        if (order === 2) {
          const t = j / (1 + j * alpha);
          c1 += t;
          c2 -= t * t;
        }
      }
      s0 += wy * c0;
      s1 += wy * c1;
      s2 += wy * c2;
    } else {
      const [g0, g1, g2] = gTerms(y, alpha);
      s0 += wy * g0;
      s1 += wy * g1;
      s2 += wy * g2;
    }
  }
  return [s0, s1, s2];
}

/**
 * Row parts of d l/d alpha (into s1) and -d2 l/d alpha2 (into s2) from v = alpha mu, inv =
 * 1/(1 + v) and l = log(1 + v) (a0 = alpha, a2 = theta^2, a3 = theta^3): K and N as in
 * kTerm/nTerm, closed forms where they are accurate (`let kv = 0` keeps them unboxed doubles).
 * They need no x, so the log-likelihood pass computes them with the log it takes anyway.
 */
const NB_ALPHA_ROW = `
const vi = v * inv;
let kv = 0, nv = 0;
if (v >= ${K_SERIES_BELOW}) {
  kv = l - vi;
  nv = -2 * kv + vi * vi;
} else {
  kv = kTerm(v);
  nv = nTerm(v, kv);
}
s1 += wi * (a2 * kv - yi * mi * inv);
s2 -= wi * (a3 * nv + yi * mi * mi * inv * inv);`;
const ALPHA_HELPERS: Pick<RowPassSpec, "helpers" | "constants"> = { helpers: [kTerm, nTerm], constants: { K_SERIES_BELOW } };
/** Log-likelihood term w (y eta - (y + theta) log(1 + alpha mu)) (a1 = theta), and the alpha row parts. */
const NB2_LL: RowPassSpec = {
  name: "negbin2-ll",
  eta: "compute",
  gram: false,
  cross: false,
  code: `const v = a0 * mi; const l = Math.log1p(v); s0 += wi * (yi * ei - (yi + a1) * l); const inv = 1 / (1 + v);${NB_ALPHA_ROW}`,
  ...ALPHA_HELPERS,
};
/**
 * Per row at d.mu (a0 = alpha): score weight d l/d eta into r; information weight -d2 l/d eta2
 * into wt; -d2 l/d eta d alpha into c.
 */
const NB_BETA_ROW = `
const v = a0 * mi;
const inv = 1 / (1 + v);
r = wi * (yi - mi) * inv;
wt = wi * mi * (1 + a0 * yi) * inv * inv;`;
const NB_CROSS_ROW = "c = wi * mi * (yi - mi) * inv * inv;";
/** Beta and cross parts only: the alpha row parts come from the log-likelihood pass at this point. */
const NB2_AT_MU: RowPassSpec = { name: "negbin2", eta: "read", gram: true, cross: true, code: `${NB_BETA_ROW}\n${NB_CROSS_ROW}` };
/** Everything at d.mu, for callers without a log-likelihood pass at this point and alpha. */
const NB2_AT_MU_FULL: RowPassSpec = {
  name: "negbin2-full",
  eta: "read",
  gram: true,
  cross: true,
  code: `${NB_BETA_ROW}\n${NB_CROSS_ROW}\nconst l = Math.log1p(v);${NB_ALPHA_ROW}`,
  ...ALPHA_HELPERS,
};
/** Derivatives in beta only (alpha held fixed). */
const NB2_BETA_AT_MU: RowPassSpec = { name: "negbin2-beta", eta: "read", gram: true, cross: false, code: NB_BETA_ROW };

const EMPTY = new Float64Array(0);

function nbParams(alpha: number): number[] {
  const theta = 1 / alpha;
  return [alpha, theta, theta * theta, theta * theta * theta];
}

/** Full log-likelihood at (beta, alpha); fills d.eta and d.mu. */
export function negbinLogLik(d: GlmData, beta: ArrayLike<number>, alpha: number): number {
  const acc = runRowPass(d, NB2_LL, beta, nbParams(alpha), EMPTY, EMPTY, 0);
  d.alphaRowSums = { point: d.point, alpha, s1: acc[1]!, s2: acc[2]! };
  return acc[0]! + groupedTerms(d, alpha, 0)[0] - d.lgammaY1;
}

/**
 * Saturated log-likelihood term S(y, alpha) = l(y; mu = y), written without the large
 * cancelling pieces (lgamma of counts in the millions).
 */
export function saturatedTerm(y: number, alpha: number): number {
  if (y === 0) return 0;
  const theta = 1 / alpha;
  const u = alpha * y;
  if (y <= SMALL_Y) {
    let g0 = 0;
    for (let j = 1; j < y; j++) g0 += Math.log1p(j * alpha);
    return g0 + y * Math.log(y) - (y + theta) * Math.log1p(u) - lgamma(y + 1);
  }
  if (theta > 30) {
    const ds = stirlingCorrection(theta + y) - stirlingCorrection(theta);
    return -stirlerr(y) - 0.5 * Math.log(2 * Math.PI * y) - 0.5 * Math.log1p(u) + ds;
  }
  // lgamma(y + theta) - lgamma(y + 1) by the Stirling difference (both arguments > 64).
  const a = y + theta;
  const b = y + 1;
  const dl = (b - 0.5) * Math.log1p((theta - 1) / b) + (theta - 1) * Math.log(a) - (theta - 1) + stirlingCorrection(a) - stirlingCorrection(b);
  return dl - lgamma(theta) - y * Math.log1p(1 / u) - theta * Math.log1p(u);
}

/**
 * Full log-likelihood at d.mu as saturated part minus half the unit deviances, each computed
 * with Loader's bd0: sum_y W_y S(y) - sum w (bd0(y, mu) - bd0(y + theta, mu + theta)).
 * Accurate for counts in the millions, where the textbook lgamma form loses ~1e-6.
 */
export function negbinLogLikAccurate(d: GlmData, alpha: number): number {
  return negbinSaturated(d, alpha) - negbinHalfDeviance(d, alpha);
}

/** Saturated log-likelihood sum_y W_y S(y, alpha) (distinct outcomes only). */
export function negbinSaturated(d: GlmData, alpha: number): number {
  const { groupValues, groupWeights } = d;
  let s = 0;
  for (let g = 0; g < groupValues.length; g++) s += groupWeights[g]! * saturatedTerm(groupValues[g]!, alpha);
  return s;
}

/**
 * Half the NB2 deviance at d.mu, sum w (bd0(y, mu) - bd0(y + theta, mu + theta)): the unit
 * deviance y log(y/mu) - (y + theta) log((y + theta)/(mu + theta)) in Loader's form. It is also
 * the row part of the accurate log-likelihood, so one pass gives both.
 */
export function negbinHalfDeviance(d: GlmData, alpha: number): number {
  return runRowPass(d, NB2_HALF_DEVIANCE, null, nbParams(alpha), EMPTY, EMPTY, 0)[0]!;
}
/** a1 = theta. */
const NB2_HALF_DEVIANCE: RowPassSpec = {
  name: "negbin2-half-deviance",
  eta: "read",
  gram: false,
  cross: false,
  code: "s0 += wi * (bd0Log(yi, mi, ei) - bd0(yi + a1, mi + a1));",
  helpers: [bd0, bd0Log],
};

/**
 * Score and information (negative Hessian) of the full log-likelihood in (beta, alpha) at d.mu,
 * in one pass over the rows. g has length p + 1, a is (p + 1) x (p + 1) row-major with only the
 * upper triangle filled; alpha is the last parameter. With `betaOnly` the alpha row/column is not
 * computed.
 */
export function negbinDerivatives(d: GlmData, alpha: number, g: Float64Array, a: Float64Array, betaOnly = false): void {
  const p = d.p;
  const k = p + 1;
  g.fill(0);
  a.fill(0);
  if (betaOnly) {
    runRowPass(d, NB2_BETA_AT_MU, null, nbParams(alpha), g, a, k);
    return;
  }
  const cross = new Float64Array(p);
  // The alpha row sums from the log-likelihood pass at this very point, when there was one.
  const cached = d.alphaRowSums;
  const fresh = cached !== null && cached.point === d.point && cached.alpha === alpha;
  const acc = runRowPass(d, fresh ? NB2_AT_MU : NB2_AT_MU_FULL, null, nbParams(alpha), g, a, k, cross);
  for (let j = 0; j < p; j++) a[j * k + p] = cross[j]!;
  const [, s1, s2] = groupedTerms(d, alpha, 2);
  g[p] = (fresh ? cached.s1 : acc[1]!) + s1;
  a[p * k + p] = (fresh ? cached.s2 : acc[2]!) - s2;
}

/** K(v) = log(1 + v) - v/(1 + v), by its series for small v (where the difference cancels). */
export function kTerm(v: number): number {
  if (v < K_SERIES_BELOW) {
    // sum_{m>=2} (-1)^m v^m (m-1)/m
    let pow = v * v;
    let sum = 0;
    for (let m = 2; m < 60; m++) {
      const t = ((m % 2 === 0 ? pow : -pow) * (m - 1)) / m;
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
      pow *= v;
    }
    return sum;
  }
  return Math.log1p(v) - v / (1 + v);
}

/** N(v) = -2 K(v) + (v/(1 + v))^2 (k = K(v)), by its series for small v. */
export function nTerm(v: number, k: number): number {
  if (v < K_SERIES_BELOW) {
    // sum_{m>=3} (-1)^m v^m (m-1)(m-2)/m
    let pow = v * v * v;
    let sum = 0;
    for (let m = 3; m < 60; m++) {
      const t = ((m % 2 === 0 ? pow : -pow) * (m - 1) * (m - 2)) / m;
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
      pow *= v;
    }
    return sum;
  }
  const r = v / (1 + v);
  return -2 * k + r * r;
}

/** Score of alpha at alpha -> 0+ (the Poisson fit's mu): sum w ((y - mu)^2 - y) / 2. */
export function alphaScoreAtZero(d: GlmData): number {
  return runRowPass(d, ALPHA_MOMENTS, null, EMPTY, EMPTY, EMPTY, 0)[0]! / 2;
}
/** s0 = sum w ((y - mu)^2 - y), s1 = sum w mu^2 at d.mu. */
const ALPHA_MOMENTS: RowPassSpec = {
  name: "alpha-moments",
  eta: "read",
  gram: false,
  cross: false,
  code: "const e = yi - mi; s0 += wi * (e * e - yi); s1 += wi * mi * mi;",
};

export interface NegbinResult extends NewtonResult {
  alpha: number;
  /** alpha fell below ALPHA_FLOOR: the likelihood is maximised at the Poisson boundary. */
  collapsed: boolean;
  /** Score and information in (beta, alpha) at the returned point (see negbinDerivatives); d.eta/d.mu are there too. */
  g: Float64Array;
  a: Float64Array;
}

/**
 * Newton on (beta, log alpha) with step-halving, from the given start; or on beta alone when
 * `fixedAlpha` (used for R's null deviance, which keeps theta at the full model's value).
 */
export function fitNegbin(
  d: GlmData,
  maxIterations: number,
  startBeta: Float64Array,
  startAlpha: number,
  fixedAlpha = false,
): NegbinResult {
  const p = d.p;
  const k = p + 1;
  let beta = new Float64Array(startBeta);
  let alpha = startAlpha;
  let ll = negbinLogLik(d, beta, alpha);
  const g = new Float64Array(k);
  const a = new Float64Array(k * k);
  let converged = false;
  let iterations = 0;
  let lastStep: Float64Array | null = null;
  const recent = new RecentIterates();
  recent.push(beta);
  const m = fixedAlpha ? p : k;
  const gt = new Float64Array(m);
  const at = new Float64Array(m * m);
  while (iterations < maxIterations) {
    negbinDerivatives(d, alpha, g, a, fixedAlpha);
    // Change of variables to tau = log(alpha): g_tau = alpha g_alpha; A_tautau = alpha^2 A_aa - alpha g_alpha.
    for (let i = 0; i < p; i++) {
      gt[i] = g[i]!;
      for (let j = i; j < p; j++) at[i * m + j] = a[i * k + j]!;
    }
    if (!fixedAlpha) {
      gt[p] = alpha * g[p]!;
      for (let i = 0; i < p; i++) at[i * m + p] = alpha * a[i * k + p]!;
      at[p * m + p] = alpha * alpha * a[p * k + p]! - alpha * g[p]!;
    }
    const { step } = newtonDirection(at, m, gt);
    lastStep = step.subarray(0, p);
    const dec = dot(gt, step, m);
    if (!(dec > 1e-24)) {
      converged = true;
      break;
    }
    iterations++;
    // Keep a single step from moving alpha by more than a factor e^3.
    let s = 1;
    if (!fixedAlpha && Math.abs(step[p]!) > 3) s = 3 / Math.abs(step[p]!);
    const trial = new Float64Array(p);
    let trialAlpha = alpha;
    let accepted = false;
    let llTrial = -Infinity;
    for (let h = 0; h < 60; h++, s *= 0.5) {
      for (let j = 0; j < p; j++) trial[j] = beta[j]! + s * step[j]!;
      trialAlpha = fixedAlpha ? alpha : alpha * Math.exp(s * step[p]!);
      llTrial = negbinLogLik(d, trial, trialAlpha);
      // A Newton step with a tiny predicted gain is taken as is: the change in the
      // log-likelihood is then below its rounding noise and cannot arbitrate.
      if (Number.isFinite(llTrial) && (llTrial >= ll - 1e-13 * Math.abs(ll) || (s === 1 && dec < TINY_DECREMENT))) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      negbinLogLik(d, beta, alpha); // restore eta/mu
      converged = dec < 1e-6;
      break;
    }
    const rel = Math.abs(llTrial - ll) / (Math.abs(ll) + 0.1);
    beta = trial;
    alpha = trialAlpha;
    ll = llTrial;
    recent.push(beta);
    if (alpha < ALPHA_FLOOR) {
      negbinDerivatives(d, alpha, g, a, fixedAlpha);
      return { beta, ll, converged: false, iterations, lastStep, alpha, collapsed: true, g, a };
    }
    if (dec < DECREMENT_TOL && (rel < REL_TOL || dec < NOISE_DECREMENT)) {
      converged = true;
      break;
    }
  }
  if (!converged) lastStep = recent.moveTo(beta) ?? lastStep;
  negbinDerivatives(d, alpha, g, a, fixedAlpha);
  return { beta, ll, converged, iterations, lastStep, alpha, collapsed: false, g, a };
}

/** Moment start for alpha at the Poisson fit (d.mu): sum w ((y - mu)^2 - y) / sum w mu^2, clamped. */
export function momentAlpha(d: GlmData): number {
  const [num, den] = runRowPass(d, ALPHA_MOMENTS, null, EMPTY, EMPTY, EMPTY, 0);
  return Math.min(Math.max(num! / den!, 1e-4), 1e4);
}

