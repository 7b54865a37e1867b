/**
 * Data and loops shared by the Poisson and NB2 fitters. The design is a row-major n x p
 * Float64Array; besides it a fit holds two per-row buffers (eta and mu), allocated once.
 */
import { lgamma } from "../distributions.js";
import { cholesky, choleskySolve } from "../linalg.js";
import { rowPass, type RowPassSpec } from "./kernels.js";
import { BLOCKED_MIN_ROWS, ROW_BLOCK, rowArray, rowThreads, sharedCopy } from "./row-threads.js";

export interface GlmData {
  n: number;
  p: number;
  /** Row-major n x p design (scaled columns); unused (empty) for intercept-only data. */
  x: Float64Array;
  y: Float64Array;
  w: Float64Array;
  /** Offset on the log scale, or null for none (not stored as a column of zeros). */
  offset: Float64Array | null;
  /** Distinct outcome values with their total weight (for the y-only special-function sums). */
  groupValues: Float64Array;
  groupWeights: Float64Array;
  /** sum w * lgamma(y + 1). */
  lgammaY1: number;
  /**
   * The only per-row buffers of a fit: linear predictor and mean at the point of the last
   * computing row pass (every other per-row quantity is computed inside the passes).
   */
  eta: Float64Array;
  mu: Float64Array;
  /**
   * Set for intercept-only designs (null models): exp(offset), so mu = exp(b0) * expOffset needs
   * no exp per row.
   */
  expOffset: Float64Array | null;
  /** Counts the passes that computed eta/mu: identifies the point they are at. */
  point: number;
  /**
   * Row sums of the NB2 alpha derivatives, computed by the log-likelihood pass (which has
   * log(1 + alpha mu) at hand) at `point` and `alpha`, for the derivative pass at the same point.
   */
  alphaRowSums: { point: number; alpha: number; s1: number; s2: number } | null;
  /**
   * Threads for the row passes when n >= BLOCKED_MIN_ROWS (see row-threads.ts); the results do
   * not depend on it.
   */
  threads: number;
}

/**
 * With threads > 1 on large data the per-row arrays are moved to shared memory (a copy only for
 * those not already there: buildDesign allocates large designs in shared memory).
 */
export function makeGlmData(
  x: Float64Array,
  p: number,
  y: Float64Array,
  w: Float64Array,
  offset: Float64Array | null,
  threads = 1,
): GlmData {
  const n = y.length;
  if (threads > 1 && n >= BLOCKED_MIN_ROWS) {
    x = sharedCopy(x);
    y = sharedCopy(y);
    w = sharedCopy(w);
    offset = offset === null ? null : sharedCopy(offset);
  }
  const { groupValues, groupWeights } = groupOutcomes(y, w);
  let lgammaY1 = 0;
  for (let g = 0; g < groupValues.length; g++) lgammaY1 += groupWeights[g]! * lgamma(groupValues[g]! + 1);
  return {
    n,
    p,
    x,
    y,
    w,
    offset,
    groupValues,
    groupWeights,
    lgammaY1,
    eta: rowArray(n),
    mu: rowArray(n),
    expOffset: null,
    point: 0,
    alphaRowSums: null,
    threads,
  };
}

/**
 * Distinct outcome values (ascending) with their total weights. Counts are whole numbers >= 0, so
 * a dense tally is used when the largest count is small enough; otherwise a Map.
 */
function groupOutcomes(y: Float64Array, w: Float64Array): { groupValues: Float64Array; groupWeights: Float64Array } {
  const n = y.length;
  let maxY = 0;
  for (let i = 0; i < n; i++) if (y[i]! > maxY) maxY = y[i]!;
  if (maxY <= Math.max(1024, 2 * n) && maxY <= 1e7) {
    const tally = new Float64Array(maxY + 1);
    const seen = new Uint8Array(maxY + 1);
    for (let i = 0; i < n; i++) {
      const v = y[i]! | 0; // an int index keeps the typed-array access on V8's fast path
      tally[v] = tally[v]! + w[i]!;
      seen[v] = 1;
    }
    let count = 0;
    for (let v = 0; v <= maxY; v++) if (seen[v] === 1) count++;
    const groupValues = new Float64Array(count);
    const groupWeights = new Float64Array(count);
    for (let v = 0, g = 0; v <= maxY; v++) {
      if (seen[v] === 1) {
        groupValues[g] = v;
        groupWeights[g] = tally[v]!;
        g++;
      }
    }
    return { groupValues, groupWeights };
  }
  const byValue = new Map<number, number>();
  for (let i = 0; i < n; i++) byValue.set(y[i]!, (byValue.get(y[i]!) ?? 0) + w[i]!);
  const values = [...byValue.keys()].sort((a, b) => a - b);
  return { groupValues: Float64Array.from(values), groupWeights: Float64Array.from(values.map((v) => byValue.get(v)!)) };
}

/**
 * Same outcome, weights and offset with an intercept-only design (shares the grouped sums). The
 * offset is shifted by its maximum, which the intercept absorbs, so exp(offset) cannot overflow
 * (log-likelihood and deviance do not depend on the shift).
 */
export function interceptOnly(d: GlmData): GlmData {
  const n = d.n;
  const expOffset = rowArray(n);
  let offset: Float64Array | null = null;
  if (d.offset !== null) {
    let shift = -Infinity;
    for (let i = 0; i < n; i++) shift = Math.max(shift, d.offset[i]!);
    offset = rowArray(n);
    for (let i = 0; i < n; i++) offset[i] = d.offset[i]! - shift;
  }
  for (let i = 0; i < n; i++) expOffset[i] = offset === null ? 1 : Math.exp(offset[i]!);
  return {
    ...d,
    offset,
    x: new Float64Array(0), // the intercept-only passes never read the design
    p: 1,
    eta: rowArray(n),
    mu: rowArray(n),
    expOffset,
    point: 0,
    alphaRowSums: null,
  };
}

/**
 * Runs a row pass over d (see kernels.ts), without reading a design for intercept-only data. Adds into g, h (upper triangle, row stride `stride`) and g2; returns the snippet's sums s0..s2.
 */
export function runRowPass(
  d: GlmData,
  spec: RowPassSpec,
  beta: ArrayLike<number> | null,
  prm: ArrayLike<number>,
  g: Float64Array,
  h: Float64Array,
  stride: number,
  g2: Float64Array | null = null,
): Float64Array {
  const code = rowPass(d.p, spec, d.expOffset !== null, d.offset !== null);
  if (spec.eta === "compute") d.point++;
  const acc = new Float64Array(3);
  const n = d.n;
  if (n >= BLOCKED_MIN_ROWS) {
    // Per-block sums added in block order, on d.threads threads (see row-threads.ts).
    rowThreads().run(d, code, d.threads, beta ?? NO_PARAMS, prm, g, h, stride, g2, acc);
    return acc;
  }
  // In blocks of rows: V8 then optimises the generated function as a whole after the first few
  // blocks, instead of on-stack-replacing one long loop (slowly, for a large loop body) and
  // deoptimising at its never-yet-run epilogue. Unrolled passes add each block's sums to g, h, g2
  // and acc, in block order, exactly as the blocked path does.
  const pass = code.pass;
  for (let start = 0; start < n; start += ROW_BLOCK) {
    pass(d.x, start, Math.min(n, start + ROW_BLOCK), d.y, d.w, d.offset, d.expOffset, beta ?? NO_PARAMS, d.eta, d.mu, prm, g, h, stride, g2, acc);
  }
  return acc;
}

const NO_PARAMS = new Float64Array(0);

const PREDICTOR_ONLY: RowPassSpec = { name: "predictor", eta: "compute", gram: false, cross: false, code: "" };

/** eta = offset + X beta, mu = exp(eta). */
export function linearPredictor(d: GlmData, beta: ArrayLike<number>): void {
  runRowPass(d, PREDICTOR_ONLY, beta, NO_PARAMS, NO_PARAMS, NO_PARAMS, d.p);
}

/**
 * Newton direction A^-1 g for an information matrix A (upper triangle); when A is not positive
 * definite (far from the optimum) a growing ridge is added until it is (Levenberg-Marquardt).
 */
export function newtonDirection(a: Float64Array, k: number, g: Float64Array): { step: Float64Array; ridged: boolean } {
  let l = cholesky(a, k);
  if (l !== null) return { step: choleskySolve(l, k, g), ridged: false };
  let maxDiag = 0;
  for (let j = 0; j < k; j++) maxDiag = Math.max(maxDiag, Math.abs(a[j * k + j]!));
  if (!(maxDiag > 0)) maxDiag = 1;
  const b = new Float64Array(a);
  for (let lambda = 1e-8 * maxDiag; lambda < 1e12 * maxDiag; lambda *= 10) {
    for (let j = 0; j < k; j++) b[j * k + j] = a[j * k + j]! + lambda;
    l = cholesky(b, k);
    if (l !== null) return { step: choleskySolve(l, k, g), ridged: true };
  }
  // Gradient ascent as a last resort (the line search scales it).
  const step = new Float64Array(g);
  for (let j = 0; j < k; j++) step[j] = g[j]! / maxDiag;
  return { step, ridged: true };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>, k: number): number {
  let s = 0;
  for (let j = 0; j < k; j++) s += a[j]! * b[j]!;
  return s;
}

/** Convergence thresholds: relative log-likelihood change and Newton decrement g'A^-1 g (dimensionless). */
export const REL_TOL = 1e-10;
export const DECREMENT_TOL = 1e-9;
/** Below this decrement a Newton step is accepted without comparing log-likelihoods. */
export const TINY_DECREMENT = 1e-6;
/**
 * At this decrement the iterate is at the optimum to machine precision, so a relative change of the
 * log-likelihood above REL_TOL can only be rounding noise (counts in the millions).
 */
export const NOISE_DECREMENT = 1e-15;

/**
 * The last few iterates, so that a fit stopped by the iteration cap can report the direction it
 * was still moving in (a separating direction when coefficients run off).
 */
export class RecentIterates {
  private readonly kept: Float64Array[] = [];
  constructor(private readonly size = 5) {}
  push(beta: ArrayLike<number>): void {
    this.kept.push(Float64Array.from(beta));
    if (this.kept.length > this.size) this.kept.shift();
  }
  /** beta minus the oldest kept iterate, or null before any. */
  moveTo(beta: Float64Array): Float64Array | null {
    const oldest = this.kept[0];
    return oldest === undefined ? null : beta.map((v, j) => v - oldest[j]!);
  }
}

export interface NewtonResult {
  beta: Float64Array;
  ll: number;
  converged: boolean;
  iterations: number;
  /**
   * Where beta was heading (scaled coordinates), used to name separating terms: the last Newton
   * direction, or for a fit that did not converge the move over its last few iterations.
   */
  lastStep: Float64Array | null;
}

/** Deviance at gd.mu: Poisson (alpha = 0) or R's glm.nb deviance at theta = 1/alpha. */
export function devianceAt(gd: GlmData, alpha: number): number {
  const { n, y, w, mu, eta } = gd;
  // y log(y / mu), via log y - eta when mu has underflowed.
  const ylog = (yi: number, mi: number, ei: number) => (yi > 0 ? yi * (mi > 1e-280 ? Math.log(yi / mi) : Math.log(yi) - ei) : 0);
  let s = 0;
  if (alpha === 0) {
    for (let i = 0; i < n; i++) {
      const yi = y[i]!;
      s += w[i]! * (ylog(yi, mu[i]!, eta[i]!) - (yi - mu[i]!));
    }
  } else {
    const theta = 1 / alpha;
    for (let i = 0; i < n; i++) {
      const yi = y[i]!;
      const mi = mu[i]!;
      const r = (yi - mi) / (mi + theta);
      // log((y + theta) / (mu + theta)); log1p loses the ratio when mu >> y + theta (r -> -1).
      const logRatio = r > -0.5 ? Math.log1p(r) : Math.log((yi + theta) / (mi + theta));
      s += w[i]! * (ylog(yi, mi, eta[i]!) - (yi + theta) * logRatio);
    }
  }
  return 2 * s;
}

