/**
 * The Berry & Berry peer terms, defined once: the database's analysis frame (fitting) and the
 * diffusion projection (simulation) both call these functions, so what a model was fitted on and
 * what a projection feeds it cannot disagree.
 *
 * - peer_neighbors: mean previous-year outcome of a unit's contiguous neighbours (weighted when the
 *   graph has weights);
 * - peer_neighbors_share: (weighted) share of those neighbours with previous-year outcome > 0;
 * - peer_siblings: mean previous-year outcome of the other units of the same group (prefecture).
 *
 * Neighbours or siblings without a previous-year outcome (NaN) are left out of the mean; when none
 * has one the term is missing (NaN). A unit with no neighbour, or alone in its group, gets 0:
 * nobody to learn from.
 */
import { EstimationError } from "../errors.js";

export const PEER_TERMS = ["peer_neighbors", "peer_neighbors_share", "peer_siblings"] as const;
export type PeerTerm = (typeof PEER_TERMS)[number];

export const isPeerTerm = (name: string): name is PeerTerm => (PEER_TERMS as readonly string[]).includes(name);

export interface PeerGraph {
  /** Unit codes; a unit's index is its position. */
  units: string[];
  /** Neighbour indices of each unit (symmetric adjacency, no self loops). */
  neighbors: Int32Array[];
  /** Optional positive weight of each neighbour, parallel to `neighbors`. */
  weights: Float64Array[] | null;
  /** Group index of each unit (e.g. prefecture), and the members of each group. */
  group: Int32Array;
  groups: Int32Array[];
}

/**
 * A PeerGraph from unit codes, undirected edges (pairs of codes, optionally weighted) and each
 * unit's group label. Edges naming an unknown unit or a unit with itself are refused; a repeated
 * edge is counted once (its first weight).
 */
export function createPeerGraph(input: {
  units: readonly string[];
  edges: readonly (readonly [string, string] | readonly [string, string, number])[];
  groupOf: readonly string[];
}): PeerGraph {
  const { units, edges, groupOf } = input;
  if (groupOf.length !== units.length) {
    throw new EstimationError("INVALID_INPUT", `groupOf has ${groupOf.length} entries for ${units.length} units`);
  }
  const index = new Map<string, number>();
  units.forEach((u, i) => {
    if (index.has(u)) throw new EstimationError("INVALID_INPUT", `unit "${u}" is listed twice`);
    index.set(u, i);
  });
  const lists: Map<number, number>[] = units.map(() => new Map());
  let weighted = false;
  for (const e of edges) {
    const a = index.get(e[0]);
    const b = index.get(e[1]);
    if (a === undefined || b === undefined) {
      throw new EstimationError("INVALID_INPUT", `edge ${e[0]}-${e[1]} names a unit that is not in the graph`);
    }
    if (a === b) throw new EstimationError("INVALID_INPUT", `edge ${e[0]}-${e[1]} joins a unit with itself`);
    const w = e.length === 3 ? e[2] : 1;
    if (!(w > 0) || !Number.isFinite(w)) throw new EstimationError("INVALID_INPUT", `edge ${e[0]}-${e[1]} has weight ${w}; weights must be > 0`);
    if (e.length === 3) weighted = true;
    if (!lists[a]!.has(b)) lists[a]!.set(b, w);
    if (!lists[b]!.has(a)) lists[b]!.set(a, w);
  }
  const neighbors = lists.map((m) => Int32Array.from([...m.keys()].sort((x, y) => x - y)));
  const weights = weighted ? lists.map((m, i) => Float64Array.from(neighbors[i]!, (j) => m.get(j)!)) : null;
  const labels = new Map<string, number>();
  const group = Int32Array.from(groupOf, (g) => labels.get(g) ?? labels.set(g, labels.size).get(g)!);
  const members: number[][] = [...labels.keys()].map(() => []);
  group.forEach((g, i) => members[g]!.push(i));
  return { units: [...units], neighbors, weights, group, groups: members.map((m) => Int32Array.from(m)) };
}

/** (Weighted) mean of prev over a unit's neighbours, or their share with prev > 0. */
function neighbourMean(graph: PeerGraph, prev: ArrayLike<number>, unit: number, share: boolean): number {
  const list = graph.neighbors[unit]!;
  if (list.length === 0) return 0;
  const w = graph.weights?.[unit];
  let sum = 0;
  let total = 0;
  for (let k = 0; k < list.length; k++) {
    const v = prev[list[k]!]!;
    if (Number.isNaN(v)) continue;
    const wk = w ? w[k]! : 1;
    sum += wk * (share ? (v > 0 ? 1 : 0) : v);
    total += wk;
  }
  return total === 0 ? NaN : sum / total;
}

function siblingMean(graph: PeerGraph, prev: ArrayLike<number>, unit: number): number {
  const members = graph.groups[graph.group[unit]!]!;
  if (members.length <= 1) return 0;
  let sum = 0;
  let n = 0;
  for (let k = 0; k < members.length; k++) {
    const j = members[k]!;
    if (j === unit) continue;
    const v = prev[j]!;
    if (Number.isNaN(v)) continue;
    sum += v;
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

/** One peer term for every unit from the previous-year outcome per unit (NaN = unknown). */
export function peerTerm(graph: PeerGraph, term: PeerTerm, prev: ArrayLike<number>): Float64Array {
  if (prev.length !== graph.units.length) {
    throw new EstimationError("INVALID_INPUT", `previous-year outcome has ${prev.length} values for ${graph.units.length} units`);
  }
  const out = new Float64Array(graph.units.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = term === "peer_siblings" ? siblingMean(graph, prev, i) : neighbourMean(graph, prev, i, term === "peer_neighbors_share");
  }
  return out;
}

/**
 * The linear map behind peer_neighbors and peer_siblings at a given pattern of known values:
 * term_i = sum_j A_ij prev_j. Used by the mean-field projection to carry derivatives through the
 * recursion (d term / d theta = A d prev / d theta). peer_neighbors_share is a step function of
 * prev and has derivative 0 almost everywhere.
 */
export function peerWeights(graph: PeerGraph, term: PeerTerm, known: ArrayLike<boolean>): { row: Int32Array[]; weight: Float64Array[] } {
  const n = graph.units.length;
  const row: Int32Array[] = new Array(n);
  const weight: Float64Array[] = new Array(n);
  for (let i = 0; i < n; i++) {
    if (term === "peer_neighbors_share") {
      row[i] = new Int32Array(0);
      weight[i] = new Float64Array(0);
      continue;
    }
    const siblings = term === "peer_siblings";
    const cand = siblings ? graph.groups[graph.group[i]!]! : graph.neighbors[i]!;
    const w = !siblings && graph.weights ? graph.weights[i]! : null;
    let count = 0;
    for (let k = 0; k < cand.length; k++) if (cand[k] !== i && known[cand[k]!]) count++;
    const r = new Int32Array(count);
    const ws = new Float64Array(count);
    let total = 0;
    for (let k = 0, q = 0; k < cand.length; k++) {
      const j = cand[k]!;
      if (j === i || !known[j]) continue;
      r[q] = j;
      ws[q] = w ? w[k]! : 1;
      total += ws[q]!;
      q++;
    }
    if (total > 0) for (let q = 0; q < count; q++) ws[q] = ws[q]! / total;
    row[i] = r;
    weight[i] = ws;
  }
  return { row, weight };
}
