/**
 * Inverse CDF of the NB2 (mean mu, variance mu + alpha mu^2) and Poisson (alpha = 0) distributions:
 * the smallest y with P(Y <= y) >= u. Monte Carlo projections draw counts this way so that a
 * baseline and a scenario path given the same uniforms are coupled (common random numbers): the
 * difference between them then carries no independent sampling noise.
 *
 * The pmf is walked from the mode in both directions (pmf(y+1)/pmf(y) is a simple ratio), so
 * large means do not underflow P(0) and the work is O(sd) rather than O(mean).
 */
import { lgamma } from "../distributions.js";

/** log pmf at y. */
function logPmf(y: number, mu: number, alpha: number): number {
  if (alpha === 0) return y * Math.log(mu) - mu - lgamma(y + 1);
  const r = 1 / alpha;
  const q = (alpha * mu) / (1 + alpha * mu); // success-odds form: p(y) ∝ q^y (1 - q)^r
  return lgamma(y + r) - lgamma(r) - lgamma(y + 1) + r * Math.log1p(-q) + y * Math.log(q);
}

/** pmf(y + 1) / pmf(y). */
function ratioUp(y: number, mu: number, alpha: number): number {
  if (alpha === 0) return mu / (y + 1);
  return ((y + 1 / alpha) / (y + 1)) * ((alpha * mu) / (1 + alpha * mu));
}

export function countQuantile(u: number, mu: number, alpha: number): number {
  if (!(mu > 0)) return 0;
  // Mode: Poisson floor(mu); NB2 floor((r - 1) q / (1 - q)) = floor(mu (1 - alpha)) for alpha < 1, else 0.
  const mode = Math.max(0, Math.floor(alpha === 0 ? mu : mu * (1 - alpha)));
  const pMode = Math.exp(logPmf(mode, mu, alpha));
  // P(Y < mode): walk down from the mode until the terms no longer matter.
  let below = 0;
  let p = pMode;
  for (let y = mode; y > 0; y--) {
    p /= ratioUp(y - 1, mu, alpha);
    below += p;
    if (p < 1e-17 * below) break;
  }
  if (u <= below) {
    // The answer is below the mode: walk down subtracting pmf until the CDF drops below u.
    let cdf = below; // P(Y <= mode - 1)
    let q = pMode;
    for (let y = mode - 1; y >= 0; y--) {
      q /= ratioUp(y, mu, alpha); // pmf(y)
      const prev = cdf - q; // P(Y <= y - 1)
      if (prev < u) return y;
      cdf = prev;
    }
    return 0;
  }
  let cdf = below + pMode;
  let q = pMode;
  let y = mode;
  while (cdf < u) {
    q *= ratioUp(y, mu, alpha);
    y++;
    cdf += q;
    if (q === 0 || y > mode + 1e7) break; // u within rounding of 1
  }
  return y;
}
