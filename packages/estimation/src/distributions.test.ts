import { describe, expect, it } from "vitest";
import {
  bd0,
  chiSquare1Sf,
  digamma,
  lgamma,
  log1pmx,
  normalCdf,
  normalQuantile,
  normalSf,
  stirlerr,
  trigamma,
  twoSidedPValue,
} from "./distributions.js";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe("special functions match R to ~1e-14", () => {
  // Values from R 4.2.2: options(digits = 17); lgamma(0.3), ...
  const cases: [string, number, number][] = [
    ["lgamma(0.3)", lgamma(0.3), 1.0957979948180756],
    ["lgamma(1.5)", lgamma(1.5), -0.12078223763524518],
    ["lgamma(1e7 + 0.5)", lgamma(1e7 + 0.5), 1.5118095742852172e8],
    ["digamma(0.7)", digamma(0.7), -1.2200235536979349],
    ["digamma(123.4)", digamma(123.4), 4.8113737751162775],
    ["trigamma(0.2)", trigamma(0.2), 26.267377205423777],
    ["trigamma(55.5)", trigamma(55.5), 0.018181317363221768],
  ];
  for (const [name, got, want] of cases) it(name, () => expect(rel(got, want)).toBeLessThan(2e-14));
});

describe("normal distribution", () => {
  it("cdf matches R's pnorm in the body and far tails", () => {
    expect(rel(normalCdf(1.3), 0.9031995154143897)).toBeLessThan(1e-15);
    expect(rel(normalCdf(-10), 7.6198530241605269e-24)).toBeLessThan(1e-14);
    expect(rel(normalCdf(-37), 5.7255712225245771e-300)).toBeLessThan(1e-13);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalSf(2)).toBeCloseTo(1 - normalCdf(2), 16);
  });
  it("quantile matches R's qnorm and inverts the cdf", () => {
    expect(rel(normalQuantile(0.975), 1.959963984540054)).toBeLessThan(1e-15);
    expect(rel(normalQuantile(1e-10), -6.3613409024040557)).toBeLessThan(1e-14);
    expect(rel(normalQuantile(0.3), -0.52440051270804067)).toBeLessThan(1e-14);
    for (const p of [1e-300, 1e-20, 0.01, 0.2, 0.5, 0.77, 0.999999]) {
      expect(rel(normalCdf(normalQuantile(p)), p)).toBeLessThan(1e-12);
    }
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(Number.isNaN(normalQuantile(1.5))).toBe(true);
  });
  it("two-sided p and chi-square(1) tail agree: P(chi2_1 > z^2) = 2 P(Z > |z|)", () => {
    expect(rel(chiSquare1Sf(3.84), twoSidedPValue(Math.sqrt(3.84)))).toBeLessThan(1e-14);
    expect(rel(chiSquare1Sf(3.841458820694124), 0.05)).toBeLessThan(1e-12);
    expect(chiSquare1Sf(0)).toBe(1);
  });
});

describe("Loader's saddle-point pieces", () => {
  it("bd0 equals x log(x/m) + m - x and stays accurate when x ~ m", () => {
    expect(rel(bd0(7, 3), 7 * Math.log(7 / 3) + 3 - 7)).toBeLessThan(1e-14);
    expect(bd0(0, 2.5)).toBe(2.5);
    // x close to m: the naive form cancels; with d = x - m, bd0 = d^2/(2m) - d^3/(6m^2) + O(d^4/m^3).
    const x = 3e6;
    const m = 3e6 + 10;
    const d = x - m;
    expect(rel(bd0(x, m), (d * d) / (2 * m) - (d * d * d) / (6 * m * m))).toBeLessThan(1e-9);
  });
  it("stirlerr(n) = lgamma(n + 1) - (n + 1/2) log n + n - log sqrt(2 pi)", () => {
    for (const n of [1, 2, 7, 15, 16, 100]) {
      const direct = lgamma(n + 1) - (n + 0.5) * Math.log(n) + n - 0.5 * Math.log(2 * Math.PI);
      expect(Math.abs(stirlerr(n) - direct)).toBeLessThan(1e-13);
    }
  });
  it("log1pmx is log(1 + u) - u without cancellation", () => {
    expect(rel(log1pmx(1e-5), -5e-11 + 1e-15 / 3 - 2.5e-21)).toBeLessThan(1e-12);
    expect(rel(log1pmx(0.5), Math.log(1.5) - 0.5)).toBeLessThan(1e-15);
  });
});
