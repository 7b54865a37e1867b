/**
 * The mean-field recursion shared by projections, budget allocation and the inverse what-if:
 * mu_t = exp(X_t beta + sum_k beta_k peer_k(mu_{t-1})), with peer terms from the observed outcome
 * in the base year. Designs are built once per covariate table (callers that hold covariates
 * return the same table every year) and the peer terms' linear maps once per graph, so a
 * 10-year projection of a province is a few hundred microseconds.
 */
import { estimableCoefficients, predictionDesign } from "../predict.js";
import type { FitResult, Table } from "../types.js";
import { EstimationError } from "../errors.js";
import { rowCount } from "../columns.js";
import { isPeerTerm, peerTerm, peerWeights, type PeerGraph, type PeerTerm } from "./peer-graph.js";

export interface PathResult {
  /** Expected outcome per unit, per year. */
  mu: Float64Array[];
  /** d mu_t / d beta (n x p row-major) per year, when asked for. */
  jac: Float64Array[] | null;
}

interface CachedDesign {
  x: Float64Array;
  offset: Float64Array;
}

export class MeanFieldEngine {
  readonly n: number;
  readonly p: number;
  readonly terms: string[];
  readonly beta: Float64Array;
  readonly covariance: number[][];
  readonly peers: PeerTerm[];
  readonly peerColumns: number[];
  /** Per peer term: CSR rows and weights of its linear map when every previous outcome is known. */
  private readonly maps: { row: Int32Array[]; weight: Float64Array[] }[];
  private readonly designs = new WeakMap<Table, CachedDesign>();
  private readonly zeroPeers: Record<string, Float64Array>;

  constructor(
    readonly fit: FitResult,
    readonly graph: PeerGraph,
    readonly previousOutcome: ArrayLike<number>,
  ) {
    const { terms, beta, covariance } = estimableCoefficients(fit);
    this.n = graph.units.length;
    this.p = terms.length;
    this.terms = terms;
    this.beta = beta;
    this.covariance = covariance;
    this.peers = terms.filter(isPeerTerm);
    this.peerColumns = this.peers.map((k) => terms.indexOf(k));
    if (previousOutcome.length !== this.n) {
      throw new EstimationError("INVALID_INPUT", `previousOutcome has ${previousOutcome.length} values for ${this.n} units`);
    }
    const known = Array.from({ length: this.n }, () => true);
    this.maps = this.peers.map((k) => peerWeights(graph, k, known));
    this.zeroPeers = Object.fromEntries(this.peers.map((k) => [k, new Float64Array(this.n)]));
  }

  /** The design of a covariate table with the peer columns at 0 (cached per table object). */
  design(table: Table, t: number): CachedDesign {
    let d = this.designs.get(table);
    if (d === undefined) {
      if (rowCount(table) !== this.n) throw new EstimationError("INVALID_INPUT", `covariates of year ${t} have ${rowCount(table)} rows for ${this.n} units`);
      const full = predictionDesign(this.fit, { ...table, ...this.zeroPeers });
      d = { x: full.x, offset: full.offset };
      this.designs.set(table, d);
    }
    return d;
  }

  /** Peer term values of every unit from `prev`, refusing units whose peers are all unknown. */
  peerValues(prev: ArrayLike<number>, t: number): Float64Array[] {
    return this.peers.map((k) => {
      const values = peerTerm(this.graph, k, prev);
      for (let i = 0; i < values.length; i++) {
        if (Number.isNaN(values[i]!)) {
          throw new EstimationError(
            "INVALID_INPUT",
            `${k} of unit ${this.graph.units[i]} in year ${t} cannot be computed: none of its peers has an outcome the year before`,
            { column: k },
          );
        }
      }
      return values;
    });
  }

  /** eta of every unit for a design, beta and peer values. */
  eta(d: CachedDesign, beta: ArrayLike<number>, peerVals: Float64Array[], out: Float64Array): Float64Array {
    const { n, p } = this;
    const { x, offset } = d;
    for (let i = 0; i < n; i++) {
      let s = offset[i]!;
      const o = i * p;
      for (let c = 0; c < p; c++) s += x[o + c]! * beta[c]!;
      out[i] = s;
    }
    for (let k = 0; k < peerVals.length; k++) {
      const bk = beta[this.peerColumns[k]!]!;
      const v = peerVals[k]!;
      for (let i = 0; i < n; i++) out[i]! += bk * v[i]!;
    }
    return out;
  }

  /**
   * One path over years 0..horizon. Peer terms come from `peerSource`'s outcomes of the year before
   * (this path's own when null), and the base year's from the observed outcome.
   */
  run(covariates: (t: number) => Table, horizon: number, opts: { beta?: ArrayLike<number>; peerSource?: PathResult | null; jacobian?: boolean } = {}): PathResult {
    const { n, p } = this;
    const beta = opts.beta ?? this.beta;
    const mu: Float64Array[] = [];
    const jac: Float64Array[] | null = opts.jacobian ? [] : null;
    const source = opts.peerSource ?? { mu, jac };
    for (let t = 0; t <= horizon; t++) {
      const d = this.design(covariates(t), t);
      const prev = t === 0 ? this.previousOutcome : source.mu[t - 1]!;
      const peerVals = this.peerValues(prev, t);
      const m = this.eta(d, beta, peerVals, new Float64Array(n));
      for (let i = 0; i < n; i++) m[i] = Math.exp(m[i]!);
      mu.push(m);
      if (jac === null) continue;
      const j = d.x.slice();
      this.peerColumns.forEach((c, k) => {
        const v = peerVals[k]!;
        for (let i = 0; i < n; i++) j[i * p + c] = v[i]!;
      });
      if (t > 0) {
        const prevJac = source.jac![t - 1]!;
        this.maps.forEach((map, k) => {
          const bk = beta[this.peerColumns[k]!]!;
          if (bk === 0 || this.peers[k] === "peer_neighbors_share") return;
          if (this.peers[k] === "peer_siblings") {
            this.addSiblingJacobian(j, prevJac, bk);
            return;
          }
          for (let i = 0; i < n; i++) {
            const r = map.row[i]!;
            const w = map.weight[i]!;
            const o = i * p;
            for (let q = 0; q < r.length; q++) {
              const src = r[q]! * p;
              const f = bk * w[q]!;
              for (let c = 0; c < p; c++) j[o + c]! += f * prevJac[src + c]!;
            }
          }
        });
      }
      for (let i = 0; i < n; i++) {
        const mi = m[i]!;
        const o = i * p;
        for (let c = 0; c < p; c++) j[o + c]! *= mi;
      }
      jac.push(j);
    }
    return { mu, jac };
  }

  /**
   * j_i += b * mean of prevJac over the other members of i's group: through group sums, so a
   * province-sized group costs O(n p) rather than O(n m p). (Derivatives only: the values of the
   * term itself come from peerTerm, summed in its order.)
   */
  private addSiblingJacobian(j: Float64Array, prevJac: Float64Array, b: number): void {
    const { p } = this;
    const sum = new Float64Array(p);
    for (const members of this.graph.groups) {
      const m = members.length;
      if (m <= 1) continue;
      sum.fill(0);
      for (let q = 0; q < m; q++) {
        const o = members[q]! * p;
        for (let c = 0; c < p; c++) sum[c]! += prevJac[o + c]!;
      }
      const f = b / (m - 1);
      for (let q = 0; q < m; q++) {
        const o = members[q]! * p;
        for (let c = 0; c < p; c++) j[o + c]! += f * (sum[c]! - prevJac[o + c]!);
      }
    }
  }

  /** The peer maps (for the adjoint pass of budget allocation). */
  peerMaps(): { column: number; term: PeerTerm; row: Int32Array[]; weight: Float64Array[] }[] {
    return this.maps.map((m, k) => ({ column: this.peerColumns[k]!, term: this.peers[k]!, ...m }));
  }
}
