/**
 * Diffusion projections: a fitted count model run forward year by year over the real peer graph,
 * so that a push in some units reaches their neighbours and siblings through the peer terms.
 *
 * Year t = 0 is the base year b: its peer terms come from the observed outcome of b - 1, so with
 * horizon 0 a projection is exactly today's what-if. From t = 1 on, peer terms are recomputed from
 * the projected outcomes of the year before. Three paths are run:
 * - baseline: baseline covariates, peer terms from the baseline path;
 * - scenario: scenario covariates, peer terms from the scenario path (the total effect);
 * - direct: scenario covariates, peer terms held on the baseline path.
 * Spillover = scenario - direct (the part of the effect that travels through peers); with no peer
 * term in the model the direct path IS the scenario path and spillover is exactly 0.
 *
 * Engines:
 * - mean field (`projectMeanField`): expected outcomes propagate (y_t := mu_t), deterministic;
 *   delta-method intervals with the Jacobian d mu_t / d beta carried through the recursion:
 *   d eta_t / d beta = X_t + sum_k beta_k A_k d mu_{t-1} / d beta, A_k the peer term's linear map
 *   (peer_neighbors_share is a step function: derivative 0).
 * - Monte Carlo (`projectMonteCarlo`): (beta, alpha) drawn from their sampling distribution, then
 *   NB2/Poisson counts each year by inverse CDF from uniforms shared by the three paths (common
 *   random numbers), peer terms from the drawn counts; estimates are means over draws, intervals
 *   percentile intervals. Mean field and Monte Carlo differ by the Jensen gap of exp() and of the
 *   recursion (E[mu(y)] vs mu(E[y])), small when the peer effect is.
 *
 * Covariate paths (hold, trend, observed) and interventions (start year, once) are the caller's:
 * `baseline(t)` and `scenario(t)` give the covariate table of year b + t, one row per graph unit.
 */
import { EstimationError } from "../errors.js";
import { criticalValue, fittedAlpha, predictionDesign } from "../predict.js";
import { createRng } from "../rng.js";
import { alphaCovariance, drawParameters, summariseDraws } from "../scenario.js";
import type { Estimate, FitResult, Table } from "../types.js";
import { countQuantile } from "./count-quantile.js";
import { MeanFieldEngine } from "./mean-field.js";
import { peerTerm, type PeerGraph, type PeerTerm } from "./peer-graph.js";

export const MAX_HORIZON = 30;

export interface ProjectionInput {
  fit: FitResult;
  graph: PeerGraph;
  /** Covariates of year b + t (t = 0..horizon) on the baseline path, one row per graph unit in graph order. */
  baseline: (t: number) => Table;
  /** The same with the interventions applied. */
  scenario: (t: number) => Table;
  /** Observed outcome of year b - 1 per graph unit (NaN = unknown). */
  previousOutcome: ArrayLike<number>;
  horizon: number;
  /** Default 0.95. */
  level?: number;
}

/** One year of a projection: per unit and in total, baseline, scenario, and the effect split. */
export interface ProjectionYear {
  /** 0 = the base year. */
  t: number;
  baseline: Float64Array;
  scenario: Float64Array;
  /** Per unit: scenario - baseline, the part through the unit's own covariates, and the rest. */
  difference: Estimate[];
  direct: Estimate[];
  spillover: Estimate[];
  total: { baseline: Estimate; scenario: Estimate; difference: Estimate; direct: Estimate; spillover: Estimate };
}

export interface ProjectionOutcome {
  engine: "mean-field" | "monte-carlo";
  level: number;
  draws: number | null;
  seed: number | null;
  peerTerms: PeerTerm[];
  years: ProjectionYear[];
}

function checkInput(input: ProjectionInput): { horizon: number; level: number } {
  const { horizon } = input;
  if (!Number.isInteger(horizon) || horizon < 0 || horizon > MAX_HORIZON) {
    throw new EstimationError("INVALID_INPUT", `horizon must be an integer from 0 to ${MAX_HORIZON}, got ${horizon}`, { column: "horizon" });
  }
  const level = input.level ?? 0.95;
  criticalValue(level); // refuses a level outside (0, 1)
  if (input.previousOutcome.length !== input.graph.units.length) {
    throw new EstimationError("INVALID_INPUT", `previousOutcome has ${input.previousOutcome.length} values for ${input.graph.units.length} units`);
  }
  return { horizon, level };
}

/** Var of g' beta, g a gradient over the estimable betas. */
function variance(g: Float64Array, v: readonly (readonly number[])[]): number {
  let s = 0;
  for (let a = 0; a < g.length; a++) {
    const row = v[a]!;
    let r = 0;
    for (let b = 0; b < g.length; b++) r += row[b]! * g[b]!;
    s += g[a]! * r;
  }
  return Math.max(s, 0);
}

function symmetric(estimate: number, var_: number, z: number): Estimate {
  const se = Math.sqrt(var_);
  return { estimate, stdError: se, lower: estimate - z * se, upper: estimate + z * se };
}

export function projectMeanField(input: ProjectionInput): ProjectionOutcome {
  const { horizon, level } = checkInput(input);
  const z = criticalValue(level);
  const engine = new MeanFieldEngine(input.fit, input.graph, input.previousOutcome);
  const peers = engine.peers;
  const base = engine.run(input.baseline, horizon, { jacobian: true });
  const scen = engine.run(input.scenario, horizon, { jacobian: true });
  const direct = peers.length === 0 ? scen : engine.run(input.scenario, horizon, { jacobian: true, peerSource: base });
  const { n, p, covariance: v } = engine;
  const years: ProjectionYear[] = [];
  const g = new Float64Array(p);
  const zero: Estimate = { estimate: 0, stdError: 0, lower: 0, upper: 0 };
  /** Var of the gradient (a - b) over one unit's row, or summed over all units (i < 0). */
  const varOf = (a: Float64Array, b: Float64Array | null, i: number): number => {
    g.fill(0);
    const from = i < 0 ? 0 : i;
    const to = i < 0 ? n : i + 1;
    for (let r = from; r < to; r++) {
      const o = r * p;
      for (let c = 0; c < p; c++) g[c]! += a[o + c]! - (b === null ? 0 : b[o + c]!);
    }
    return variance(g, v);
  };
  for (let t = 0; t <= horizon; t++) {
    const mb = base.mu[t]!;
    const ms = scen.mu[t]!;
    const md = direct.mu[t]!;
    const jb = base.jac![t]!;
    const js = scen.jac![t]!;
    const jd = direct.jac![t]!;
    const difference: Estimate[] = [];
    const directEst: Estimate[] = [];
    const spill: Estimate[] = [];
    let sb = 0;
    let ss = 0;
    let sd = 0;
    for (let i = 0; i < n; i++) {
      sb += mb[i]!;
      ss += ms[i]!;
      sd += md[i]!;
      difference.push(symmetric(ms[i]! - mb[i]!, varOf(js, jb, i), z));
      if (peers.length === 0) {
        directEst.push(difference[i]!);
        spill.push(zero);
      } else {
        directEst.push(symmetric(md[i]! - mb[i]!, varOf(jd, jb, i), z));
        spill.push(symmetric(ms[i]! - md[i]!, varOf(js, jd, i), z));
      }
    }
    const totalDifference = symmetric(ss - sb, varOf(js, jb, -1), z);
    years.push({
      t,
      baseline: mb,
      scenario: ms,
      difference,
      direct: directEst,
      spillover: spill,
      total: {
        // Symmetric, as the what-if's totals, so that horizon 0 reproduces it exactly.
        baseline: symmetric(sb, varOf(jb, null, -1), z),
        scenario: symmetric(ss, varOf(js, null, -1), z),
        difference: totalDifference,
        direct: peers.length === 0 ? totalDifference : symmetric(sd - sb, varOf(jd, jb, -1), z),
        spillover: peers.length === 0 ? zero : symmetric(ss - sd, varOf(js, jd, -1), z),
      },
    });
  }
  return { engine: "mean-field", level, draws: null, seed: null, peerTerms: peers, years };
}

export interface MonteCarloOptions {
  /** Default 1000. */
  draws?: number;
  /** Default 1. */
  seed?: number;
}

/** Largest units x (horizon + 1) x draws a Monte Carlo projection keeps (per path; 8 bytes each). */
export const MAX_MONTE_CARLO_CELLS = 20_000_000;

export function projectMonteCarlo(input: ProjectionInput, opts: MonteCarloOptions = {}): ProjectionOutcome {
  const { horizon, level } = checkInput(input);
  const draws = opts.draws ?? 1000;
  if (!Number.isInteger(draws) || draws < 2 || draws > 100_000) {
    throw new EstimationError("INVALID_INPUT", `draws must be an integer from 2 to 100000, got ${draws}`, { column: "draws" });
  }
  const seed = opts.seed ?? 1;
  const n = input.graph.units.length;
  const years = horizon + 1;
  if (n * years * draws > MAX_MONTE_CARLO_CELLS) {
    throw new EstimationError(
      "INVALID_INPUT",
      `a Monte Carlo projection keeps units x years x draws outcomes: ${n} x ${years} x ${draws} is more than ${MAX_MONTE_CARLO_CELLS}; use fewer draws`,
      { column: "draws" },
    );
  }
  const rng = createRng(seed);
  const fit = input.fit;
  const engine = new MeanFieldEngine(fit, input.graph, input.previousOutcome);
  const peers = engine.peers;
  // Designs without the peer columns are fixed per year; the peer values are refreshed per draw.
  const fixedB = Array.from({ length: years }, (_, t) => engine.design(input.baseline(t), t));
  const fixedS = Array.from({ length: years }, (_, t) => engine.design(input.scenario(t), t));
  engine.peerValues(input.previousOutcome, 0); // refuses a base year whose peers are unknown
  const d0 = predictionDesign(fit, { ...input.baseline(0), ...Object.fromEntries(peers.map((k) => [k, new Float64Array(n)])) });
  const alpha = fittedAlpha(fit);
  const { betas, alphas } = drawParameters(rng, d0, alpha, alphaCovariance(fit, d0, alpha), draws);
  const p = d0.p;
  // outcome[path][t][i * draws + d]
  const store = () => Array.from({ length: years }, () => new Float64Array(n * draws));
  const outB = store();
  const outS = store();
  const outD = store();
  const u = new Float64Array(n);
  const eta = new Float64Array(n);
  const prevB = new Float64Array(n);
  const prevS = new Float64Array(n);
  const yB = new Float64Array(n);
  const yS = new Float64Array(n);
  const yD = new Float64Array(n);
  for (let d = 0; d < draws; d++) {
    const beta = betas.subarray(d * p, (d + 1) * p);
    const a = alphas[d]!;
    prevB.set(input.previousOutcome as ArrayLike<number>);
    prevS.set(input.previousOutcome as ArrayLike<number>);
    for (let t = 0; t < years; t++) {
      for (let i = 0; i < n; i++) u[i] = rng.uniform();
      const step = (design: ReturnType<MeanFieldEngine["design"]>, prev: Float64Array, out: Float64Array) => {
        engine.eta(design, beta, peers.map((k) => peerTerm(input.graph, k, prev)), eta);
        for (let i = 0; i < n; i++) out[i] = countQuantile(u[i]!, Math.exp(eta[i]!), a);
      };
      step(fixedB[t]!, prevB, yB);
      step(fixedS[t]!, prevS, yS);
      if (peers.length === 0) yD.set(yS);
      else step(fixedS[t]!, prevB, yD);
      for (let i = 0; i < n; i++) {
        outB[t]![i * draws + d] = yB[i]!;
        outS[t]![i * draws + d] = yS[i]!;
        outD[t]![i * draws + d] = yD[i]!;
      }
      prevB.set(yB);
      prevS.set(yS);
    }
  }

  // Monte Carlo estimates are means over the draws (not the value at the MLE).
  const summarise = (values: Float64Array): Estimate => {
    let mean = 0;
    for (const v of values) mean += v;
    return summariseDraws(mean / values.length, Float64Array.from(values), level);
  };
  const result: ProjectionYear[] = [];
  const tmp = new Float64Array(draws);
  const totals = Array.from({ length: 5 }, () => new Float64Array(draws));
  for (let t = 0; t < years; t++) {
    const b = outB[t]!;
    const s = outS[t]!;
    const dd = outD[t]!;
    const baseline = new Float64Array(n);
    const scenario = new Float64Array(n);
    const difference: Estimate[] = [];
    const direct: Estimate[] = [];
    const spillover: Estimate[] = [];
    for (const tot of totals) tot.fill(0);
    for (let i = 0; i < n; i++) {
      const o = i * draws;
      let mb = 0;
      let ms = 0;
      for (let k = 0; k < draws; k++) {
        mb += b[o + k]!;
        ms += s[o + k]!;
        totals[0]![k]! += b[o + k]!;
        totals[1]![k]! += s[o + k]!;
        totals[2]![k]! += s[o + k]! - b[o + k]!;
        totals[3]![k]! += dd[o + k]! - b[o + k]!;
        totals[4]![k]! += s[o + k]! - dd[o + k]!;
      }
      baseline[i] = mb / draws;
      scenario[i] = ms / draws;
      for (let k = 0; k < draws; k++) tmp[k] = s[o + k]! - b[o + k]!;
      difference.push(summarise(tmp));
      for (let k = 0; k < draws; k++) tmp[k] = dd[o + k]! - b[o + k]!;
      direct.push(summarise(tmp));
      for (let k = 0; k < draws; k++) tmp[k] = s[o + k]! - dd[o + k]!;
      spillover.push(summarise(tmp));
    }
    result.push({
      t,
      baseline,
      scenario,
      difference,
      direct,
      spillover,
      total: {
        baseline: summarise(totals[0]!),
        scenario: summarise(totals[1]!),
        difference: summarise(totals[2]!),
        direct: summarise(totals[3]!),
        spillover: summarise(totals[4]!),
      },
    });
  }
  return { engine: "monte-carlo", level, draws, seed, peerTerms: engine.peers, years: result };
}
