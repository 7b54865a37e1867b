/**
 * Turns a Table and a ModelSpec into the numeric design the fitters work on: validated outcome,
 * weights and offset, rows with missing cells dropped, aliased (collinear) columns detected, and
 * the estimable columns centred and scaled into one row-major Float64Array.
 *
 * Internal scaling: with an intercept every predictor column is stored as z = (x - c) / s with c
 * the (weighted) mean and s the (weighted, population) sd; without an intercept as z = x / s with
 * s the root mean square. The fitters work on z; `transform` maps coefficients back exactly.
 */
import { formatRows, numericColumn, rowCount } from "./columns.js";
import { EstimationError } from "./errors.js";
import { confidenceLevelProblem } from "./predict.js";
import { crossProductKernel, designWriter } from "./glm/kernels.js";
import { rowArray } from "./glm/row-threads.js";
import type { FitWarning, ModelSpec, Table } from "./types.js";

export const INTERCEPT_TERM = "(Intercept)";
/** A column whose residual norm, relative to its own norm, is below this is aliased (R's dqrdc2 tol). */
export const RANK_TOL = 1e-7;

export interface Design {
  /** Rows used in the fit (complete and with positive weight). */
  n: number;
  /** Number of observations: rows, or the sum of the frequency weights. */
  nObs: number;
  usedRows: number[];
  /** Rows dropped for missing values (0-based input indices). */
  droppedRows: number[];
  y: Float64Array;
  /** Frequency weights (all ones when the spec has none). */
  w: Float64Array;
  hasWeights: boolean;
  /** Offset on the log scale (null when none). */
  offset: Float64Array | null;
  hasOffset: boolean;
  /** Cluster id per used row, 0..nClusters-1, when the spec names a cluster column. */
  cluster: Int32Array | null;
  nClusters: number;
  hasIntercept: boolean;
  /** All terms in design order (intercept first), including aliased ones. */
  terms: string[];
  aliased: boolean[];
  /** Terms that are fitted, in order. */
  estimableTerms: string[];
  p: number;
  /** Row-major n x p scaled design of the estimable terms. */
  x: Float64Array;
  /** Per estimable term: x = center + scale * z (intercept: 0 and 1). */
  center: Float64Array;
  scale: Float64Array;
  /** Sample sd (n - 1, frequency weighted) of every predictor over the used rows. */
  predictorSd: Record<string, number>;
  /** Weighted correlation matrix of the estimable predictors (row-major), for VIFs. */
  predictorCorrelation: Float64Array;
  warnings: FitWarning[];
}

function invalid(message: string, column?: string, rows?: number[]): EstimationError {
  return new EstimationError("INVALID_INPUT", message, {
    ...(column !== undefined ? { column } : {}),
    ...(rows !== undefined ? { rows } : {}),
  });
}

function isMissingCell(v: unknown): boolean {
  return v === null || v === undefined || v === "" || v === "NA" || (typeof v === "number" && Number.isNaN(v));
}

// The row loops live in small functions: V8 optimises (and on-stack-replaces) each on its own,
// which matters on the first fit in a process, when one large function would be recompiled
// for every loop it contains.

/** Weighted mean c, centred sum of squares ss and raw sum of squares sq. */
function weightedMoments(col: Float64Array, w: Float64Array, wSum: number): { c: number; ss: number; sq: number } {
  const n = w.length;
  let s = 0;
  for (let r = 0; r < n; r++) s += w[r]! * col[r]!;
  const c = s / wSum;
  let ss = 0;
  let sq = 0;
  for (let r = 0; r < n; r++) {
    const v = col[r]!;
    ss += w[r]! * (v - c) * (v - c);
    sq += w[r]! * v * v;
  }
  return { c, ss, sq };
}

/** Row-major [1, (x_j - c_j) / s_j ...] (no leading 1 without an intercept). */
function scaledDesign(cols: Float64Array[], n: number, center: Float64Array, scale: Float64Array, intercept: boolean): Float64Array {
  const m = cols.length;
  // Shared memory when large, so that the row passes can run on several threads without a copy.
  const x = rowArray(n, m + (intercept ? 1 : 0));
  const inv = scale.map((v) => 1 / v);
  // Row by row: one sequential pass over the design instead of one strided pass per column.
  designWriter(m, intercept)(x, n, cols, center, inv);
  return x;
}

/** Rows with no missing cell (NaN in a numeric column, null/""/"NA" in the cluster column). */
function completeRows(
  total: number,
  columns: (Float64Array | null)[],
  clusterCol: ArrayLike<unknown> | null,
): { complete: Uint8Array; dropped: number[] } {
  const complete = new Uint8Array(total).fill(1);
  for (const col of columns) {
    if (col === null) continue;
    for (let i = 0; i < total; i++) if (Number.isNaN(col[i]!)) complete[i] = 0;
  }
  if (clusterCol !== null) for (let i = 0; i < total; i++) if (isMissingCell(clusterCol[i])) complete[i] = 0;
  const dropped: number[] = [];
  for (let i = 0; i < total; i++) if (complete[i] === 0) dropped.push(i);
  return { complete, dropped };
}

/** Value checks on the complete rows, collecting the offending input rows. */
function badValues(
  complete: Uint8Array,
  yAll: Float64Array,
  exposure: Float64Array | null,
  wAll: Float64Array | null,
): { badY: number[]; fracY: number[]; badExposure: number[]; badWeight: number[] } {
  const badY: number[] = [];
  const fracY: number[] = [];
  const badExposure: number[] = [];
  const badWeight: number[] = [];
  for (let i = 0; i < complete.length; i++) {
    if (complete[i] === 0) continue;
    const y = yAll[i]!;
    if (y < 0) badY.push(i);
    else if (y !== Math.floor(y)) fracY.push(i); // finite here: non-finite cells were refused or are missing
    if (exposure !== null && !(exposure[i]! > 0)) badExposure.push(i);
    if (wAll !== null && (wAll[i]! < 0 || !Number.isInteger(wAll[i]!))) badWeight.push(i);
  }
  return { badY, fracY, badExposure, badWeight };
}

/** Complete rows with positive weight; nObs counts frequency weights as replicated rows. */
function selectUsedRows(complete: Uint8Array, wAll: Float64Array | null): { usedRows: number[]; nObs: number } {
  const isUsed = (i: number) => complete[i] === 1 && (wAll === null || wAll[i]! > 0);
  let count = 0;
  for (let i = 0; i < complete.length; i++) if (isUsed(i)) count++;
  // Sized once: growing a million-element array by push copies it several times.
  const usedRows = new Array<number>(count);
  let nObs = 0;
  for (let i = 0, r = 0; i < complete.length; i++) {
    if (isUsed(i)) {
      usedRows[r++] = i;
      nObs += wAll === null ? 1 : wAll[i]!;
    }
  }
  return { usedRows, nObs };
}

function gather(col: Float64Array, rows: readonly number[]): Float64Array {
  const out = rowArray(rows.length);
  for (let r = 0; r < rows.length; r++) out[r] = col[rows[r]!]!;
  return out;
}

/**
 * numericColumn, without the copy when the column already is a Float64Array (NaN = missing):
 * large numeric inputs are then not duplicated.
 */
function readNumeric(data: Table, name: string): Float64Array {
  const col = data[name];
  if (col instanceof Float64Array) {
    for (let i = 0; i < col.length; i++) {
      if (col[i] === Infinity || col[i] === -Infinity) return numericColumn(data, name); // throws with the rows
    }
    return col;
  }
  return numericColumn(data, name);
}

/** Largest range of offset values (log scale) that fitted means can span in double precision. */
const MAX_OFFSET_SPREAD = 700;

export function buildDesign(data: Table, spec: ModelSpec): Design {
  const intercept = spec.intercept ?? true;
  const predictors = spec.predictors;
  const seType = spec.seType ?? "oim";
  if (spec.family !== "poisson" && spec.family !== "negbin2") throw invalid(`unknown family "${String(spec.family)}"`);
  if (spec.offset !== undefined && spec.exposure !== undefined) {
    throw invalid(`give either offset ("${spec.offset}") or exposure ("${spec.exposure}"), not both`, spec.exposure);
  }
  if (seType === "cluster" && (spec.cluster === undefined || spec.cluster === "")) {
    throw invalid('seType "cluster" needs a cluster column', "cluster");
  }
  if (!["oim", "expected", "hc0", "hc1", "cluster"].includes(seType)) throw invalid(`unknown seType "${String(seType)}"`, "seType");
  const correction = spec.clusterCorrection ?? "none";
  if (correction !== "none" && correction !== "cr2") throw invalid(`unknown clusterCorrection "${String(correction)}" (none or cr2)`, "clusterCorrection");
  if (correction === "cr2" && seType !== "cluster") throw invalid('clusterCorrection "cr2" needs seType "cluster"', "clusterCorrection");
  const level = spec.confidenceLevel ?? 0.95;
  const levelProblem = confidenceLevelProblem(level);
  if (levelProblem) throw invalid(levelProblem, "confidenceLevel");
  const seen = new Set<string>();
  for (const name of predictors) {
    if (seen.has(name)) throw invalid(`predictor "${name}" is listed twice`, name);
    seen.add(name);
    if (name === spec.outcome) throw invalid(`outcome "${name}" is also listed as a predictor`, name);
  }
  const used = [spec.outcome, ...predictors, spec.offset, spec.exposure, spec.weights, spec.cluster].filter(
    (c): c is string => c !== undefined,
  );
  for (const name of used) if (!(name in data)) throw invalid(`unknown column "${name}"`, name);
  const total = rowCount(data);

  const yAll = readNumeric(data, spec.outcome);
  const xAll = predictors.map((name) => readNumeric(data, name));
  const offsetName = spec.offset ?? spec.exposure;
  const offAll = offsetName !== undefined ? readNumeric(data, offsetName) : null;
  const wAll = spec.weights !== undefined ? readNumeric(data, spec.weights) : null;
  const clusterCol = spec.cluster !== undefined ? data[spec.cluster]! : null;

  const { complete, dropped } = completeRows(total, [yAll, ...xAll, offAll, wAll], clusterCol);

  const { badY, fracY, badExposure, badWeight } = badValues(complete, yAll, spec.exposure !== undefined ? offAll : null, wAll);
  if (badY.length > 0) throw invalid(`outcome "${spec.outcome}" is negative at rows ${formatRows(badY)}`, spec.outcome, badY);
  if (fracY.length > 0) {
    throw invalid(`outcome "${spec.outcome}" is not a whole-number count at rows ${formatRows(fracY)}`, spec.outcome, fracY);
  }
  if (badExposure.length > 0) {
    throw invalid(`exposure "${spec.exposure}" must be > 0; rows ${formatRows(badExposure)}`, spec.exposure, badExposure);
  }
  if (badWeight.length > 0) {
    throw invalid(
      `weights "${spec.weights}" are frequency weights and must be whole numbers >= 0; rows ${formatRows(badWeight)}`,
      spec.weights,
      badWeight,
    );
  }

  // Used rows: complete with positive weight (zero-weight rows contribute nothing). Frequency
  // weights count as replicated rows, so the number of observations is the sum of the weights.
  const { usedRows, nObs } = selectUsedRows(complete, wAll);
  const n = usedRows.length;
  const terms = intercept ? [INTERCEPT_TERM, ...predictors] : [...predictors];
  if (terms.length === 0) throw invalid("the model has no terms (no intercept and no predictors)", "predictors");
  const nParamsMax = terms.length + (spec.family === "negbin2" ? 1 : 0);
  if (nObs < nParamsMax) {
    throw invalid(`only ${nObs} usable observations for ${nParamsMax} parameters`, spec.outcome);
  }

  // Columns restricted to the used rows; the input arrays themselves when every row is used
  // (they are only read), so large inputs are not duplicated.
  const allUsed = n === total;
  const y = allUsed ? yAll : gather(yAll, usedRows);
  const w = wAll === null ? rowArray(n).fill(1) : gather(wAll, usedRows);
  const offset = offAll === null ? null : gather(offAll, usedRows);
  if (offset !== null && spec.exposure !== undefined) for (let r = 0; r < n; r++) offset[r] = Math.log(offset[r]!);
  if (offset !== null) {
    // Fitted means differ by exp(offset spread) at least; beyond ~e^700 that overflows a double, so
    // such an offset is almost surely an unlogged exposure given as `offset`.
    let lo = Infinity;
    let hi = -Infinity;
    for (let r = 0; r < n; r++) {
      lo = Math.min(lo, offset[r]!);
      hi = Math.max(hi, offset[r]!);
    }
    if (hi - lo > MAX_OFFSET_SPREAD) {
      throw invalid(
        `${spec.offset !== undefined ? "offset" : "log exposure"} "${offsetName}" spans ${(hi - lo).toPrecision(3)} on the log scale (more than ${MAX_OFFSET_SPREAD}), so fitted means would overflow; an offset is on the log scale (give unlogged values as exposure)`,
        offsetName!,
      );
    }
  }
  let yVaries = false;
  for (let r = 1; r < n && !yVaries; r++) if (y[r] !== y[0]) yVaries = true;
  if (!yVaries) throw invalid(`outcome "${spec.outcome}" has no variation (every used row is ${y[0] ?? "empty"})`, spec.outcome);

  let cluster: Int32Array | null = null;
  let nClusters = 0;
  if (clusterCol !== null) {
    cluster = new Int32Array(n);
    const ids = new Map<string, number>();
    for (let r = 0; r < n; r++) {
      const key = String(clusterCol[usedRows[r]!]);
      let id = ids.get(key);
      if (id === undefined) {
        id = ids.size;
        ids.set(key, id);
      }
      cluster[r] = id;
    }
    nClusters = ids.size;
    if (seType === "cluster" && nClusters < 2) throw invalid(`cluster "${spec.cluster}" has fewer than 2 groups`, spec.cluster);
  }

  // Weighted moments of every predictor over the used rows.
  let wSum = 0;
  for (let r = 0; r < n; r++) wSum += w[r]!;
  const m = predictors.length;
  const cols = xAll.map((col) => (allUsed ? col : gather(col, usedRows)));
  const mean = new Float64Array(m);
  const popSd = new Float64Array(m);
  const rms = new Float64Array(m);
  const predictorSd: Record<string, number> = {};
  for (let j = 0; j < m; j++) {
    const { c, ss, sq } = weightedMoments(cols[j]!, w, wSum);
    mean[j] = c;
    popSd[j] = Math.sqrt(ss / wSum);
    rms[j] = Math.sqrt(sq / wSum);
    predictorSd[predictors[j]!] = wSum > 1 ? Math.sqrt(ss / (wSum - 1)) : 0;
  }

  // Scaled candidate columns, row-major n x m.
  const center = new Float64Array(m);
  const scale = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    if (intercept) {
      center[j] = mean[j]!;
      scale[j] = popSd[j]! > 0 ? popSd[j]! : 1;
    } else {
      scale[j] = rms[j]! > 0 ? rms[j]! : 1;
    }
  }
  // The design is built once, row-major with stride P = intercept + all predictors; aliased
  // columns are squeezed out in place afterwards (one copy of the design in memory).
  const first = intercept ? 1 : 0;
  const P = m + first;
  let x = scaledDesign(cols, n, center, scale, intercept);
  // Weighted Gram matrix of [intercept, z] in one pass; the predictor block is what we need.
  const gramAll = new Float64Array(P * P);
  crossProductKernel(P, false)(x, n, w, w, new Float64Array(P), gramAll, P, null, null);
  const gram = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = a; b < m; b++) gram[a * m + b] = gramAll[(a + first) * P + b + first]!;
  for (let k = 0; k < m * m; k++) gram[k] = gram[k]! / wSum;

  // Ratio of a column's norm after centring to its own (uncentred) norm, as dqrdc2 measures it.
  const ownNormFactor = new Float64Array(m);
  for (let j = 0; j < m; j++) ownNormFactor[j] = intercept ? (rms[j]! > 0 ? popSd[j]! / rms[j]! : 0) : rms[j]! > 0 ? 1 : 0;
  let keep = rankByGram(gram, m, ownNormFactor);
  if (keep === null) keep = rankByGramSchmidt(x, P, first, n, m, w, ownNormFactor, intercept);

  const aliased = terms.map(() => false);
  const estimableTerms: string[] = intercept ? [INTERCEPT_TERM] : [];
  const kept: number[] = [];
  for (let j = 0; j < m; j++) {
    if (keep[j]) {
      kept.push(j);
      estimableTerms.push(predictors[j]!);
    } else aliased[j + (intercept ? 1 : 0)] = true;
  }
  const warnings: FitWarning[] = [];
  const aliasedTerms = predictors.filter((_, j) => !keep![j]);
  if (aliasedTerms.length > 0) {
    if ((spec.onRankDeficient ?? "drop") === "error") {
      throw new EstimationError(
        "SINGULAR_DESIGN",
        `the design is rank deficient: ${aliasedTerms.map((t) => `"${t}"`).join(", ")} ${aliasedTerms.length === 1 ? "is" : "are"} a linear combination of earlier columns`,
        { column: aliasedTerms[0]! },
      );
    }
  }
  if (dropped.length > 0) {
    warnings.push({
      code: "ROWS_DROPPED_MISSING",
      message: `${dropped.length} row(s) dropped for missing values in used columns (rows ${formatRows(dropped)})`,
      rows: dropped,
    });
  }
  if (aliasedTerms.length > 0) {
    warnings.push({
      code: "RANK_DEFICIENT",
      message: `rank-deficient design: ${aliasedTerms.join(", ")} aliased with earlier columns and not estimated`,
      terms: aliasedTerms,
    });
  }

  const p = estimableTerms.length;
  if (p < P) {
    // Squeeze out aliased columns; destination index never exceeds the source index.
    for (let r = 0; r < n; r++) {
      const src = r * P;
      const dst = r * p;
      if (intercept) x[dst] = x[src]!;
      for (let q = 0; q < kept.length; q++) x[dst + first + q] = x[src + first + kept[q]!]!;
    }
    x = x.subarray(0, n * p);
  }
  const centerOut = new Float64Array(p);
  const scaleOut = new Float64Array(p).fill(1);
  kept.forEach((j, q) => {
    centerOut[first + q] = center[j]!;
    scaleOut[first + q] = scale[j]!;
  });
  const mk = kept.length;
  const corr = new Float64Array(mk * mk);
  for (let a = 0; a < mk; a++)
    for (let b = 0; b < mk; b++) {
      const ja = kept[Math.min(a, b)]!;
      const jb = kept[Math.max(a, b)]!;
      const g = gram[ja * m + jb]!;
      // Correlation of the centred columns (with an intercept the z are centred already).
      corr[a * mk + b] = intercept ? g / Math.sqrt(gram[ja * m + ja]! * gram[jb * m + jb]!) : g;
    }
  if (!intercept) {
    // Without an intercept the Gram matrix is uncentred; VIFs still use centred correlations.
    for (let a = 0; a < mk; a++)
      for (let b = 0; b < mk; b++) {
        const ja = kept[a]!;
        const jb = kept[b]!;
        const cov = gram[Math.min(ja, jb) * m + Math.max(ja, jb)]! * rms[ja]! * rms[jb]! - mean[ja]! * mean[jb]!;
        const sa = popSd[ja]!;
        const sb = popSd[jb]!;
        corr[a * mk + b] = sa > 0 && sb > 0 ? cov / (sa * sb) : a === b ? 1 : 0;
      }
  }

  return {
    n,
    nObs,
    usedRows,
    droppedRows: dropped,
    y,
    w,
    hasWeights: wAll !== null,
    offset,
    hasOffset: offAll !== null,
    cluster,
    nClusters,
    hasIntercept: intercept,
    terms,
    aliased,
    estimableTerms,
    p,
    x,
    center: centerOut,
    scale: scaleOut,
    predictorSd,
    predictorCorrelation: corr,
    warnings,
  };
}

/**
 * Column-order rank detection from the Gram matrix of the scaled columns (a Cholesky that skips
 * aliased columns). Returns null when some column is too close to the tolerance for the Gram
 * matrix's precision to decide; the caller then re-checks on the data itself.
 */
function rankByGram(gram: Float64Array, m: number, ownNormFactor: Float64Array): boolean[] | null {
  const keep: boolean[] = [];
  const l = new Float64Array(m * m);
  const keptIdx: number[] = [];
  for (let j = 0; j < m; j++) {
    if (!(ownNormFactor[j]! > RANK_TOL)) {
      keep.push(false);
      continue;
    }
    const gjj = gram[j * m + j]!;
    // Residual variance after projecting on earlier kept columns.
    let s = gjj;
    for (const q of keptIdx) s -= l[j * m + q]! * l[j * m + q]!;
    const rel = s / gjj; // squared residual norm relative to the column's (centred) norm
    if (rel < 1e-6) return null;
    if (Math.sqrt(rel) * ownNormFactor[j]! < RANK_TOL) {
      keep.push(false);
      continue;
    }
    const d = Math.sqrt(s);
    keep.push(true);
    for (let i = j + 1; i < m; i++) {
      let t = gram[j * m + i]!;
      for (const q of keptIdx) t -= l[i * m + q]! * l[j * m + q]!;
      l[i * m + j] = t / d;
    }
    l[j * m + j] = d;
    keptIdx.push(j);
  }
  return keep;
}

/** Precise column-order rank detection: modified Gram-Schmidt with re-orthogonalisation on the data. */
function rankByGramSchmidt(
  x: Float64Array,
  stride: number,
  first: number,
  n: number,
  m: number,
  w: Float64Array,
  ownNormFactor: Float64Array,
  intercept: boolean,
): boolean[] {
  const sw = new Float64Array(n);
  for (let r = 0; r < n; r++) sw[r] = Math.sqrt(w[r]!);
  const basis: Float64Array[] = [];
  if (intercept) {
    const one = new Float64Array(n);
    let nn = 0;
    for (let r = 0; r < n; r++) nn += w[r]!;
    const inv = 1 / Math.sqrt(nn);
    for (let r = 0; r < n; r++) one[r] = sw[r]! * inv;
    basis.push(one);
  }
  const keep: boolean[] = [];
  for (let j = 0; j < m; j++) {
    const v = new Float64Array(n);
    let norm0 = 0;
    for (let r = 0; r < n; r++) {
      v[r] = sw[r]! * x[r * stride + first + j]!;
      norm0 += v[r]! * v[r]!;
    }
    norm0 = Math.sqrt(norm0);
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        let dot = 0;
        for (let r = 0; r < n; r++) dot += q[r]! * v[r]!;
        for (let r = 0; r < n; r++) v[r] = v[r]! - dot * q[r]!;
      }
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += v[r]! * v[r]!;
    norm = Math.sqrt(norm);
    const rel = norm0 > 0 ? (norm / norm0) * ownNormFactor[j]! : 0;
    if (!(rel >= RANK_TOL) || !(ownNormFactor[j]! > RANK_TOL)) {
      keep.push(false);
      continue;
    }
    keep.push(true);
    for (let r = 0; r < n; r++) v[r] = v[r]! / norm;
    basis.push(v);
  }
  return keep;
}
