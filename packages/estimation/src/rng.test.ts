import { describe, expect, it } from "vitest";
import { covarianceFactor, createRng, multivariateNormal } from "./rng.js";

function moments(values: number[]): { mean: number; variance: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

function sample(n: number, draw: () => number): number[] {
  return Array.from({ length: n }, draw);
}

describe("createRng", () => {
  it("repeats the same stream for the same seed and differs for another", () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const xa = sample(5, () => a.uniform());
    expect(sample(5, () => b.uniform())).toEqual(xa);
    expect(sample(5, () => c.uniform())).not.toEqual(xa);
    // Seeds differing only above 2^32 must give different streams too.
    expect(createRng(2 ** 32 + 7).uniform()).not.toBe(createRng(7).uniform());
  });

  it("refuses a non-integer seed", () => {
    expect(() => createRng(1.5)).toThrow(/seed/);
  });

  it("gives uniforms on [0,1) with mean 1/2 and variance 1/12", () => {
    const r = createRng(1);
    const u = sample(200_000, () => r.uniform());
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
    const m = moments(u);
    expect(m.mean).toBeCloseTo(0.5, 2);
    expect(m.variance).toBeCloseTo(1 / 12, 3);
  });

  it("gives standard normals (mean 0, variance 1, P(Z < 1.96) = 0.975)", () => {
    const r = createRng(2);
    const z = sample(200_000, () => r.normal());
    const m = moments(z);
    expect(Math.abs(m.mean)).toBeLessThan(0.01);
    expect(Math.abs(m.variance - 1)).toBeLessThan(0.01);
    expect(z.filter((v) => v < 1.959963984540054).length / z.length).toBeCloseTo(0.975, 2);
  });

  it("gives gamma draws with mean shape*scale and variance shape*scale^2 (shape above and below 1)", () => {
    const r = createRng(3);
    for (const [shape, scale] of [
      [2, 0.5],
      [0.3, 4],
    ] as const) {
      const m = moments(sample(200_000, () => r.gamma(shape, scale)));
      expect(Math.abs(m.mean / (shape * scale) - 1)).toBeLessThan(0.02);
      expect(Math.abs(m.variance / (shape * scale * scale) - 1)).toBeLessThan(0.04);
    }
  });

  it("gives Poisson draws with mean = variance for small and large means", () => {
    const r = createRng(4);
    for (const mean of [0.7, 4, 25, 1e4]) {
      const x = sample(100_000, () => r.poisson(mean));
      expect(x.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
      const m = moments(x);
      expect(Math.abs(m.mean / mean - 1)).toBeLessThan(0.02);
      expect(Math.abs(m.variance / mean - 1)).toBeLessThan(0.03);
    }
    // P(X = 0) for mean 0.7 is exp(-0.7).
    const zeros = sample(100_000, () => r.poisson(0.7)).filter((v) => v === 0).length / 100_000;
    expect(zeros).toBeCloseTo(Math.exp(-0.7), 2);
    expect(r.poisson(0)).toBe(0);
  });

  it("gives NB2 draws with variance mu + alpha mu^2", () => {
    const r = createRng(5);
    const mu = 6;
    const alpha = 0.5;
    const m = moments(sample(200_000, () => r.negBin2(mu, alpha)));
    expect(Math.abs(m.mean / mu - 1)).toBeLessThan(0.02);
    expect(Math.abs(m.variance / (mu + alpha * mu * mu) - 1)).toBeLessThan(0.04);
    expect(() => r.negBin2(1, -0.1)).toThrow(/alpha/);
  });
});

describe("multivariate normal", () => {
  it("factors a positive definite covariance by Cholesky", () => {
    expect(Array.from(covarianceFactor([
      [4, 2],
      [2, 10],
    ]))).toEqual([2, 0, 1, 3]);
  });

  it("factors a semi-definite covariance via eigenvalues (L L' = cov)", () => {
    const cov = [
      [1, 1],
      [1, 1],
    ];
    const l = covarianceFactor(cov);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        expect(l[i * 2]! * l[j * 2]! + l[i * 2 + 1]! * l[j * 2 + 1]!).toBeCloseTo(cov[i]![j]!, 12);
      }
    }
    expect(() => covarianceFactor([[1, NaN], [NaN, 1]])).toThrow(/non-finite entry at \(0, 1\)/);
  });

  it("reproduces mean and covariance", () => {
    const cov = [
      [0.04, -0.01, 0],
      [-0.01, 0.09, 0.02],
      [0, 0.02, 0.25],
    ];
    const draw = multivariateNormal(createRng(6), [1, -2, 0.5], cov);
    const n = 100_000;
    const xs = Array.from({ length: n }, () => Array.from(draw()));
    const mean = [0, 1, 2].map((j) => xs.reduce((s, x) => s + x[j]!, 0) / n);
    expect(mean[0]).toBeCloseTo(1, 2);
    expect(mean[1]).toBeCloseTo(-2, 2);
    expect(mean[2]).toBeCloseTo(0.5, 2);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const c = xs.reduce((s, x) => s + (x[i]! - mean[i]!) * (x[j]! - mean[j]!), 0) / (n - 1);
        expect(Math.abs(c - cov[i]![j]!)).toBeLessThan(0.01 * Math.sqrt(cov[i]![i]! * cov[j]![j]!) + 1e-4);
      }
    }
  });
});
