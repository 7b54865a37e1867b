import { formatRows, numericColumn, rowCount } from "./columns.js";
import { normalQuantile } from "./distributions.js";
import { EstimationError } from "./errors.js";
import type { FitResult, Prediction, Table } from "./types.js";

export const INTERCEPT = "(Intercept)";

/**
 * The pieces of a fitted model that predictions need, laid out for tight loops: the estimable
 * coefficients in covariance order, the covariance, and a row-major design with offsets.
 */
export interface PredictionDesign {
  n: number;
  /** Number of estimable coefficients (aliased terms are left out). */
  p: number;
  terms: string[];
  beta: Float64Array;
  covariance: number[][];
  /** Row-major n x p. */
  x: Float64Array;
  /** Offset per row on the log scale (zeros without offset/exposure). */
  offset: Float64Array;
}

/** Coefficients and covariance of the estimable terms, checked against each other. */
export function estimableCoefficients(fit: FitResult): { terms: string[]; beta: Float64Array; covariance: number[][] } {
  const terms = fit.covariance.terms;
  const byTerm = new Map(fit.coefficients.map((c) => [c.term, c]));
  const beta = new Float64Array(terms.length);
  terms.forEach((term, k) => {
    const coef = byTerm.get(term);
    if (coef === undefined || coef.aliased || coef.estimate === null || !Number.isFinite(coef.estimate)) {
      throw new EstimationError("INVALID_INPUT", `fit has a covariance entry for "${term}" but no finite estimate`, { column: term });
    }
    beta[k] = coef.estimate;
  });
  for (const c of fit.coefficients) {
    if (!c.aliased && !terms.includes(c.term)) {
      throw new EstimationError("INVALID_INPUT", `fit coefficient "${c.term}" is missing from the covariance matrix`, { column: c.term });
    }
  }
  const matrix = fit.covariance.matrix;
  if (matrix.length !== terms.length || matrix.some((row) => row.length !== terms.length)) {
    throw new EstimationError("INVALID_INPUT", `fit covariance must be ${terms.length}x${terms.length}`);
  }
  return { terms, beta, covariance: matrix };
}

/**
 * Builds the design of `data` for `fit`: intercept and predictor columns of the estimable terms,
 * and the offset (as given, or log of the exposure). Rows must be complete: a prediction for a
 * row with a missing predictor has no meaning, so such rows are refused, named, not dropped.
 */
export function predictionDesign(fit: FitResult, data: Table): PredictionDesign {
  const { terms, beta, covariance } = estimableCoefficients(fit);
  const n = rowCount(data);
  const p = terms.length;
  const x = new Float64Array(n * p);
  terms.forEach((term, k) => {
    if (term === INTERCEPT) {
      for (let i = 0; i < n; i++) x[i * p + k] = 1;
      return;
    }
    const col = numericColumn(data, term);
    if (col.length !== n) {
      // rowCount already checks this for columns present; kept for a clear message.
      throw new EstimationError("INVALID_INPUT", `column "${term}" has ${col.length} rows, expected ${n}`, { column: term });
    }
    refuseMissing(col, term, "predictor");
    for (let i = 0; i < n; i++) x[i * p + k] = col[i]!;
  });
  const offset = new Float64Array(n);
  if (fit.spec.offset !== undefined) {
    const col = numericColumn(data, fit.spec.offset);
    refuseMissing(col, fit.spec.offset, "offset");
    offset.set(col);
  } else if (fit.spec.exposure !== undefined) {
    const name = fit.spec.exposure;
    const col = numericColumn(data, name);
    refuseMissing(col, name, "exposure");
    const bad: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!(col[i]! > 0)) bad.push(i);
      offset[i] = Math.log(col[i]!);
    }
    if (bad.length > 0) {
      throw new EstimationError("INVALID_INPUT", `exposure column "${name}" must be > 0; rows ${formatRows(bad)} are not`, {
        column: name,
        rows: bad,
      });
    }
  }
  return { n, p, terms, beta, covariance, x, offset };
}

function refuseMissing(col: Float64Array, name: string, role: string): void {
  const missing: number[] = [];
  for (let i = 0; i < col.length; i++) if (Number.isNaN(col[i]!)) missing.push(i);
  if (missing.length > 0) {
    throw new EstimationError(
      "INVALID_INPUT",
      `${role} column "${name}" is missing at rows ${formatRows(missing)}; predictions need complete rows`,
      { column: name, rows: missing },
    );
  }
}

/**
 * Why intervals cannot be computed at this confidence level, or undefined when they can: the level
 * must be in (0, 1) and its two-sided normal critical value finite in double precision (at
 * 0.9999999999999999, 0.5 + level/2 rounds to 1 and the critical value is infinite).
 */
export function confidenceLevelProblem(level: number): string | undefined {
  if (!(level > 0 && level < 1)) return `confidence level must be strictly between 0 and 1, got ${level}`;
  if (!Number.isFinite(normalQuantile(0.5 + level / 2))) {
    return `confidence level ${level} is too close to 1: its normal critical value is infinite in double precision; use at most 0.9999999999999998`;
  }
  return undefined;
}

/** Two-sided normal critical value for a confidence level in (0, 1) (see confidenceLevelProblem). */
export function criticalValue(level: number): number {
  const problem = confidenceLevelProblem(level);
  if (problem) throw new EstimationError("INVALID_INPUT", problem, { column: "confidenceLevel" });
  return normalQuantile(0.5 + level / 2);
}

/** The NB2 alpha to use for P(Y >= 1): 0 (Poisson) for Poisson fits and alpha at the boundary. */
export function fittedAlpha(fit: FitResult): number {
  if (fit.family !== "negbin2" || fit.alpha === null) return 0;
  if (!(fit.alpha >= 0) || !Number.isFinite(fit.alpha)) {
    throw new EstimationError("INVALID_INPUT", `fit has an invalid alpha ${fit.alpha}`);
  }
  return fit.alpha;
}

/**
 * P(Y >= 1) = 1 - P(Y = 0): Poisson 1 - exp(-mu); NB2 1 - (1 + alpha mu)^(-1/alpha).
 * expm1/log1p keep it accurate for tiny mu and tiny alpha.
 */
export function probAtLeastOne(mu: number, alpha: number): number {
  if (alpha === 0) return -Math.expm1(-mu);
  return -Math.expm1(-Math.log1p(alpha * mu) / alpha);
}

/** x' V x for a row of a row-major design. */
export function quadraticForm(x: Float64Array, offset: number, p: number, v: readonly (readonly number[])[]): number {
  let s = 0;
  for (let j = 0; j < p; j++) {
    const vj = v[j]!;
    let t = 0;
    for (let k = 0; k < p; k++) t += vj[k]! * x[offset + k]!;
    s += x[offset + j]! * t;
  }
  return s;
}

/**
 * Predicted means for the rows of `data`, with delta-method standard errors
 * (se(mu) = mu * sqrt(x' V x)), confidence intervals from the link scale and P(Y >= 1).
 * The offset or exposure named in the fit's spec is read from `data`.
 */
export function predict(fit: FitResult, data: Table, opts: { level?: number } = {}): Prediction[] {
  const z = criticalValue(opts.level ?? 0.95);
  const alpha = fittedAlpha(fit);
  const d = predictionDesign(fit, data);
  const out: Prediction[] = [];
  for (let i = 0; i < d.n; i++) {
    const base = i * d.p;
    let eta = d.offset[i]!;
    for (let k = 0; k < d.p; k++) eta += d.x[base + k]! * d.beta[k]!;
    const seEta = Math.sqrt(Math.max(quadraticForm(d.x, base, d.p, d.covariance), 0));
    const mu = Math.exp(eta);
    out.push({
      eta,
      mu,
      stdError: mu * seEta,
      lower: Math.exp(eta - z * seEta),
      upper: Math.exp(eta + z * seEta),
      probAtLeastOne: probAtLeastOne(mu, alpha),
    });
  }
  return out;
}

