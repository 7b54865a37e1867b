/**
 * Small dense symmetric k x k algebra on row-major Float64Arrays (k is the number of model
 * parameters, so these are tiny). The n-by-k work lives in the model modules as plain loops.
 *
 * Our own Cholesky instead of ml-matrix's: the matrices here are assembled from floating-point
 * sums (only the upper triangle is accumulated), ml-matrix insists on exact symmetry, and we need
 * an explicit positive-definiteness verdict rather than an exception.
 */

/** Copies the upper triangle into the lower one. */
export function symmetrize(a: Float64Array, k: number): void {
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) a[j * k + i] = a[i * k + j]!;
}

/**
 * Cholesky factor L (lower, row-major) of a symmetric matrix, reading the upper triangle only.
 * Returns null when the matrix is not numerically positive definite (a pivot <= relTol times
 * its original diagonal).
 */
export function cholesky(a: Float64Array, k: number, relTol = 1e-13): Float64Array | null {
  const l = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    const ajj = a[j * k + j]!;
    let s = ajj;
    for (let m = 0; m < j; m++) s -= l[j * k + m]! * l[j * k + m]!;
    if (!(s > relTol * Math.abs(ajj)) || !Number.isFinite(s)) return null;
    const d = Math.sqrt(s);
    l[j * k + j] = d;
    for (let i = j + 1; i < k; i++) {
      let t = a[j * k + i]!; // upper triangle element (j, i) = (i, j)
      for (let m = 0; m < j; m++) t -= l[i * k + m]! * l[j * k + m]!;
      l[i * k + j] = t / d;
    }
  }
  return l;
}

/** Solves (L L') x = b. */
export function choleskySolve(l: Float64Array, k: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i]!;
    for (let m = 0; m < i; m++) s -= l[i * k + m]! * x[m]!;
    x[i] = s / l[i * k + i]!;
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let m = i + 1; m < k; m++) s -= l[m * k + i]! * x[m]!;
    x[i] = s / l[i * k + i]!;
  }
  return x;
}

/** (L L')^-1 as a full symmetric matrix. */
export function choleskyInverse(l: Float64Array, k: number): Float64Array {
  const inv = new Float64Array(k * k);
  const e = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    e.fill(0);
    e[j] = 1;
    const col = choleskySolve(l, k, e);
    for (let i = 0; i < k; i++) inv[i * k + j] = col[i]!;
  }
  // Exact symmetry for consumers that check it.
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const v = 0.5 * (inv[i * k + j]! + inv[j * k + i]!);
      inv[i * k + j] = v;
      inv[j * k + i] = v;
    }
  }
  return inv;
}

/** Inverse of a symmetric PD matrix (upper triangle read), or null if not PD. */
export function inverseSpd(a: Float64Array, k: number): Float64Array | null {
  const l = cholesky(a, k);
  return l === null ? null : choleskyInverse(l, k);
}

/** T V T' for a k x k transform T and symmetric V. */
export function congruence(t: Float64Array, v: Float64Array, k: number): Float64Array {
  const tv = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let m = 0; m < k; m++) s += t[i * k + m]! * v[m * k + j]!;
      tv[i * k + j] = s;
    }
  const out = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = i; j < k; j++) {
      let s = 0;
      for (let m = 0; m < k; m++) s += tv[i * k + m]! * t[j * k + m]!;
      out[i * k + j] = s;
      out[j * k + i] = s;
    }
  return out;
}

/** Row-major k x k Float64Array to number[][]. */
export function toRows(a: Float64Array, k: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < k; i++) rows.push(Array.from(a.subarray(i * k, i * k + k)));
  return rows;
}
