import { createPeerGraph, createRng, fitCountModel, peerTerm, type Table } from "../index.js";

/** 40 units on a ring with a few chords, 5 groups of 8; a panel 2010-2017 from a known NB2 model with peer effects. */
export function world(seed = 3) {
  const rng = createRng(seed);
  const n = 40;
  const units = Array.from({ length: n }, (_, i) => `u${String(i).padStart(2, "0")}`);
  const edges: [string, string][] = units.map((u, i) => [u, units[(i + 1) % n]!]);
  edges.push(["u00", "u20"], ["u05", "u33"], ["u11", "u27"]);
  const graph = createPeerGraph({ units, edges, groupOf: units.map((_, i) => `g${Math.floor(i / 8)}`) });
  const x1 = Float64Array.from({ length: n }, () => 1 + 2 * rng.uniform());
  const x2 = Float64Array.from({ length: n }, () => rng.normal());
  const years = 8;
  const ys: Float64Array[] = [Float64Array.from({ length: n }, () => rng.poisson(5))];
  const rows: Record<string, number[]> = { y: [], x1: [], x2: [], peer_siblings: [], peer_neighbors: [], t: [] };
  for (let t = 1; t < years; t++) {
    const sib = peerTerm(graph, "peer_siblings", ys[t - 1]!);
    const nb = peerTerm(graph, "peer_neighbors", ys[t - 1]!);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x1t = x1[i]! * (1 + 0.03 * t);
      const mu = Math.exp(0.6 + 0.45 * x1t + 0.2 * x2[i]! + 0.025 * sib[i]! + 0.015 * nb[i]!);
      y[i] = rng.negBin2(mu, 0.08);
      rows["y"]!.push(y[i]!);
      rows["x1"]!.push(x1t);
      rows["x2"]!.push(x2[i]!);
      rows["peer_siblings"]!.push(sib[i]!);
      rows["peer_neighbors"]!.push(nb[i]!);
      rows["t"]!.push(t);
    }
    ys.push(y);
  }
  const fit = fitCountModel(rows, { family: "negbin2", outcome: "y", predictors: ["x1", "x2", "peer_siblings", "peer_neighbors"] });
  const last = years - 1;
  const covariates: Table = { x1: Float64Array.from(x1, (v) => v * (1 + 0.03 * last)), x2 };
  return { graph, fit, covariates, prev: ys[last - 1]!, n };
}
