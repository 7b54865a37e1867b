/**
 * The inverse what-if: which SCALE factor (or ADD amount) of an indicator, over chosen units, makes
 * the projected outcome total of the horizon year reach a target (a level, or an increase over the
 * baseline)? Solved on the mean-field projection by bracketing from the no-change value towards the
 * bound on the side where the total moves to the target, then bisection to full precision; an
 * interval comes from re-solving for draws of (beta, alpha) (percentiles over the draws that can
 * reach it, and how many cannot).
 *
 * A target is unreachable when the total at the domain bound on the right side still falls short
 * (e.g. a negative coefficient and a target above the baseline, or a cap on the factor): the answer
 * says so with the best total the indicator's domain allows, instead of a number.
 */
import { EstimationError } from "../errors.js";
import { predictionDesign } from "../predict.js";
import { createRng } from "../rng.js";
import { alphaCovariance, drawParameters, quantile } from "../scenario.js";
import type { Estimate, FitResult, Table } from "../types.js";
import { allocationObjective } from "./budget.js";
import type { PeerGraph } from "./peer-graph.js";

export interface TargetProblem {
  fit: FitResult;
  graph: PeerGraph;
  horizon: number;
  previousOutcome: ArrayLike<number>;
  /** Covariates of year b + t with the intervention at strength `value` (1 = no change for SCALE, 0 for ADD). */
  covariates: (t: number, value: number) => Table;
  /** The value that changes nothing. */
  neutral: number;
  /** The values the indicator's domain allows, e.g. [0, Infinity) for SCALE of a nonnegative indicator. */
  bounds: [number, number];
  /** The horizon year's total to reach: as a level, or as an increase over the baseline. */
  target: { total: number } | { increase: number };
}

export interface TargetSolution {
  reachable: boolean;
  /** The solving value (null when unreachable). */
  value: number | null;
  /** The baseline total of the horizon year and the total the target asks for. */
  baselineTotal: number;
  targetTotal: number;
  /** The total at the domain bound on the side of the target (the best possible) when unreachable. */
  bestTotal: number | null;
  message: string;
}

function totalAt(problem: TargetProblem, fit: FitResult, value: number): number {
  const n = problem.graph.units.length;
  return allocationObjective(
    { fit, graph: problem.graph, horizon: problem.horizon, previousOutcome: problem.previousOutcome, objective: "horizon", covariates: (t) => problem.covariates(t, value) },
    new Float64Array(n),
  ).value;
}

export function solveTarget(problem: TargetProblem, fit: FitResult = problem.fit): TargetSolution {
  const [lo, hi] = problem.bounds;
  const v0 = problem.neutral;
  if (!(lo <= v0 && v0 <= hi)) throw new EstimationError("INVALID_INPUT", `the no-change value ${v0} is outside the bounds [${lo}, ${hi}]`);
  const baselineTotal = totalAt(problem, fit, v0);
  const targetTotal = "total" in problem.target ? problem.target.total : baselineTotal + problem.target.increase;
  if (!Number.isFinite(targetTotal)) throw new EstimationError("INVALID_INPUT", `the target must be a finite number, got ${targetTotal}`, { column: "target" });
  const f = (v: number) => totalAt(problem, fit, v) - targetTotal;
  const f0 = baselineTotal - targetTotal;
  if (f0 === 0) return { reachable: true, value: v0, baselineTotal, targetTotal, bestTotal: null, message: "the baseline already meets the target" };
  // Which way does the total move as the value grows? Probe a small step inside the bounds.
  const step = Math.max(1e-6, Math.abs(v0) * 1e-3);
  const probe = Math.min(hi, v0 + step) > v0 ? Math.min(hi, v0 + step) : Math.max(lo, v0 - step);
  const slope = (f(probe) - f0) / (probe - v0);
  if (slope === 0) {
    return { reachable: false, value: null, baselineTotal, targetTotal, bestTotal: baselineTotal, message: "the total does not respond to this indicator in these units (coefficient 0)" };
  }
  // Move up if that brings f towards 0.
  const up = (f0 < 0) === (slope > 0);
  const bound = up ? hi : lo;
  let inner = v0;
  let outer = v0;
  let width = Math.max(step, up ? Math.abs(v0) * 0.1 || 0.1 : Math.abs(v0) * 0.1 || 0.1);
  let fOuter = f0;
  for (let k = 0; k < 200; k++) {
    const next = up ? Math.min(bound, inner + width) : Math.max(bound, inner - width);
    const fn = f(next);
    if (Number.isNaN(fn)) {
      // Overflowed into NaN (an infinite mean meeting a zero): step more carefully.
      width /= 4;
      if (width < 1e-12 * Math.max(1, Math.abs(inner))) break;
      continue;
    }
    outer = next;
    fOuter = fn;
    if (Math.sign(fn) !== Math.sign(f0)) break;
    inner = next;
    if (next === bound) break;
    width *= 2;
  }
  if (Math.sign(fOuter) === Math.sign(f0) || Number.isNaN(fOuter)) {
    const bestTotal = Number.isFinite(fOuter) ? fOuter + targetTotal : null;
    return {
      reachable: false,
      value: null,
      baselineTotal,
      targetTotal,
      bestTotal,
      message:
        `the target ${targetTotal.toPrecision(6)} cannot be reached within [${lo}, ${hi}]: ` +
        (bound === v0
          ? `with this coefficient's sign it needs ${up ? "raising" : "lowering"} the indicator, which the bounds do not allow`
          : bestTotal === null
            ? "the projection overflows first"
            : `the best the bounds allow is ${bestTotal.toPrecision(6)}`),
    };
  }
  let a = inner;
  let b = outer;
  const fa = Math.sign(f0); // the inner end keeps the baseline's side
  for (let k = 0; k < 200 && Math.abs(b - a) > 1e-14 * Math.max(1, Math.abs(a)); k++) {
    const m = 0.5 * (a + b);
    const fm = f(m); // +-Infinity past an overflow still has the right sign
    if (fm === 0) {
      a = b = m;
      break;
    }
    if (Math.sign(fm) === fa) a = m;
    else b = m;
  }
  const value = 0.5 * (a + b);
  return { reachable: true, value, baselineTotal, targetTotal, bestTotal: null, message: "reachable" };
}

/** solveTarget at the estimates, and over parameter draws for an interval. */
export function solveTargetWithUncertainty(
  problem: TargetProblem,
  opts: { draws?: number; seed?: number; level?: number } = {},
): { solution: TargetSolution; value: Estimate | null; unreachableDraws: number; draws: number } {
  const solution = solveTarget(problem);
  const draws = opts.draws ?? 200;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(draws) || draws < 2 || draws > 10_000) throw new EstimationError("INVALID_INPUT", `draws must be an integer from 2 to 10000, got ${draws}`, { column: "draws" });
  if (!solution.reachable) return { solution, value: null, unreachableDraws: draws, draws };
  const rng = createRng(opts.seed ?? 1);
  const prevTable = problem.covariates(0, problem.neutral);
  // Only beta matters for the mean field; the design of year 0 fixes the estimable terms.
  const fit = problem.fit;
  const peersZero: Table = Object.fromEntries(fit.covariance.terms.filter((t) => t.startsWith("peer_")).map((t) => [t, new Float64Array(problem.graph.units.length)]));
  const d = predictionDesign(fit, { ...prevTable, ...peersZero });
  const { betas } = drawParameters(rng, d, 0, alphaCovariance(fit, d, 0), draws);
  const values: number[] = [];
  for (let k = 0; k < draws; k++) {
    const beta = betas.subarray(k * d.p, (k + 1) * d.p);
    const drawn: FitResult = {
      ...fit,
      coefficients: fit.coefficients.map((c) => {
        const j = d.terms.indexOf(c.term);
        return j < 0 ? c : { ...c, estimate: beta[j]! };
      }),
    };
    const s = solveTarget(problem, drawn);
    if (s.reachable && s.value !== null) values.push(s.value);
  }
  const sorted = Float64Array.from(values).sort();
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, values.length - 1));
  const value: Estimate = {
    estimate: solution.value!,
    stdError: sd,
    lower: values.length > 1 ? quantile(sorted, (1 - level) / 2) : solution.value!,
    upper: values.length > 1 ? quantile(sorted, (1 + level) / 2) : solution.value!,
  };
  return { solution, value, unreachableDraws: draws - values.length, draws };
}
