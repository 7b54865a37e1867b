import { describe, expect, it } from "vitest";
import { firstNonFinite } from "./finite.js";

describe("firstNonFinite", () => {
  it("finds the path of the first NaN/Infinity, through objects, arrays and typed arrays", () => {
    expect(firstNonFinite({ a: 1, b: [2, { c: null, d: "x" }] })).toBeUndefined();
    expect(firstNonFinite({ a: 1, b: [2, { c: Number.NaN }] })).toBe("result.b[1].c");
    expect(firstNonFinite({ m: [[1, 2], [3, -Infinity]] })).toBe("result.m[1][1]");
    expect(firstNonFinite({ t: Float64Array.from([0, Infinity]) })).toBe("result.t[1]");
  });
});
