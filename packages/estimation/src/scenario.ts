import { formatRows, numericColumn, rowCount } from "./columns.js";
import { EstimationError } from "./errors.js";
import {
  criticalValue,
  fittedAlpha,
  predictionDesign,
  probAtLeastOne,
  quadraticForm,
  type PredictionDesign,
} from "./predict.js";
import { covarianceFactor, createRng, multivariateNormal, type Rng } from "./rng.js";
import type { AlphaUncertainty, Estimate, FitResult, Intervention, ScenarioOptions, ScenarioOutcome, ScenarioRow, Table } from "./types.js";

export const DEFAULT_DRAWS = 1000;
export const MAX_DRAWS = 100_000;

/**
 * Returns a copy of `data` with the interventions applied in order (scale multiplies, add adds,
 * set replaces) on the given rows, or all rows. Only touched columns are copied (as
 * Float64Array; missing cells stay missing under scale/add); the input is never modified.
 * Pass `exposure` (the fit's exposure column) to refuse results with exposure <= 0.
 */
export function applyInterventions(
  data: Table,
  interventions: readonly Intervention[],
  opts: { exposure?: string } = {},
): Table {
  const n = rowCount(data);
  const out: Table = { ...data };
  const copied = new Map<string, Float64Array>();
  interventions.forEach((iv, index) => {
    const where = `intervention ${index}`;
    if (!Object.hasOwn(data, iv.column)) {
      throw new EstimationError("INVALID_INPUT", `${where}: unknown column "${iv.column}"`, { column: iv.column });
    }
    if (iv.operation !== "scale" && iv.operation !== "add" && iv.operation !== "set") {
      throw new EstimationError("INVALID_INPUT", `${where}: unknown operation "${String(iv.operation)}" (use scale, add or set)`, {
        column: iv.column,
      });
    }
    if (typeof iv.value !== "number" || !Number.isFinite(iv.value)) {
      throw new EstimationError("INVALID_INPUT", `${where}: value for column "${iv.column}" must be a finite number, got ${iv.value}`, {
        column: iv.column,
      });
    }
    const rows = iv.rows ?? null;
    if (rows !== null) {
      const bad = rows.filter((r) => !Number.isInteger(r) || r < 0 || r >= n);
      if (bad.length > 0) {
        throw new EstimationError("INVALID_INPUT", `${where}: rows ${formatRows(bad)} are outside 0..${n - 1}`, {
          column: iv.column,
          rows: bad,
        });
      }
    }
    let col = copied.get(iv.column);
    if (col === undefined) {
      col = numericColumn(data, iv.column); // a fresh copy; refuses non-numeric cells by row
      copied.set(iv.column, col);
      out[iv.column] = col;
    }
    const apply = (i: number): void => {
      const before = col[i]!;
      const after = iv.operation === "scale" ? before * iv.value : iv.operation === "add" ? before + iv.value : iv.value;
      if (!Number.isFinite(after) && !Number.isNaN(before)) {
        throw new EstimationError("INVALID_INPUT", `${where}: column "${iv.column}" overflows at row ${i}`, {
          column: iv.column,
          rows: [i],
        });
      }
      col[i] = after;
    };
    if (rows === null) for (let i = 0; i < n; i++) apply(i);
    else for (const i of new Set(rows)) apply(i);
  });
  if (opts.exposure !== undefined) {
    const col = copied.get(opts.exposure);
    if (col !== undefined) {
      const bad: number[] = [];
      for (let i = 0; i < n; i++) if (col[i]! <= 0) bad.push(i);
      if (bad.length > 0) {
        throw new EstimationError(
          "INVALID_INPUT",
          `interventions make exposure column "${opts.exposure}" <= 0 at rows ${formatRows(bad)}`,
          { column: opts.exposure, rows: bad },
        );
      }
    }
  }
  return out;
}

/**
 * Expected counts under a baseline and a counterfactual table (same rows, e.g. after
 * applyInterventions), per row and in total, with their difference and its uncertainty, and per
 * row P(Y >= 1) with its uncertainty:
 *
 * - "delta": Var = g' V g with g the gradient wrt beta (row i: mu_i x_i; totals: sums;
 *   differences: differences) and V the fit's covariance. Per-row baseline/scenario intervals use
 *   the link scale, exp(eta +- z se_eta), as predict(); totals and differences are estimate +- z se.
 *   P(Y >= 1) uses the gradient wrt (beta, alpha) and V of (beta, alpha) (see alphaCovariance);
 *   its interval is on the logit scale so it stays inside (0, 1).
 * - "simulation": (beta, log alpha) drawn from their normal sampling distribution with a seeded
 *   RNG; every estimate is the point estimate at the MLE, stdError the sd of the draws, the
 *   interval the percentile interval. Expected counts do not depend on alpha; only P(Y >= 1) does.
 *   log alpha (not alpha) is drawn so every draw is a valid alpha > 0; its variance is
 *   (se_alpha / alpha)^2 by the delta method.
 */
export function simulateScenario(fit: FitResult, baseline: Table, scenario: Table, opts: ScenarioOptions): ScenarioOutcome {
  const level = opts.level ?? 0.95;
  const z = criticalValue(level);
  if (opts.method !== "delta" && opts.method !== "simulation") {
    throw new EstimationError("INVALID_INPUT", `method must be "delta" or "simulation", got "${String(opts.method)}"`);
  }
  const nb = rowCount(baseline);
  const ns = rowCount(scenario);
  if (nb !== ns) {
    throw new EstimationError("INVALID_INPUT", `baseline has ${nb} rows but scenario has ${ns}; they must describe the same rows`);
  }
  const b = predictionDesign(fit, baseline);
  const s = predictionDesign(fit, scenario);
  const alpha = fittedAlpha(fit);
  const params = alphaCovariance(fit, b, alpha);
  const muB = means(b, b.beta);
  const muS = means(s, s.beta);

  if (opts.method === "delta") return deltaOutcome(b, s, muB, muS, alpha, params, level, z);

  const draws = opts.draws ?? DEFAULT_DRAWS;
  if (!Number.isInteger(draws) || draws < 2 || draws > MAX_DRAWS) {
    throw new EstimationError("INVALID_INPUT", `draws must be an integer from 2 to ${MAX_DRAWS}, got ${draws}`);
  }
  const seed = opts.seed ?? 1;
  if (!Number.isSafeInteger(seed)) {
    throw new EstimationError("INVALID_INPUT", `seed must be an integer, got ${seed}`);
  }
  return simulationOutcome(b, s, muB, muS, alpha, params, level, draws, seed);
}

/**
 * Covariance of (estimable betas, alpha) on the alpha scale, (p+1) x (p+1), or null when alpha
 * carries no uncertainty (Poisson, alpha at the boundary, alpha = 0 or no finite alphaStdError).
 *
 * - seType "oim" with a joint covariance that has alpha: that matrix (the inverse observed
 *   information of (beta, alpha)), so the beta-alpha covariance the data imply is used.
 * - otherwise (expected, hc0, hc1, cluster): the fit's beta covariance and alphaStdError^2 with zero
 *   covariance between them. These beta covariances are defined for beta alone (Fisher information
 *   at fixed alpha, or a sandwich around it) and have no alpha row to pair with; mixing in the OIM
 *   cross-covariance would pair two different estimators. Zero is also the right asymptotic value
 *   for a correctly specified NB2: its expected information is block diagonal between beta and
 *   alpha (E[d2 l / d beta d alpha] = 0), so beta-hat and alpha-hat are asymptotically independent.
 */
export function alphaCovariance(
  fit: FitResult,
  d: PredictionDesign,
  alpha: number,
): { kind: AlphaUncertainty; v: number[][] | null } {
  const se = fit.alphaStdError;
  if (!(alpha > 0) || se === null || !(se > 0) || !Number.isFinite(se)) return { kind: "none", v: null };
  const p = d.p;
  const joint = fit.jointCovariance;
  const usable =
    fit.spec.seType === "oim" &&
    joint.hasAlpha &&
    joint.terms.length === p + 1 &&
    joint.terms[p] === "alpha" &&
    d.terms.every((t, k) => joint.terms[k] === t) &&
    joint.matrix.length === p + 1 &&
    joint.matrix.every((row) => row.length === p + 1 && row.every(Number.isFinite)) &&
    joint.matrix[p]![p]! > 0;
  if (usable) return { kind: "joint", v: joint.matrix.map((row) => [...row]) };
  const v: number[][] = [];
  for (let i = 0; i < p; i++) v.push([...d.covariance[i]!, 0]);
  v.push([...new Array<number>(p).fill(0), se * se]);
  return { kind: "independent", v };
}

function means(d: PredictionDesign, beta: Float64Array): Float64Array {
  const mu = new Float64Array(d.n);
  for (let i = 0; i < d.n; i++) {
    const base = i * d.p;
    let eta = d.offset[i]!;
    for (let k = 0; k < d.p; k++) eta += d.x[base + k]! * beta[k]!;
    mu[i] = Math.exp(eta);
  }
  return mu;
}

function symmetric(estimate: number, variance: number, z: number): Estimate {
  const se = Math.sqrt(Math.max(variance, 0));
  return { estimate, stdError: se, lower: estimate - z * se, upper: estimate + z * se };
}

function gradientVariance(g: Float64Array, v: readonly (readonly number[])[]): number {
  return quadraticForm(g, 0, g.length, v);
}

/**
 * P(Y = 0) and the derivatives of P(Y >= 1) = 1 - P(Y = 0) wrt mu and alpha:
 * P0 = (1 + a mu)^(-1/a) (Poisson: exp(-mu)); dP/dmu = P0 / (1 + a mu);
 * dP/da = -P0 [log(1 + a mu) - a mu / (1 + a mu)] / a^2 (more overdispersion, more zeros).
 */
export function probAtLeastOneDerivatives(mu: number, alpha: number): { p0: number; dMu: number; dAlpha: number } {
  if (alpha === 0) {
    const p0 = Math.exp(-mu);
    return { p0, dMu: p0, dAlpha: 0 };
  }
  const u = alpha * mu;
  const p0 = Math.exp(-Math.log1p(u) / alpha);
  return { p0, dMu: p0 / (1 + u), dAlpha: (-p0 * log1pMinusRatio(u)) / (alpha * alpha) };
}

/**
 * log(1 + u) - u / (1 + u) for u >= 0, without cancellation for small u: the series
 * sum_{k>=2} (-1)^k (k - 1)/k u^k (terms to u^9; the first omitted is below 1e-20 of the sum at u < 0.01).
 */
function log1pMinusRatio(u: number): number {
  if (u >= 0.01) return Math.log1p(u) - u / (1 + u);
  let term = u;
  let sum = 0;
  for (let k = 2; k <= 9; k++) {
    term *= -u;
    sum -= ((k - 1) / k) * term;
  }
  return sum;
}

/** Delta-method estimate of P(Y >= 1) for one row, interval on the logit scale. */
function probEstimate(
  design: PredictionDesign,
  base: number,
  mu: number,
  alpha: number,
  params: { v: number[][] | null },
  g: Float64Array,
  z: number,
): Estimate {
  const p = design.p;
  const { p0, dMu, dAlpha } = probAtLeastOneDerivatives(mu, alpha);
  const prob = probAtLeastOne(mu, alpha);
  for (let k = 0; k < p; k++) g[k] = dMu * mu * design.x[base + k]!;
  let variance: number;
  if (params.v === null) variance = quadraticForm(g, 0, p, design.covariance);
  else {
    g[p] = dAlpha;
    variance = quadraticForm(g, 0, p + 1, params.v);
  }
  const se = Math.sqrt(Math.max(variance, 0));
  if (!(prob > 0 && p0 > 0) || se === 0) return { estimate: prob, stdError: se, lower: prob, upper: prob };
  // logit(P) = log(P) - log(P0); d logit / dP = 1 / (P P0).
  const logit = Math.log(prob) - Math.log(p0);
  const seLogit = se / (prob * p0);
  return { estimate: prob, stdError: se, lower: expit(logit - z * seLogit), upper: expit(logit + z * seLogit) };
}

function expit(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

function deltaOutcome(
  b: PredictionDesign,
  s: PredictionDesign,
  muB: Float64Array,
  muS: Float64Array,
  alpha: number,
  params: { kind: AlphaUncertainty; v: number[][] | null },
  level: number,
  z: number,
): ScenarioOutcome {
  const { n, p, covariance: v } = b;
  const gB = new Float64Array(p);
  const gS = new Float64Array(p);
  const gRow = new Float64Array(p);
  const gProb = new Float64Array(p + 1);
  const rows: ScenarioRow[] = [];
  let totalB = 0;
  let totalS = 0;
  for (let i = 0; i < n; i++) {
    const base = i * p;
    const mb = muB[i]!;
    const ms = muS[i]!;
    totalB += mb;
    totalS += ms;
    for (let k = 0; k < p; k++) {
      const xb = b.x[base + k]!;
      const xs = s.x[base + k]!;
      gB[k] = gB[k]! + mb * xb;
      gS[k] = gS[k]! + ms * xs;
      gRow[k] = ms * xs - mb * xb;
    }
    rows.push({
      baseline: logScale(mb, quadraticForm(b.x, base, p, v), z),
      scenario: logScale(ms, quadraticForm(s.x, base, p, v), z),
      difference: symmetric(ms - mb, gradientVariance(gRow, v), z),
      probAtLeastOneBaseline: probAtLeastOne(mb, alpha),
      probAtLeastOneScenario: probAtLeastOne(ms, alpha),
      probAtLeastOneBaselineEstimate: probEstimate(b, base, mb, alpha, params, gProb, z),
      probAtLeastOneScenarioEstimate: probEstimate(s, base, ms, alpha, params, gProb, z),
    });
  }
  const gD = new Float64Array(p);
  for (let k = 0; k < p; k++) gD[k] = gS[k]! - gB[k]!;
  return {
    method: "delta",
    level,
    draws: null,
    seed: null,
    baselineTotal: symmetric(totalB, gradientVariance(gB, v), z),
    scenarioTotal: symmetric(totalS, gradientVariance(gS, v), z),
    difference: symmetric(totalS - totalB, gradientVariance(gD, v), z),
    rows,
    alphaUncertainty: params.kind,
  };
}

/** A per-row mean with the link-scale interval, as predict(). */
function logScale(mu: number, varEta: number, z: number): Estimate {
  const seEta = Math.sqrt(Math.max(varEta, 0));
  return { estimate: mu, stdError: mu * seEta, lower: mu * Math.exp(-z * seEta), upper: mu * Math.exp(z * seEta) };
}

/**
 * Draws of beta (draws x p) and alpha (draws). Without alpha uncertainty beta comes from
 * MVN(beta-hat, V) and alpha is fixed. With it, (beta, log alpha) is drawn from MVN with the
 * alpha row and column of `params.v` moved to the log scale (delta method: cov(beta, log a) =
 * cov(beta, a)/a, var(log a) = var(a)/a^2). The standard normals are consumed as all beta ones
 * first (p per draw), then one per draw for alpha, so with a Cholesky factor (lower triangular)
 * the beta draws are exactly those a beta-only simulation with the same seed gives.
 */
export function drawParameters(
  rng: Rng,
  b: PredictionDesign,
  alpha: number,
  params: { v: number[][] | null },
  draws: number,
): { betas: Float64Array; alphas: Float64Array } {
  const p = b.p;
  const betas = new Float64Array(draws * p);
  const alphas = new Float64Array(draws).fill(alpha);
  if (params.v === null) {
    const drawBeta = multivariateNormal(rng, Array.from(b.beta), b.covariance);
    for (let d = 0; d < draws; d++) drawBeta(betas.subarray(d * p, (d + 1) * p));
    return { betas, alphas };
  }
  const q = p + 1;
  const logCov = params.v.map((row, i) => row.map((value, j) => value / (i === p ? alpha : 1) / (j === p ? alpha : 1)));
  const factor = covarianceFactor(logCov);
  const zs = new Float64Array(draws * q);
  for (let d = 0; d < draws; d++) for (let k = 0; k < p; k++) zs[d * q + k] = rng.normal();
  for (let d = 0; d < draws; d++) zs[d * q + p] = rng.normal();
  const logAlpha = Math.log(alpha);
  for (let d = 0; d < draws; d++) {
    const zd = d * q;
    // Accumulated as multivariateNormal does (mean first), so the beta draws match it bit for bit.
    for (let i = 0; i < q; i++) {
      let value = i < p ? b.beta[i]! : logAlpha;
      for (let k = 0; k < q; k++) value += factor[i * q + k]! * zs[zd + k]!;
      if (i < p) betas[d * p + i] = value;
      else alphas[d] = Math.exp(value);
    }
  }
  return { betas, alphas };
}

function simulationOutcome(
  b: PredictionDesign,
  s: PredictionDesign,
  muB: Float64Array,
  muS: Float64Array,
  alpha: number,
  params: { kind: AlphaUncertainty; v: number[][] | null },
  level: number,
  draws: number,
  seed: number,
): ScenarioOutcome {
  const { n, p } = b;
  const rng = createRng(seed);
  // All draws up front (draws x (p + 1), small); rows are then processed one at a time so
  // memory stays O(draws) whatever the number of rows.
  const { betas, alphas } = drawParameters(rng, b, alpha, params, draws);

  const summarise = (estimate: number, values: Float64Array): Estimate => summariseDraws(estimate, values, level);

  const totalB = new Float64Array(draws);
  const totalS = new Float64Array(draws);
  const rowB = new Float64Array(draws);
  const rowS = new Float64Array(draws);
  const rowD = new Float64Array(draws);
  const probB = new Float64Array(draws);
  const probS = new Float64Array(draws);
  const rows: ScenarioRow[] = [];
  let pointB = 0;
  let pointS = 0;
  for (let i = 0; i < n; i++) {
    const base = i * p;
    const ob = b.offset[i]!;
    const os = s.offset[i]!;
    for (let d = 0; d < draws; d++) {
      const bd = d * p;
      let etaB = ob;
      let etaS = os;
      for (let k = 0; k < p; k++) {
        const beta = betas[bd + k]!;
        etaB += b.x[base + k]! * beta;
        etaS += s.x[base + k]! * beta;
      }
      const mb = Math.exp(etaB);
      const ms = Math.exp(etaS);
      rowB[d] = mb;
      rowS[d] = ms;
      rowD[d] = ms - mb;
      probB[d] = probAtLeastOne(mb, alphas[d]!);
      probS[d] = probAtLeastOne(ms, alphas[d]!);
      totalB[d] = totalB[d]! + mb;
      totalS[d] = totalS[d]! + ms;
    }
    const mb = muB[i]!;
    const ms = muS[i]!;
    pointB += mb;
    pointS += ms;
    const pb = probAtLeastOne(mb, alpha);
    const ps = probAtLeastOne(ms, alpha);
    rows.push({
      baseline: summarise(mb, rowB),
      scenario: summarise(ms, rowS),
      difference: summarise(ms - mb, rowD),
      probAtLeastOneBaseline: pb,
      probAtLeastOneScenario: ps,
      probAtLeastOneBaselineEstimate: summarise(pb, probB),
      probAtLeastOneScenarioEstimate: summarise(ps, probS),
    });
  }
  const totalD = new Float64Array(draws);
  for (let d = 0; d < draws; d++) totalD[d] = totalS[d]! - totalB[d]!;
  return {
    method: "simulation",
    level,
    draws,
    seed,
    baselineTotal: summarise(pointB, totalB),
    scenarioTotal: summarise(pointS, totalS),
    difference: summarise(pointS - pointB, totalD),
    rows,
    alphaUncertainty: params.kind,
  };
}

/**
 * An estimate with the sd of its draws and their percentile interval at `level` (type-7
 * quantiles). Sorts `values` in place.
 */
export function summariseDraws(estimate: number, values: Float64Array, level: number): Estimate {
  const sd = sampleSd(values);
  values.sort();
  return { estimate, stdError: sd, lower: quantile(values, (1 - level) / 2), upper: quantile(values, (1 + level) / 2) };
}

function sampleSd(values: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i]!;
  mean /= values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / (values.length - 1));
}

/** Quantile of sorted values with linear interpolation (R's default, type 7). */
export function quantile(sorted: Float64Array, prob: number): number {
  const h = (sorted.length - 1) * prob;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Largest rows x draws of predictiveIntervals (8 bytes each: 160 MB). */
export const MAX_PREDICTIVE_CELLS = 20_000_000;

export interface PredictiveOptions {
  /** Default 1000. */
  draws?: number;
  /** Default 1. */
  seed?: number;
  /** Default 0.95. */
  level?: number;
}

export interface PredictiveOutcome {
  level: number;
  draws: number;
  seed: number;
  /** Per row: estimate = expected count at the MLE; stdError, lower, upper of the predicted COUNT. */
  rows: Estimate[];
  /** The same for the sum of the rows' counts. */
  total: Estimate;
}

/**
 * Predictive intervals for the counts themselves, not for their expected values: each draw takes
 * (beta, alpha) from their sampling distribution (as the simulation what-if does) and then a count
 * per row from the model (NB2 with the drawn alpha, or Poisson), so the interval holds both
 * parameter uncertainty and the counts' own randomness. Intervals are percentile intervals of the
 * drawn counts (type-7 quantiles; counts are whole numbers, so bounds may be fractional and a
 * row's coverage is at least the level because of the discreteness); the total's interval is of
 * the sum over rows within each draw. Seeded: the same seed gives the same numbers.
 */
export function predictiveIntervals(fit: FitResult, data: Table, opts: PredictiveOptions = {}): PredictiveOutcome {
  const level = opts.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new EstimationError("INVALID_INPUT", `level must be between 0 and 1, got ${level}`);
  const draws = opts.draws ?? DEFAULT_DRAWS;
  if (!Number.isInteger(draws) || draws < 2 || draws > MAX_DRAWS) {
    throw new EstimationError("INVALID_INPUT", `draws must be an integer from 2 to ${MAX_DRAWS}, got ${draws}`);
  }
  const seed = opts.seed ?? 1;
  const rng = createRng(seed);
  const d = predictionDesign(fit, data);
  if (d.n * draws > MAX_PREDICTIVE_CELLS) {
    throw new EstimationError(
      "INVALID_INPUT",
      `predictive intervals keep rows x draws counts: ${d.n} rows x ${draws} draws is more than ${MAX_PREDICTIVE_CELLS}; use fewer draws or rows`,
    );
  }
  const alpha = fittedAlpha(fit);
  const params = alphaCovariance(fit, d, alpha);
  const { betas, alphas } = drawParameters(rng, d, alpha, params, draws);
  const mu = means(d, d.beta);
  const { n, p } = d;
  const summarise = (estimate: number, values: Float64Array): Estimate => summariseDraws(estimate, values, level);
  // The total needs every row of a draw, and each row's interval all its draws: n x draws counts.
  const counts = new Float64Array(n * draws);
  const total = new Float64Array(draws);
  for (let k = 0; k < draws; k++) {
    const bd = k * p;
    const a = alphas[k]!;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let eta = d.offset[i]!;
      for (let j = 0; j < p; j++) eta += d.x[i * p + j]! * betas[bd + j]!;
      const y = a > 0 ? rng.negBin2(Math.exp(eta), a) : rng.poisson(Math.exp(eta));
      counts[i * draws + k] = y;
      sum += y;
    }
    total[k] = sum;
  }
  const rows: Estimate[] = [];
  let pointTotal = 0;
  for (let i = 0; i < n; i++) {
    rows.push(summarise(mu[i]!, counts.subarray(i * draws, (i + 1) * draws)));
    pointTotal += mu[i]!;
  }
  return { level, draws, seed, rows, total: summarise(pointTotal, total) };
}
