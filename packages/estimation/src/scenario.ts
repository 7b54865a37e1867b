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
import { createRng, multivariateNormal } from "./rng.js";
import type { Estimate, FitResult, Intervention, ScenarioOptions, ScenarioOutcome, ScenarioRow, Table } from "./types.js";

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
 * applyInterventions), per row and in total, with their difference and its uncertainty:
 *
 * - "delta": Var = g' V g with g the gradient wrt beta (row i: mu_i x_i; totals: sums;
 *   differences: differences) and V the fit's covariance. Per-row baseline/scenario intervals use
 *   the link scale, exp(eta +- z se_eta), as predict(); totals and differences are estimate +- z se.
 * - "simulation": beta drawn from MVN(beta_hat, V) with a seeded RNG; the estimate is the point
 *   estimate at beta_hat, stdError the sd of the draws, the interval the percentile interval.
 *   Expected counts do not depend on alpha and P(Y >= 1) is reported at the point estimate, so
 *   alpha is not drawn.
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
  const muB = means(b, b.beta);
  const muS = means(s, s.beta);

  if (opts.method === "delta") return deltaOutcome(b, s, muB, muS, alpha, level, z);

  const draws = opts.draws ?? DEFAULT_DRAWS;
  if (!Number.isInteger(draws) || draws < 2 || draws > MAX_DRAWS) {
    throw new EstimationError("INVALID_INPUT", `draws must be an integer from 2 to ${MAX_DRAWS}, got ${draws}`);
  }
  const seed = opts.seed ?? 1;
  if (!Number.isSafeInteger(seed)) {
    throw new EstimationError("INVALID_INPUT", `seed must be an integer, got ${seed}`);
  }
  return simulationOutcome(b, s, muB, muS, alpha, level, draws, seed);
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

function deltaOutcome(
  b: PredictionDesign,
  s: PredictionDesign,
  muB: Float64Array,
  muS: Float64Array,
  alpha: number,
  level: number,
  z: number,
): ScenarioOutcome {
  const { n, p, covariance: v } = b;
  const gB = new Float64Array(p);
  const gS = new Float64Array(p);
  const gRow = new Float64Array(p);
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
  };
}

/** A per-row mean with the link-scale interval, as predict(). */
function logScale(mu: number, varEta: number, z: number): Estimate {
  const seEta = Math.sqrt(Math.max(varEta, 0));
  return { estimate: mu, stdError: mu * seEta, lower: mu * Math.exp(-z * seEta), upper: mu * Math.exp(z * seEta) };
}

function simulationOutcome(
  b: PredictionDesign,
  s: PredictionDesign,
  muB: Float64Array,
  muS: Float64Array,
  alpha: number,
  level: number,
  draws: number,
  seed: number,
): ScenarioOutcome {
  const { n, p } = b;
  const rng = createRng(seed);
  const drawBeta = multivariateNormal(rng, Array.from(b.beta), b.covariance);
  // All draws of beta up front (draws x p, small); rows are then processed one at a time so
  // memory stays O(draws) whatever the number of rows.
  const betas = new Float64Array(draws * p);
  for (let d = 0; d < draws; d++) drawBeta(betas.subarray(d * p, (d + 1) * p));

  const lowerProb = (1 - level) / 2;
  const upperProb = (1 + level) / 2;
  const summarise = (estimate: number, values: Float64Array): Estimate => {
    const sd = sampleSd(values);
    values.sort();
    return { estimate, stdError: sd, lower: quantile(values, lowerProb), upper: quantile(values, upperProb) };
  };

  const totalB = new Float64Array(draws);
  const totalS = new Float64Array(draws);
  const rowB = new Float64Array(draws);
  const rowS = new Float64Array(draws);
  const rowD = new Float64Array(draws);
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
      totalB[d] = totalB[d]! + mb;
      totalS[d] = totalS[d]! + ms;
    }
    const mb = muB[i]!;
    const ms = muS[i]!;
    pointB += mb;
    pointS += ms;
    rows.push({
      baseline: summarise(mb, rowB),
      scenario: summarise(ms, rowS),
      difference: summarise(ms - mb, rowD),
      probAtLeastOneBaseline: probAtLeastOne(mb, alpha),
      probAtLeastOneScenario: probAtLeastOne(ms, alpha),
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
  };
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
