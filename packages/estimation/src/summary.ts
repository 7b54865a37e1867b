/**
 * A plain-text report of a fit that reads like R's summary(): call, coefficient table with
 * significance stars, dispersion parameter, LR test, fit statistics and warnings.
 */
import type { FitResult } from "./types.js";

/** `digits` significant digits, exponent notation for very large or small magnitudes. */
function num(v: number | null, digits = 4): string {
  if (v === null) return "NA";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(digits - 1);
  const decimals = Math.min(6, Math.max(0, digits - 1 - Math.floor(Math.log10(a))));
  return v.toFixed(decimals);
}

function fixed(v: number | null, decimals: number): string {
  if (v === null) return "NA";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e7 || a < 10 ** -decimals)) return v.toExponential(2);
  return v.toFixed(decimals);
}

/** R's p-value display: "< 2e-16" for tiny values. */
function pValue(p: number | null): string {
  if (p === null) return "NA";
  if (p < 2e-16) return "< 2e-16";
  if (p < 1e-4) return p.toExponential(2);
  return p.toFixed(4);
}

function stars(p: number | null): string {
  if (p === null) return "";
  if (p < 0.001) return "***";
  if (p < 0.01) return "**";
  if (p < 0.05) return "*";
  if (p < 0.1) return ".";
  return "";
}

function pad(s: string, width: number, left = false): string {
  return left ? s.padEnd(width) : s.padStart(width);
}

export function formatSummary(fit: FitResult): string {
  const lines: string[] = [];
  const s = fit.spec;
  const rhs = [...(s.intercept ? [] : ["0"]), ...s.predictors].join(" + ") || "1";
  const extra: string[] = [];
  if (s.offset !== undefined) extra.push(`offset(${s.offset})`);
  if (s.exposure !== undefined) extra.push(`offset(log(${s.exposure}))`);
  const familyName = fit.family === "negbin2" ? "Negative binomial (NB2)" : "Poisson";
  lines.push(`${familyName} regression, log link`);
  lines.push(`Formula: ${s.outcome} ~ ${[rhs, ...extra].join(" + ")}`);
  if (s.weights !== undefined) lines.push(`Frequency weights: ${s.weights}`);
  const seLabel: Record<string, string> = {
    oim: "observed information (OIM)",
    expected: "expected information",
    hc0: "robust sandwich (HC0)",
    hc1: "robust sandwich (HC1)",
    cluster: `cluster-robust by ${s.cluster ?? "?"} (G/(G-1))`,
  };
  lines.push(`Standard errors: ${seLabel[s.seType] ?? s.seType}`);
  lines.push("");
  lines.push("Coefficients:");
  const header = ["", "Estimate", "Std. Error", "z value", "Pr(>|z|)", ""];
  const rows = fit.coefficients.map((c) =>
    c.aliased
      ? [c.term, "NA", "NA", "NA", "NA", ""]
      : [c.term, fixed(c.estimate, 6), fixed(c.stdError, 6), fixed(c.z, 3), pValue(c.pValue), stars(c.pValue)],
  );
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((cell, j) => (j === 0 || j === 5 ? pad(cell, widths[j]!, true) : pad(cell, widths[j]!)))
      .join("  ")
      .trimEnd();
  lines.push(fmt(header));
  for (const r of rows) lines.push(fmt(r));
  lines.push("---");
  lines.push("Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1");
  if (fit.coefficients.some((c) => c.aliased)) {
    const n = fit.coefficients.filter((c) => c.aliased).length;
    lines.push(`(${n} not defined because of singularities)`);
  }
  lines.push("");
  const ranked = fit.coefficients.filter((c) => c.rank !== null).sort((a, b) => a.rank! - b.rank!);
  if (ranked.length > 0) {
    lines.push("Incidence rate ratios and x-standardized coefficients (ranked by |b*sd(x)|):");
    const w = Math.max(4, ...ranked.map((c) => c.term.length));
    lines.push(`${"".padEnd(w)}  ${pad("IRR", 10)}  ${pad("b*sd(x)", 10)}  rank`);
    for (const c of ranked) {
      lines.push(`${c.term.padEnd(w)}  ${pad(fixed(c.irr, 4), 10)}  ${pad(fixed(c.standardized, 4), 10)}  ${pad(String(c.rank), 4)}`);
    }
    lines.push("");
  }
  if (fit.family === "negbin2") {
    if (fit.alpha === 0) lines.push("alpha = 0 (at the Poisson boundary; theta not defined)");
    else {
      lines.push(`alpha: ${num(fit.alpha, 6)}  (Std. Err. ${num(fit.alphaStdError, 4)})`);
      lines.push(`Theta: ${num(fit.theta, 6)}  (Std. Err. ${num(fit.thetaStdError, 4)})`);
    }
    if (fit.lrTest !== null) {
      lines.push(
        `LR test of alpha = 0: chibar2(01) = ${fixed(fit.lrTest.statistic, 2)}, Prob >= chibar2 = ${pValue(fit.lrTest.pValue)}`,
      );
    }
  }
  lines.push(`Null deviance: ${fixed(fit.nullDeviance, 2)}  on ${fit.n - (fit.spec.intercept ? 1 : 0)}  degrees of freedom`);
  lines.push(`Residual deviance: ${fixed(fit.deviance, 2)}  on ${fit.dfResidual}  degrees of freedom`);
  lines.push(`Pearson chi2: ${fixed(fit.pearsonChi2, 2)}  (dispersion ${fixed(fit.dispersion, 4)})`);
  lines.push(
    `Log-likelihood: ${fixed(fit.logLikelihood, 3)} (df=${fit.nParams})  AIC: ${fixed(fit.aic, 2)}  BIC: ${fixed(fit.bic, 2)}  McFadden R2: ${fixed(fit.pseudoR2, 4)}`,
  );
  lines.push(
    `n = ${fit.n}${fit.dropped > 0 ? ` (${fit.dropped} observation(s) deleted due to missingness)` : ""}; ` +
      `${fit.converged ? "converged" : "NOT converged"} after ${fit.iterations} iterations`,
  );
  if (fit.warnings.length > 0) {
    lines.push("");
    lines.push("Warnings:");
    for (const w of fit.warnings) lines.push(`  [${w.code}] ${w.message}`);
  }
  return lines.join("\n") + "\n";
}
