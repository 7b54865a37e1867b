import { describe, expect, it } from "vitest";
import { createPeerGraph, peerTerm, peerWeights } from "./peer-graph.js";

// A-B-C in a line, D alone; groups: {A, B} in p1, {C, D} in p2, E alone in p3.
const graph = createPeerGraph({
  units: ["A", "B", "C", "D", "E"],
  edges: [["A", "B"], ["B", "C"], ["B", "A"]],
  groupOf: ["p1", "p1", "p2", "p2", "p3"],
});

describe("peer terms", () => {
  it("peer_neighbors: mean of the neighbours' previous outcome; 0 without neighbours", () => {
    expect([...peerTerm(graph, "peer_neighbors", [2, 4, 9, 1, 5])]).toEqual([4, (2 + 9) / 2, 4, 0, 0]);
  });

  it("missing neighbours are left out; all missing makes the term missing", () => {
    const t = peerTerm(graph, "peer_neighbors", [NaN, 4, NaN, 1, 5]);
    expect(t[0]).toBe(4);
    expect(Number.isNaN(t[1]!)).toBe(true);
    expect(t[2]).toBe(4);
  });

  it("peer_neighbors_share: share of neighbours with outcome > 0", () => {
    expect([...peerTerm(graph, "peer_neighbors_share", [0, 4, 0, 1, 5])]).toEqual([1, 0, 1, 0, 0]);
    expect([...peerTerm(graph, "peer_neighbors_share", [3, 0, 7, 0, 0])]).toEqual([0, 1, 0, 0, 0]);
  });

  it("peer_siblings: mean of the other members of the group; 0 when alone", () => {
    expect([...peerTerm(graph, "peer_siblings", [2, 4, 9, 1, 5])]).toEqual([4, 2, 1, 9, 0]);
  });

  it("weighted neighbours: a weighted mean", () => {
    const g = createPeerGraph({ units: ["A", "B", "C"], edges: [["A", "B", 3], ["A", "C", 1]], groupOf: ["x", "x", "x"] });
    expect(peerTerm(g, "peer_neighbors", [0, 10, 2])[0]).toBe((3 * 10 + 1 * 2) / 4);
  });

  it("peerWeights reproduces the term as a linear map of the known values", () => {
    const prev = [2, 4, NaN, 1, 5];
    const known = prev.map((v) => !Number.isNaN(v));
    for (const term of ["peer_neighbors", "peer_siblings"] as const) {
      const direct = peerTerm(graph, term, prev);
      const { row, weight } = peerWeights(graph, term, known);
      direct.forEach((v, i) => {
        if (Number.isNaN(v) || row[i]!.length === 0) return;
        let s = 0;
        row[i]!.forEach((j, k) => (s += weight[i]![k]! * prev[j]!));
        expect(s).toBeCloseTo(v, 15);
      });
    }
  });

  it("refuses unknown units, self loops, bad weights and a wrong outcome length", () => {
    expect(() => createPeerGraph({ units: ["A"], edges: [["A", "Z"]], groupOf: ["p"] })).toThrow(/names a unit that is not in the graph/);
    expect(() => createPeerGraph({ units: ["A"], edges: [["A", "A"]], groupOf: ["p"] })).toThrow(/joins a unit with itself/);
    expect(() => createPeerGraph({ units: ["A", "B"], edges: [["A", "B", 0]], groupOf: ["p", "p"] })).toThrow(/weights must be > 0/);
    expect(() => peerTerm(graph, "peer_neighbors", [1, 2])).toThrow(/2 values for 5 units/);
  });
});
