/**
 * Null models: the null log-likelihood (intercept-only model of the same family, NB2 with its own
 * alpha) and the null deviance as R's glm.nb defines it (intercept-only with theta fixed at the
 * full model's; without an intercept mu = exp(offset), R's linkinv(offset)).
 *
 * Without an offset the intercept-only MLE of mu is the weighted mean outcome for Poisson and for
 * NB2 at any alpha, so everything reduces to sums over the distinct outcome values: no pass over
 * the rows at all. With an offset the rows are needed and the general fitters are used.
 */
import { bd0, stirlerr } from "../distributions.js";
import { devianceAt, interceptOnly, type GlmData } from "./common.js";
import {
  ALPHA_FLOOR,
  alphaScoreAtZero,
  fitNegbin,
  groupedTerms,
  kTerm,
  momentAlpha,
  negbinLogLikAccurate,
  nTerm,
  saturatedTerm,
} from "./negbin.js";
import { fitPoisson, poissonLogLik, poissonLogLikAccurate } from "./poisson.js";

export interface NullFit {
  logLikelihood: number;
  deviance: number;
}

export function nullModels(
  gd: GlmData,
  hasIntercept: boolean,
  hasOffset: boolean,
  family: "poisson" | "negbin2",
  alpha: number,
  isNb: boolean,
  maxIterations: number,
): NullFit {
  return hasOffset
    ? rowNullModels(gd, hasIntercept, family, alpha, isNb, maxIterations)
    : groupedNullModels(gd, hasIntercept, family, alpha, isNb, maxIterations);
}

function groupedNullModels(
  gd: GlmData,
  hasIntercept: boolean,
  family: "poisson" | "negbin2",
  alpha: number,
  isNb: boolean,
  maxIterations: number,
): NullFit {
  const { groupValues: ys, groupWeights: ws } = gd;
  const G = ys.length;
  let wSum = 0;
  let ySum = 0;
  for (let g = 0; g < G; g++) {
    wSum += ws[g]!;
    ySum += ws[g]! * ys[g]!;
  }
  const mu0 = ySum / wSum;
  let poisLL = 0;
  for (let g = 0; g < G; g++) {
    const y = ys[g]!;
    poisLL -= ws[g]! * ((y > 0 ? stirlerr(y) + 0.5 * Math.log(2 * Math.PI * y) : 0) + bd0(y, mu0));
  }
  let logLikelihood = poisLL;
  if (family === "negbin2") {
    let score0 = 0;
    for (let g = 0; g < G; g++) score0 += ws[g]! * ((ys[g]! - mu0) ** 2 - ys[g]!);
    if (score0 > 0) {
      const a = nullAlpha(gd, mu0, wSum, ySum, (score0 / (wSum * mu0 * mu0)) || 1, maxIterations);
      if (a !== null) {
        const theta = 1 / a;
        let ll = 0;
        for (let g = 0; g < G; g++) {
          const y = ys[g]!;
          ll += ws[g]! * (saturatedTerm(y, a) - (bd0(y, mu0) - bd0(y + theta, mu0 + theta)));
        }
        logLikelihood = Math.max(ll, poisLL);
      }
    }
  }
  const muNull = hasIntercept ? mu0 : 1;
  let half = 0;
  const theta = 1 / alpha;
  for (let g = 0; g < G; g++) {
    const y = ys[g]!;
    half += ws[g]! * (isNb ? bd0(y, muNull) - bd0(y + theta, muNull + theta) : bd0(y, muNull));
  }
  return { logLikelihood, deviance: 2 * half };
}

/**
 * MLE of alpha for the intercept-only NB2 model with mu = mu0 (Newton in log alpha with
 * step-halving, all sums over distinct outcomes). Null when alpha collapses to the boundary.
 */
function nullAlpha(gd: GlmData, mu0: number, wSum: number, ySum: number, start: number, maxIterations: number): number | null {
  const profile = (a: number): number => {
    const [s0] = groupedTerms(gd, a, 0);
    return s0 - (ySum + wSum / a) * Math.log1p(a * mu0);
  };
  let a = Math.min(Math.max(start, 1e-4), 1e4);
  let ll = profile(a);
  for (let it = 0; it < Math.max(maxIterations, 50); it++) {
    const v = a * mu0;
    const theta = 1 / a;
    const [, s1, s2] = groupedTerms(gd, a, 2);
    const k = kTerm(v);
    const g = s1 + wSum * theta * theta * k - (ySum * mu0) / (1 + v);
    const h = s2 + wSum * theta * theta * theta * nTerm(v, k) + (ySum * mu0 * mu0) / ((1 + v) * (1 + v));
    const gt = a * g;
    const ht = a * a * h + a * g;
    let step = ht < 0 ? -gt / ht : Math.sign(gt);
    if (Math.abs(step) > 3) step = 3 * Math.sign(step);
    if (Math.abs(step) < 1e-12) break;
    let accepted = false;
    for (let s = 1, halvings = 0; halvings < 60; halvings++, s *= 0.5) {
      const trial = a * Math.exp(s * step);
      const llTrial = profile(trial);
      if (Number.isFinite(llTrial) && (llTrial >= ll - 1e-12 * Math.abs(ll) || Math.abs(s * step) < 1e-9)) {
        a = trial;
        ll = llTrial;
        accepted = true;
        break;
      }
    }
    if (!accepted || a < ALPHA_FLOOR) break;
  }
  return a < ALPHA_FLOOR ? null : a;
}

function rowNullModels(
  gd: GlmData,
  hasIntercept: boolean,
  family: "poisson" | "negbin2",
  alpha: number,
  isNb: boolean,
  maxIterations: number,
): NullFit {
  const g1 = interceptOnly(gd);
  // The Poisson intercept-only MLE is closed-form: exp(b0) = sum w y / sum w exp(offset).
  let wy = 0;
  let wE = 0;
  for (let i = 0; i < g1.n; i++) {
    wy += g1.w[i]! * g1.y[i]!;
    wE += g1.w[i]! * g1.expOffset![i]!;
  }
  const pois0 = fitPoisson(g1, maxIterations, Float64Array.of(Math.log(wy / wE)));
  const poisLL0 = poissonLogLikAccurate(g1);
  let logLikelihood = poisLL0;
  if (family === "negbin2") {
    poissonLogLik(g1, pois0.beta);
    if (alphaScoreAtZero(g1) > 0) {
      const nb0 = fitNegbin(g1, maxIterations, pois0.beta, momentAlpha(g1));
      if (!nb0.collapsed) logLikelihood = Math.max(negbinLogLikAccurate(g1, nb0.alpha), poisLL0);
    }
  }
  let deviance: number;
  if (!hasIntercept) {
    for (let i = 0; i < gd.n; i++) {
      g1.eta[i] = gd.offset === null ? 0 : gd.offset[i]!;
      g1.mu[i] = gd.offset === null ? 1 : Math.exp(gd.offset[i]!); // no intercept absorbs a shift here
    }
    g1.point++; // eta/mu moved without a pass
    deviance = devianceAt(g1, isNb ? alpha : 0);
  } else if (isNb) {
    fitNegbin(g1, maxIterations, pois0.beta, alpha, true);
    deviance = devianceAt(g1, alpha);
  } else {
    poissonLogLik(g1, pois0.beta);
    deviance = devianceAt(g1, 0);
  }
  return { logLikelihood, deviance };
}
