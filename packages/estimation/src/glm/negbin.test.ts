import { describe, expect, it } from "vitest";
import { lgamma } from "../distributions.js";
import { linearPredictor, makeGlmData } from "./common.js";
import { gTerms, negbinDerivatives, negbinLogLik, negbinLogLikAccurate, saturatedTerm } from "./negbin.js";
import { poissonDerivatives, poissonLogLik, poissonLogLikAccurate } from "./poisson.js";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

/** Explicit sums G0 = sum log(1 + j a), G1 = sum j/(1 + j a), G2 = -sum (j/(1 + j a))^2, j < y. */
function explicitG(y: number, alpha: number): [number, number, number] {
  let g0 = 0;
  let g1 = 0;
  let g2 = 0;
  for (let j = 1; j < y; j++) {
    const t = j / (1 + j * alpha);
    g0 += Math.log1p(j * alpha);
    g1 += t;
    g2 -= t * t;
  }
  return [g0, g1, g2];
}

describe("gTerms (y-only special-function sums)", () => {
  // The large-y branches use digamma/trigamma (theta <= 30) or Stirling expansions (theta > 30);
  // compare with the explicit sums, including alpha far below 1/y where the textbook forms cancel.
  for (const y of [65, 200, 3000]) {
    for (const alpha of [1e-9, 1e-6, 1e-3, 0.02, 0.5, 4]) {
      it(`y = ${y}, alpha = ${alpha}`, () => {
        const got = gTerms(y, alpha);
        const want = explicitG(y, alpha);
        expect(rel(got[0], want[0])).toBeLessThan(1e-11);
        expect(rel(got[1], want[1])).toBeLessThan(1e-11);
        expect(rel(got[2], want[2])).toBeLessThan(1e-10);
      });
    }
  }
});

describe("saturatedTerm", () => {
  it("equals the textbook NB2 log-probability at mu = y", () => {
    for (const y of [1, 5, 64, 65, 400, 5000]) {
      for (const alpha of [1e-4, 0.01, 0.3, 2]) {
        const theta = 1 / alpha;
        const direct =
          lgamma(y + theta) - lgamma(theta) - lgamma(y + 1) + theta * Math.log(theta / (theta + y)) + y * Math.log(y / (theta + y));
        expect(Math.abs(saturatedTerm(y, alpha) - direct)).toBeLessThan(1e-9 * Math.max(1, Math.abs(direct)));
      }
    }
  });
});

/** A small design with an intercept and two covariates. */
function smallData() {
  const y = Float64Array.from([0, 1, 3, 2, 8, 0, 5, 12, 4, 1, 0, 7]);
  const n = y.length;
  const p = 3;
  const x = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    x[i * p] = 1;
    x[i * p + 1] = Math.sin(i + 1);
    x[i * p + 2] = (i % 3) - 1;
  }
  const w = Float64Array.from([1, 2, 1, 1, 3, 1, 1, 2, 1, 1, 1, 1]);
  const offset = Float64Array.from({ length: n }, (_, i) => 0.1 * (i % 4));
  return makeGlmData(x, p, y, w, offset);
}

describe("analytic derivatives agree with finite differences", () => {
  it("NB2: gradient and Hessian in (beta, alpha)", () => {
    const d = smallData();
    const p = d.p;
    const k = p + 1;
    const beta = [0.6, 0.4, -0.3];
    const alpha = 0.7;
    const ll = (b: number[], a: number) => negbinLogLik(d, b, a);
    const grad = (b: number[], a: number) => {
      linearPredictor(d, b);
      const g = new Float64Array(k);
      const h = new Float64Array(k * k);
      negbinDerivatives(d, a, g, h);
      return { g, h };
    };
    const { g, h } = grad(beta, alpha);
    const eps = 1e-6;
    const shifted = (j: number, e: number): [number[], number] => {
      const b = [...beta];
      let a = alpha;
      if (j < p) b[j] = b[j]! + e;
      else a += e;
      return [b, a];
    };
    for (let j = 0; j < k; j++) {
      const fd = (ll(...shifted(j, eps)) - ll(...shifted(j, -eps))) / (2 * eps);
      expect(Math.abs(g[j]! - fd)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fd)));
      // Column j of the information = -d(gradient)/d(param j).
      const gp = grad(...shifted(j, eps)).g;
      const gm = grad(...shifted(j, -eps)).g;
      for (let i = 0; i <= j; i++) {
        const fdH = -(gp[i]! - gm[i]!) / (2 * eps);
        expect(Math.abs(h[i * k + j]! - fdH)).toBeLessThan(1e-6 * Math.max(1, Math.abs(fdH)));
      }
    }
  });

  it("NB2 with a tiny alpha (series branches) and the accurate log-likelihood", () => {
    const d = smallData();
    const beta = [0.6, 0.4, -0.3];
    const alpha = 1e-5;
    const k = d.p + 1;
    linearPredictor(d, beta);
    const g = new Float64Array(k);
    const h = new Float64Array(k * k);
    negbinDerivatives(d, alpha, g, h);
    const eps = 1e-9;
    const fd = (negbinLogLik(d, beta, alpha + eps) - negbinLogLik(d, beta, alpha - eps)) / (2 * eps);
    expect(Math.abs(g[d.p]! - fd)).toBeLessThan(1e-4 * Math.max(1, Math.abs(fd)));
    // Accurate and textbook log-likelihoods agree on small counts.
    const naive = negbinLogLik(d, beta, 0.7);
    expect(Math.abs(negbinLogLikAccurate(d, 0.7) - naive)).toBeLessThan(1e-11);
  });

  it("Poisson: score and information; accurate log-likelihood equals the textbook one", () => {
    const d = smallData();
    const beta = [0.5, -0.2, 0.1];
    const p = d.p;
    poissonLogLik(d, beta);
    const g = new Float64Array(p);
    const h = new Float64Array(p * p);
    poissonDerivatives(d, g, h);
    const eps = 1e-6;
    for (let j = 0; j < p; j++) {
      const bp = [...beta];
      const bm = [...beta];
      bp[j] = bp[j]! + eps;
      bm[j] = bm[j]! - eps;
      const fd = (poissonLogLik(d, bp) - poissonLogLik(d, bm)) / (2 * eps);
      expect(Math.abs(g[j]! - fd)).toBeLessThan(1e-6);
    }
    const naive = poissonLogLik(d, beta);
    expect(Math.abs(poissonLogLikAccurate(d) - naive)).toBeLessThan(1e-11);
  });
});

describe("log-likelihood for counts in the millions", () => {
  // R: dnbinom(2500000, size = 0.5, mu = 2e6, log = TRUE); dpois(3e6, 2.9e6, log = TRUE);
  // dnbinom(200, size = 1e7, mu = 180, log = TRUE)
  const one = (y: number, mu: number) =>
    makeGlmData(Float64Array.of(1), 1, Float64Array.of(y), Float64Array.of(1), Float64Array.of(Math.log(mu)));
  it("NB2 and Poisson single-row values match R to 1e-9 absolute", () => {
    const a = one(2500000, 2e6);
    linearPredictor(a, [0]);
    expect(Math.abs(negbinLogLikAccurate(a, 2) - -16.164168144260994)).toBeLessThan(1e-9);
    const b = one(3e6, 2.9e6);
    linearPredictor(b, [0]);
    expect(Math.abs(poissonLogLikAccurate(b) - -1713.0310270283433)).toBeLessThan(1e-9);
    const c = one(200, 180);
    linearPredictor(c, [0]);
    expect(Math.abs(negbinLogLikAccurate(c, 1e-7) - -4.6406070146364105)).toBeLessThan(1e-10);
  });
});
