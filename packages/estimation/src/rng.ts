import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { lgamma } from "./distributions.js";
import { EstimationError } from "./errors.js";
import { cholesky } from "./linalg.js";

/**
 * Seeded pseudo-random numbers for parametric simulation, synthetic test data and the bench.
 * xoshiro128** (Blackman & Vigna) seeded through splitmix32: fast, 32-bit integer maths only, so
 * the same seed gives the same stream on every platform and Node version (Math.random cannot).
 */
export interface Rng {
  /** Uniform on [0, 1) with 53 random bits. */
  uniform(): number;
  /** Standard normal (Marsaglia polar method). */
  normal(): number;
  /** Gamma with the given shape and scale (mean shape * scale); Marsaglia–Tsang. */
  gamma(shape: number, scale?: number): number;
  /** Poisson with the given mean (multiplication for small means, PTRS rejection above 10). */
  poisson(mean: number): number;
  /** NB2 count with mean mu and variance mu + alpha mu^2 (Poisson–gamma mixture; alpha 0 = Poisson). */
  negBin2(mu: number, alpha: number): number;
}

const TWO_POW_32 = 4294967296;

export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) {
    throw new EstimationError("INVALID_INPUT", `seed must be a safe integer, got ${seed}`);
  }
  // Both halves of the seed feed splitmix32, so seeds differing only above bit 32 still differ.
  let sm = (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32) | 0, 0x85ebca6b);
  const splitmix32 = (): number => {
    sm = (sm + 0x9e3779b9) | 0;
    let t = sm ^ (sm >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
  let s0 = splitmix32();
  let s1 = splitmix32();
  let s2 = splitmix32();
  let s3 = splitmix32();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1; // the all-zero state is a fixed point

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };

  const uniform = (): number => {
    const hi = nextUint32() >>> 5; // 27 bits
    const lo = nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  };

  let spare = NaN;
  const normal = (): number => {
    if (!Number.isNaN(spare)) {
      const z = spare;
      spare = NaN;
      return z;
    }
    for (;;) {
      const u = 2 * uniform() - 1;
      const v = 2 * uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        spare = v * f;
        return u * f;
      }
    }
  };

  const gammaShapeAtLeastOne = (shape: number): number => {
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  };

  const gamma = (shape: number, scale = 1): number => {
    if (!(shape > 0) || !Number.isFinite(shape) || !(scale > 0) || !Number.isFinite(scale)) {
      throw new EstimationError("INVALID_INPUT", `gamma needs finite shape > 0 and scale > 0, got ${shape}, ${scale}`);
    }
    if (shape >= 1) return gammaShapeAtLeastOne(shape) * scale;
    // Boost: Gamma(a) = Gamma(a + 1) * U^(1/a) keeps Marsaglia–Tsang valid for a < 1.
    return gammaShapeAtLeastOne(shape + 1) * Math.pow(uniform(), 1 / shape) * scale;
  };

  const poisson = (mean: number): number => {
    if (!(mean >= 0) || !Number.isFinite(mean)) {
      throw new EstimationError("INVALID_INPUT", `poisson needs a finite mean >= 0, got ${mean}`);
    }
    if (mean === 0) return 0;
    if (mean < 10) {
      const limit = Math.exp(-mean);
      let k = 0;
      let p = uniform();
      while (p > limit) {
        k++;
        p *= uniform();
      }
      return k;
    }
    // PTRS, Hörmann (1993), "The transformed rejection method for generating Poisson random variables".
    const slam = Math.sqrt(mean);
    const loglam = Math.log(mean);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = uniform() - 0.5;
      const v = uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - lgamma(k + 1)) {
        return k;
      }
    }
  };

  const negBin2 = (mu: number, alpha: number): number => {
    if (!(alpha >= 0) || !Number.isFinite(alpha)) {
      throw new EstimationError("INVALID_INPUT", `negBin2 needs a finite alpha >= 0, got ${alpha}`);
    }
    if (alpha === 0 || mu === 0) return poisson(mu);
    return poisson(gamma(1 / alpha, alpha * mu));
  };

  return { uniform, normal, gamma, poisson, negBin2 };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A factor L (row-major p x p) with L L' = cov, for drawing mean + L z. Cholesky when the matrix
 * is positive definite; otherwise (a covariance that is only semi-definite after rounding) the
 * symmetric eigen-decomposition with negative eigenvalues clipped to zero, so simulation still works.
 */
export function covarianceFactor(cov: readonly (readonly number[])[]): Float64Array {
  const p = cov.length;
  const flat = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    const row = cov[i]!;
    if (row.length !== p) {
      throw new EstimationError("INVALID_INPUT", `covariance matrix is not square (row ${i} has ${row.length} entries, expected ${p})`);
    }
    for (let j = 0; j < p; j++) {
      if (!Number.isFinite(row[j]!)) {
        throw new EstimationError("INVALID_INPUT", `covariance matrix has a non-finite entry at (${i}, ${j})`);
      }
      flat[i * p + j] = row[j]!;
    }
  }
  const chol = cholesky(flat, p);
  if (chol !== null) return chol;
  const eig = new EigenvalueDecomposition(new Matrix(cov.map((r) => [...r])), { assumeSymmetric: true });
  const q = eig.eigenvectorMatrix;
  const values = eig.realEigenvalues;
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) out[i * p + j] = q.get(i, j) * Math.sqrt(Math.max(values[j]!, 0));
  }
  return out;
}

/**
 * Draws from MVN(mean, cov): returns a function that fills `out` with one draw per call,
 * consuming p standard normals from `rng` in order (so a seed fixes the whole sequence).
 */
export function multivariateNormal(
  rng: Rng,
  mean: readonly number[],
  cov: readonly (readonly number[])[],
): (out?: Float64Array) => Float64Array {
  const p = mean.length;
  if (cov.length !== p) {
    throw new EstimationError("INVALID_INPUT", `covariance is ${cov.length}x${cov.length} but the mean has ${p} entries`);
  }
  const factor = covarianceFactor(cov);
  const z = new Float64Array(p);
  return (out = new Float64Array(p)) => {
    for (let k = 0; k < p; k++) z[k] = rng.normal();
    for (let i = 0; i < p; i++) {
      let s = mean[i]!;
      for (let k = 0; k < p; k++) s += factor[i * p + k]! * z[k]!;
      out[i] = s;
    }
    return out;
  };
}
