/**
 * Where does money do the most? A budget in the unit of one indicator (added with ADD to eligible
 * units, within per-unit caps) is allocated to maximise the expected outcome — in the horizon year,
 * or summed over the years — INCLUDING spillovers: the objective is the mean-field projection, so a
 * unit whose neighbours and siblings follow it is worth more than its own coefficient says.
 *
 * Method: greedy marginal steps. The budget is cut into `increments` equal parts; each goes to the
 * eligible unit whose next part raises the objective most, judged by the exact gradient of the
 * objective with respect to every unit's amount (one forward pass of the projection and one
 * backward (adjoint) pass through the peer recursion, instead of one projection per unit). The
 * test checks it against greedy steps that evaluate every candidate by a full projection.
 *
 * The gradient of eta with respect to a unit's amount is taken from the model's design by a
 * central difference of all units at once (each unit's eta depends only on its own covariates), so
 * transformed terms (log, powers, interactions) are handled without special cases.
 */
import { rowCount } from "../columns.js";
import { EstimationError } from "../errors.js";
import { estimableCoefficients, predictionDesign, type PredictionDesign } from "../predict.js";
import type { FitResult, Table } from "../types.js";
import { isPeerTerm, peerTerm, peerWeights, type PeerGraph, type PeerTerm } from "./peer-graph.js";

export interface AllocationProblem {
  fit: FitResult;
  graph: PeerGraph;
  horizon: number;
  /** Observed outcome of year b - 1 per unit (NaN = unknown). */
  previousOutcome: ArrayLike<number>;
  /** Covariates of year b + t with `amounts` (one per unit, graph order) added to the indicator. */
  covariates: (t: number, amounts: Float64Array) => Table;
  /** "horizon": expected outcome total in year b + horizon; "cumulative": summed over b..b+horizon. */
  objective: "horizon" | "cumulative";
}

/** The expected objective at `amounts` (mean field), with the per-year totals. */
export function allocationObjective(problem: AllocationProblem, amounts: Float64Array): { value: number; totals: Float64Array } {
  const { mus } = forward(problem, amounts, problem.fit);
  const totals = Float64Array.from(mus, (m) => m.reduce((a, b) => a + b, 0));
  const value = problem.objective === "horizon" ? totals[problem.horizon]! : totals.reduce((a, b) => a + b, 0);
  return { value, totals };
}

function peerTable(graph: PeerGraph, peers: PeerTerm[], prev: ArrayLike<number>): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const k of peers) out[k] = peerTerm(graph, k, prev);
  return out;
}

function etaOf(d: PredictionDesign): Float64Array {
  const { n, p, x, offset, beta } = d;
  const eta = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = offset[i]!;
    for (let k = 0; k < p; k++) s += x[i * p + k]! * beta[k]!;
    eta[i] = s;
  }
  return eta;
}

function forward(problem: AllocationProblem, amounts: Float64Array, fit: FitResult): { mus: Float64Array[]; peers: PeerTerm[] } {
  const n = problem.graph.units.length;
  const peers = estimableCoefficients(fit).terms.filter(isPeerTerm);
  const mus: Float64Array[] = [];
  let prev: ArrayLike<number> = problem.previousOutcome;
  for (let t = 0; t <= problem.horizon; t++) {
    const cov = problem.covariates(t, amounts);
    if (rowCount(cov) !== n) throw new EstimationError("INVALID_INPUT", `covariates of year ${t} have ${rowCount(cov)} rows for ${n} units`);
    const d = predictionDesign(fit, { ...cov, ...peerTable(problem.graph, peers, prev) });
    const mu = etaOf(d).map(Math.exp);
    mus.push(mu);
    prev = mu;
  }
  return { mus, peers };
}

/** d objective / d amount_i for every unit (forward pass, then the adjoint pass through the peer terms). */
export function allocationGradient(problem: AllocationProblem, amounts: Float64Array, fit: FitResult = problem.fit): Float64Array {
  const n = problem.graph.units.length;
  const { mus, peers } = forward(problem, amounts, fit);
  const { terms, beta } = estimableCoefficients(fit);
  const known = Array.from({ length: n }, () => true);
  const maps = peers.map((k) => ({ b: beta[terms.indexOf(k)]!, ...peerWeights(problem.graph, k, known) }));
  // d eta_t / d amount_i (own covariates only): central difference of all units at once.
  const h = 1e-4 * Math.max(1, ...Array.from(amounts, Math.abs));
  const up = Float64Array.from(amounts, (a) => a + h);
  const down = Float64Array.from(amounts, (a) => a - h);
  const grad = new Float64Array(n);
  let lambda = new Float64Array(n); // d J / d mu_t
  for (let t = problem.horizon; t >= 0; t--) {
    if (problem.objective === "cumulative" || t === problem.horizon) for (let i = 0; i < n; i++) lambda[i]! += 1;
    const mu = mus[t]!;
    const gEta = Float64Array.from(lambda, (l, i) => l * mu[i]!); // d J / d eta_t
    const prev = t === 0 ? problem.previousOutcome : mus[t - 1]!;
    const peerCols = peerTable(problem.graph, peers, prev);
    const etaUp = etaOf(predictionDesign(fit, { ...problem.covariates(t, up), ...peerCols }));
    const etaDown = etaOf(predictionDesign(fit, { ...problem.covariates(t, down), ...peerCols }));
    for (let i = 0; i < n; i++) grad[i]! += gEta[i]! * ((etaUp[i]! - etaDown[i]!) / (2 * h));
    // Through the peer terms of year t into mu_{t-1}.
    const next = new Float64Array(n);
    if (t > 0) {
      for (const m of maps) {
        if (m.b === 0) continue;
        for (let i = 0; i < n; i++) {
          const r = m.row[i]!;
          const w = m.weight[i]!;
          const gi = gEta[i]! * m.b;
          for (let q = 0; q < r.length; q++) next[r[q]!]! += gi * w[q]!;
        }
      }
    }
    lambda = next;
  }
  return grad;
}

export interface AllocationOptions {
  budget: number;
  increments: number;
  /** Per unit: may it receive money. */
  eligible: ArrayLike<boolean>;
  /** Per unit: the most it may receive (Infinity = no cap). */
  caps: ArrayLike<number>;
}

/** Greedy allocation by gradient: each increment to the eligible unit with the largest marginal gain. */
export function allocateBudget(problem: AllocationProblem, opts: AllocationOptions, fit: FitResult = problem.fit): Float64Array {
  const n = problem.graph.units.length;
  const { budget, increments } = opts;
  if (!(budget > 0) || !Number.isFinite(budget)) throw new EstimationError("INVALID_INPUT", `budget must be a positive number, got ${budget}`, { column: "budget" });
  if (!Number.isInteger(increments) || increments < 1 || increments > 10_000) {
    throw new EstimationError("INVALID_INPUT", `increments must be an integer from 1 to 10000, got ${increments}`, { column: "increments" });
  }
  const room = Float64Array.from({ length: n }, (_, i) => (opts.eligible[i] ? opts.caps[i]! : 0));
  const totalRoom = room.reduce((a, b) => a + b, 0);
  if (!(totalRoom >= budget * (1 - 1e-12))) {
    throw new EstimationError("INVALID_INPUT", `the caps of the eligible units add up to ${totalRoom}, less than the budget ${budget}`, { column: "budget" });
  }
  const step = budget / increments;
  const amounts = new Float64Array(n);
  let left = budget;
  while (left > step * 1e-9) {
    const g = allocationGradient(problem, amounts, fit);
    let best = -1;
    for (let i = 0; i < n; i++) if (room[i]! > 1e-12 * step && (best < 0 || g[i]! > g[best]!)) best = i;
    if (best < 0) break;
    const give = Math.min(step, room[best]!, left);
    amounts[best]! += give;
    room[best]! -= give;
    left -= give;
  }
  return amounts;
}
