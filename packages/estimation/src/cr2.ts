/**
 * Bias-reduced cluster-robust covariance (CR2, Bell & McCaffrey 2002; Pustejovsky & Tipton 2018)
 * with Satterthwaite degrees of freedom per coefficient, for a Poisson or NB2 GLM with log link at
 * fixed alpha. It reproduces R's `clubSandwich::vcovCR(glm, cluster, type = "CR2")` and
 * `coef_test(..., test = "Satterthwaite")` on the glm fitted at the estimated theta
 * (`glm(..., family = negative.binomial(theta))`), whose working model is:
 *
 *   X~ = diag(mu) X (d mu / d eta rows), W = diag(w / V(mu)) with V(mu) = mu + alpha mu^2,
 *   Theta = W^-1 (the working variance, clubSandwich's inverse_var target), r = y - mu,
 *   M = (X~' W X~)^-1 (the expected-information covariance),
 *   A_g = D_g (D_g (I - X~_g M X~_g' W_g) Theta_g D_g)^(-1/2) D_g,  D_g = Theta_g^(1/2),
 *   V_CR2 = M (sum_g X~_g' W_g A_g r_g r_g' A_g W_g X~_g) M.
 *
 * Satterthwaite: for coefficient i, with E_g = X~_g' W_g A_g, h_g = (M E_g X~_g L)_i (L the
 * lower Cholesky factor of M) and d_g = ||(M E_g D_g)_i||^2, the G x G matrix P = diag(d) - H'H
 * gives df = 2 tr(P)^2 / (2 ||P||_F^2), summed entry by entry (O(G^2 p) per coefficient; the
 * shortcut through ||H H'||_F loses digits to cancellation).
 *
 * Each cluster needs an eigendecomposition of an n_g x n_g matrix: clusters of more than
 * MAX_CLUSTER_ROWS rows are refused (CR2 is meant for few, moderate clusters; with many rows per
 * cluster and many clusters the plain cluster sandwich is adequate).
 */
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { EstimationError } from "./errors.js";
import { cholesky, inverseSpd } from "./linalg.js";

export const MAX_CLUSTER_ROWS = 2000;

export interface Cr2Input {
  /** Row-major n x p design in original units (intercept column included), estimable columns only. */
  x: ArrayLike<number>;
  n: number;
  p: number;
  y: ArrayLike<number>;
  /** Fitted means. */
  mu: ArrayLike<number>;
  /** NB2 alpha (0 for Poisson). */
  alpha: number;
  /** Prior (frequency) weights; all ones when absent. */
  weights?: ArrayLike<number> | null;
  /** Cluster index 0..nClusters-1 per row. */
  cluster: ArrayLike<number>;
  nClusters: number;
}

export interface Cr2Result {
  /** Row-major p x p CR2 covariance of beta. */
  covariance: Float64Array;
  /** Satterthwaite degrees of freedom per coefficient. */
  df: Float64Array;
}

/** S^(-1/2) of a symmetric matrix, eigenvalues below 1e-12 treated as 0 (clubSandwich's matrix_power). */
function inverseSqrtSym(s: number[][]): number[][] {
  const m = s.length;
  const eig = new EigenvalueDecomposition(new Matrix(s), { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const out: number[][] = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  for (let k = 0; k < m; k++) {
    const v = values[k]!;
    if (!(v > 1e-12)) continue;
    const f = 1 / Math.sqrt(v);
    for (let a = 0; a < m; a++) {
      const va = vectors.get(a, k) * f;
      if (va === 0) continue;
      const row = out[a]!;
      for (let b = 0; b < m; b++) row[b]! += va * vectors.get(b, k);
    }
  }
  return out;
}

export function clusterRobustCR2(input: Cr2Input): Cr2Result {
  const { x, n, p, y, mu, alpha, weights, cluster, nClusters } = input;
  const members: number[][] = Array.from({ length: nClusters }, () => []);
  for (let i = 0; i < n; i++) members[cluster[i]!]!.push(i);
  const largest = Math.max(...members.map((m) => m.length));
  if (largest > MAX_CLUSTER_ROWS) {
    throw new EstimationError(
      "INVALID_INPUT",
      `CR2 needs an eigendecomposition per cluster; the largest cluster has ${largest} rows (at most ${MAX_CLUSTER_ROWS}); use the plain cluster sandwich`,
      { column: "cluster" },
    );
  }

  // Working quantities per row: X~ = mu x, W = w / V, D = sqrt(1 / W).
  const xt = new Float64Array(n * p);
  const wWork = new Float64Array(n);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = mu[i]!;
    for (let j = 0; j < p; j++) xt[i * p + j] = m * x[i * p + j]!;
    const v = m + alpha * m * m;
    wWork[i] = (weights ? weights[i]! : 1) / v;
    d[i] = Math.sqrt(1 / wWork[i]!);
  }
  const info = new Float64Array(p * p);
  for (let i = 0; i < n; i++) {
    const o = i * p;
    for (let a = 0; a < p; a++) {
      const xa = xt[o + a]! * wWork[i]!;
      for (let b = a; b < p; b++) info[a * p + b]! += xa * xt[o + b]!;
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) info[a * p + b] = info[b * p + a]!;
  const M = inverseSpd(info, p);
  if (M === null) throw new EstimationError("SINGULAR_DESIGN", "the expected information is not positive definite; CR2 is not available");
  const L = cholesky(M, p);
  if (L === null) throw new EstimationError("SINGULAR_DESIGN", "the expected-information covariance is not positive definite; CR2 is not available");

  const meat = new Float64Array(p * p);
  // Per coefficient and cluster: h_g (p values) and d_g, for the Satterthwaite P matrices.
  const hs: Float64Array[] = Array.from({ length: p }, () => new Float64Array(nClusters * p));
  const ds: Float64Array[] = Array.from({ length: p }, () => new Float64Array(nClusters));
  const me = new Float64Array(p);
  const mxtRow = new Float64Array(p);

  for (let gIndex = 0; gIndex < nClusters; gIndex++) {
    const rows = members[gIndex]!;
    const m = rows.length;
    if (m === 0) continue;
    // G = D (I - X~ M X~' W) Theta D = diag(Theta^2)... written out: G_ab = delta_ab Theta_a^2 - D_a h_ab D_b, h_ab = x~_a M x~_b.
    const mx: number[][] = rows.map((i) => {
      const o = i * p;
      for (let a = 0; a < p; a++) {
        let s = 0;
        for (let b = 0; b < p; b++) s += M[a * p + b]! * xt[o + b]!;
        mxtRow[a] = s;
      }
      return Array.from(mxtRow);
    });
    const g: number[][] = rows.map((i, a) =>
      rows.map((k, b) => {
        let h = 0;
        for (let c = 0; c < p; c++) h += xt[i * p + c]! * mx[b]![c]!;
        const theta = 1 / wWork[i]!;
        return (a === b ? theta * theta : 0) - d[i]! * h * d[k]!;
      }),
    );
    const gInvSqrt = inverseSqrtSym(g);
    // A = D G^-1/2 D; E = X~' W A (p x m); c = E r.
    const e: number[][] = Array.from({ length: p }, () => new Array<number>(m).fill(0));
    for (let a = 0; a < m; a++) {
      const ia = rows[a]!;
      for (let b = 0; b < m; b++) {
        const aab = d[ia]! * gInvSqrt[a]![b]! * d[rows[b]!]!;
        if (aab === 0) continue;
        const f = wWork[ia]! * aab;
        for (let j = 0; j < p; j++) e[j]![b]! += xt[ia * p + j]! * f;
      }
    }
    const comp = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let b = 0; b < m; b++) s += e[j]![b]! * (y[rows[b]!]! - mu[rows[b]!]!);
      comp[j] = s;
    }
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) meat[a * p + b]! += comp[a]! * comp[b]!;

    // Satterthwaite pieces: ME = M E (p x m); Gs = ME D; H = ME X~ L (p x p).
    const meM: number[][] = Array.from({ length: p }, (_, a) => {
      const row = new Array<number>(m).fill(0);
      for (let c = 0; c < p; c++) {
        const mac = M[a * p + c]!;
        if (mac === 0) continue;
        const ec = e[c]!;
        for (let b = 0; b < m; b++) row[b]! += mac * ec[b]!;
      }
      return row;
    });
    // X~_g L (m x p)
    const xl: number[][] = rows.map((i) => {
      const out = new Array<number>(p).fill(0);
      for (let c = 0; c < p; c++) {
        let s = 0;
        for (let k = c; k < p; k++) s += xt[i * p + k]! * L[k * p + c]!;
        out[c] = s;
      }
      return out;
    });
    for (let iCoef = 0; iCoef < p; iCoef++) {
      const row = meM[iCoef]!;
      let dg = 0;
      for (let b = 0; b < m; b++) dg += row[b]! * d[rows[b]!]! * row[b]! * d[rows[b]!]!;
      for (let c = 0; c < p; c++) {
        let s = 0;
        for (let b = 0; b < m; b++) s += row[b]! * xl[b]![c]!;
        me[c] = s;
      }
      hs[iCoef]!.set(me, gIndex * p);
      ds[iCoef]![gIndex] = dg;
    }
  }

  const covariance = new Float64Array(p * p);
  const tmp = new Float64Array(p * p);
  for (let a = 0; a < p; a++)
    for (let b = 0; b < p; b++) {
      let s = 0;
      for (let c = 0; c < p; c++) s += M[a * p + c]! * meat[c * p + b]!;
      tmp[a * p + b] = s;
    }
  for (let a = 0; a < p; a++)
    for (let b = 0; b < p; b++) {
      let s = 0;
      for (let c = 0; c < p; c++) s += tmp[a * p + c]! * M[c * p + b]!;
      covariance[a * p + b] = s;
    }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) covariance[a * p + b] = covariance[b * p + a] = 0.5 * (covariance[a * p + b]! + covariance[b * p + a]!);

  const df = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    const h = hs[i]!;
    const dd = ds[i]!;
    let trace = 0;
    let frob = 0;
    for (let g = 0; g < nClusters; g++) {
      for (let k = g; k < nClusters; k++) {
        let dot = 0;
        for (let c = 0; c < p; c++) dot += h[g * p + c]! * h[k * p + c]!;
        const pgk = (g === k ? dd[g]! : 0) - dot;
        if (g === k) {
          trace += pgk;
          frob += pgk * pgk;
        } else frob += 2 * pgk * pgk;
      }
    }
    df[i] = (trace * trace) / frob;
  }
  return { covariance, df };
}
