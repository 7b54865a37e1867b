/**
 * Special functions and the normal / chi-square distribution functions the estimation needs.
 * Written out here (no dependency) with accuracy near double precision, because the reference
 * tests compare log-likelihoods and p-values with R at tight tolerances.
 */

const LOG_SQRT_2PI = 0.9189385332046728; // 0.5 * log(2 * pi)
const SQRT_2PI = 2.5066282746310002;

/** Stirling correction s(x) = lgamma(x) - [(x - 1/2) log x - x + log sqrt(2 pi)], for x >= ~15. */
export function stirlingCorrection(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 * (1 / 1188 - r2 * (691 / 360360))))));
}

/** log Gamma(x) for x > 0 (shifted to x >= 15, then Stirling's series). */
export function lgamma(x: number): number {
  if (!(x > 0)) return x === 0 ? Infinity : NaN;
  if (x >= 15) return (x - 0.5) * Math.log(x) - x + LOG_SQRT_2PI + stirlingCorrection(x);
  let prod = 1;
  let z = x;
  while (z < 15) {
    prod *= z;
    z += 1;
  }
  return (z - 0.5) * Math.log(z) - z + LOG_SQRT_2PI + stirlingCorrection(z) - Math.log(prod);
}

/** Asymptotic tail t(x) of digamma: psi(x) = log x - 1/(2x) - t(x). */
export function digammaTail(x: number): number {
  const r2 = 1 / (x * x);
  return r2 * (1 / 12 - r2 * (1 / 120 - r2 * (1 / 252 - r2 * (1 / 240 - r2 * (1 / 132 - r2 * (691 / 32760))))));
}

/** Derivative t'(x) of digammaTail. */
export function digammaTailDerivative(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return -r * r2 * (1 / 6 - r2 * (1 / 30 - r2 * (1 / 42 - r2 * (1 / 30 - r2 * (5 / 66 - r2 * (691 / 2730))))));
}

/** digamma psi(x) for x > 0. */
export function digamma(x: number): number {
  if (!(x > 0)) return NaN;
  let acc = 0;
  let z = x;
  while (z < 15) {
    acc -= 1 / z;
    z += 1;
  }
  return acc + Math.log(z) - 0.5 / z - digammaTail(z);
}

/** trigamma psi'(x) for x > 0. */
export function trigamma(x: number): number {
  if (!(x > 0)) return NaN;
  let acc = 0;
  let z = x;
  while (z < 15) {
    acc += 1 / (z * z);
    z += 1;
  }
  const r = 1 / z;
  const r2 = r * r;
  // psi'(z) = 1/z + 1/(2 z^2) + sum B_2k / z^(2k+1)
  const tail = r * r2 * (1 / 6 - r2 * (1 / 30 - r2 * (1 / 42 - r2 * (1 / 30 - r2 * (5 / 66 - r2 * (691 / 2730))))));
  return acc + r + 0.5 * r2 + tail;
}

/** Standard normal density. */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI;
}

/**
 * Upper tail Q(x) = P(Z > x) for x >= 0, with full relative accuracy in the far tail
 * (Marsaglia's Taylor series near 0, continued fraction for the Mills ratio beyond 3).
 */
function upperTail(x: number): number {
  if (x < 3) {
    // Phi(x) = 1/2 + phi(x) * (x + x^3/3 + x^5/15 + ...)
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let k = 3; k < 500; k += 2) {
      term *= x2 / k;
      const next = sum + term;
      if (next === sum) break;
      sum = next;
    }
    return 0.5 - normalPdf(x) * sum;
  }
  if (x > 40) return 0;
  // Mills ratio R(x) = 1/(x + 1/(x + 2/(x + 3/(x + ...)))) by the modified Lentz method.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    d = x + k * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = x + k / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return normalPdf(x) / f;
}

/** Standard normal cdf Phi(x), accurate in both tails. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return x >= 0 ? 1 - upperTail(x) : upperTail(-x);
}

/** P(Z > x). */
export function normalSf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  return x >= 0 ? upperTail(x) : 1 - upperTail(-x);
}

/** Two-sided normal p-value 2 * P(Z > |z|). */
export function twoSidedPValue(z: number): number {
  return Math.min(1, 2 * upperTail(Math.abs(z)));
}

/**
 * Standard normal quantile: Abramowitz-Stegun 26.2.23 start, then Halley steps on the tail
 * that holds p, so the result has full relative accuracy.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  const lower = p < 0.5;
  const q = lower ? p : 1 - p; // tail probability, <= 0.5
  const t = Math.sqrt(-2 * Math.log(q));
  let x = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
  // Solve upperTail(x) = q for x > 0.
  for (let i = 0; i < 6; i++) {
    const f = upperTail(x) - q;
    const dens = normalPdf(x);
    if (dens === 0) break;
    // Halley on h(x) = upperTail(x) - q with h' = -phi, h'' = x * phi.
    const u = -f / dens; // h / h'
    const step = u / (1 + 0.5 * x * u);
    x -= step;
    if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(x))) break;
  }
  return lower ? -x : x;
}

/** P(chi2_1 > x). */
export function chiSquare1Sf(x: number): number {
  if (!(x > 0)) return 1;
  return 2 * upperTail(Math.sqrt(x));
}

/** log(1 + u) - u, accurate for small u. */
export function log1pmx(u: number): number {
  if (Math.abs(u) < 0.1) {
    // sum_{k>=2} (-1)^(k+1) u^k / k
    let pow = u * u;
    let sum = 0;
    for (let k = 2; k < 60; k++) {
      const term = (k % 2 === 0 ? -pow : pow) / k;
      const next = sum + term;
      if (next === sum) break;
      sum = next;
      pow *= u;
    }
    return sum;
  }
  return Math.log1p(u) - u;
}

/**
 * stirlerr(n) = lgamma(n + 1) - (n + 1/2) log(n) + n - log(sqrt(2 pi)) for n > 0 (Loader 2000),
 * the Stirling-formula error that dpois/dnbinom use to avoid cancellation for large counts.
 */
export function stirlerr(n: number): number {
  if (n > 15) return stirlingCorrection(n);
  return lgamma(n + 1) - (n + 0.5) * Math.log(n) + n - LOG_SQRT_2PI;
}

/**
 * bd0 with log(m) supplied: when m has underflowed (a fitted mean at exp(-700)), x log(x/m) is
 * computed as x (log x - log m) so the result stays finite.
 */
export function bd0Log(x: number, m: number, logm: number): number {
  if (m > 1e-280) return bd0(x, m);
  return x === 0 ? m : x * (Math.log(x) - logm) + m - x;
}

/** bd0(x, m) = x log(x / m) + m - x >= 0, accurate when x is close to m (Loader 2000). */
export function bd0(x: number, m: number): number {
  if (x === 0) return m;
  const d = x - m;
  if (Math.abs(d) < 0.1 * (x + m)) {
    const v = d / (x + m);
    let s = d * v;
    let ej = 2 * x * v;
    const v2 = v * v;
    for (let j = 1; j < 1000; j++) {
      ej *= v2;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / m) + m - x;
}
