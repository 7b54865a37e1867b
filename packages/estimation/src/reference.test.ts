/**
 * Correctness against references: every number here was computed by R (MASS::glm.nb, glm,
 * sandwich) or statsmodels from the same CSV data, at tight settings, by reference/make_all.sh.
 * See reference/README.md for what each fixture number is and the call that made it.
 *
 * Each check collects all mismatches of one comparison and reports them together (label, got,
 * want, relative error), so a failure says exactly which numbers disagree and by how much.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fitCountModel } from "./index.js";
import type { Family, FitResult, ModelSpec, SeType, Table } from "./index.js";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const fixtureDir = join(pkgDir, "src", "__fixtures__");

// Tolerances of issue 2 ("Correctness, proven against references").
const TOL_COEF = 1e-7; // coefficients, expected SEs, fitted means (relative)
const TOL_THETA = 1e-6; // theta and SE(theta) (relative)
const TOL_LL = 1e-6; // log-likelihood, AIC, BIC, deviances (absolute)
const TOL_OIM = 1e-5; // oim SEs, alpha, SE(alpha) vs statsmodels (relative)
const TOL_ROBUST = 1e-6; // hc0, hc1, cluster vs sandwich (relative)

// ---------------------------------------------------------------------------------------------
// Fixture shape (written by reference/make_fixtures.R and reference/make_fixtures_oim.py).
interface Cov {
  terms: string[];
  matrix: number[][];
}
interface MeRef {
  estimate: number;
  stdError: number;
}
interface RobustRef {
  stdErrors: Record<string, number>;
  covariance: Cov;
  marginalEffects: Record<string, MeRef>;
}
interface CoefRow {
  estimate: number;
  stdError: number;
  z: number;
  pValue: number;
  ciLower: number;
  ciUpper: number;
}
interface ModelRef {
  coefficients: Record<string, number>;
  stdErrors: Record<string, number>;
  table: Record<string, CoefRow>;
  covariance: Cov;
  fitted: number[];
  logLik: number;
  logLikDf: number;
  nullLogLik: number;
  aic: number;
  bic: number;
  deviance: number;
  nullDeviance: number;
  dfResidual: number;
  pearsonChi2: number;
  pseudoR2: number;
  marginalEffects: Record<string, MeRef>;
  robust: { hc0: RobustRef; hc1: RobustRef; cluster: Record<string, RobustRef & { groups: number }> };
}
interface Nb2Ref extends ModelRef {
  theta: number;
  thetaStdError: number;
  alpha: number;
  lrTest: { statistic: number; pValue: number };
}
interface Fixture {
  dataset: string;
  csv: string;
  spec: { outcome: string; predictors: string[]; offset?: string; exposure?: string; weights?: string; clusters: string[] };
  n: number;
  vif: Record<string, number>;
  predictorSd: Record<string, number>;
  r: { poisson: ModelRef; nb2?: Nb2Ref; nb2Boundary?: { alphaScoreAtPoisson: number } };
  statsmodels?: { params: Record<string, number>; bse: Record<string, number>; llf: number; covParams: Cov };
}

// ---------------------------------------------------------------------------------------------
// Tiny CSV reader: header row, comma separated, no quoting; numeric cells become numbers, the rest
// stay strings (cluster labels such as "A_F").
function readCsv(path: string): Table {
  const lines = readFileSync(path, "utf8").split(/\r?\n/).filter((l) => l.length > 0);
  const header = (lines[0] ?? "").split(",");
  const cols: (number | string)[][] = header.map(() => []);
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    if (cells.length !== header.length) throw new Error(`${path}: row "${line}" has ${cells.length} cells`);
    cells.forEach((cell, j) => {
      const x = Number(cell);
      cols[j]!.push(cell.trim() !== "" && Number.isFinite(x) ? x : cell);
    });
  }
  return Object.fromEntries(header.map((name, j) => [name, cols[j]!]));
}

/** Collects "label: got, want" mismatches beyond a tolerance; `done()` asserts there are none. */
class Checker {
  readonly failures: string[] = [];
  /** |got - want| <= tol * max(|want|, tiny). */
  rel(label: string, got: number | null | undefined, want: number, tol: number, tiny = 1e-300): void {
    if (typeof got !== "number" || !Number.isFinite(got)) {
      this.failures.push(`${label}: got ${String(got)}, want ${want}`);
      return;
    }
    const err = Math.abs(got - want) / Math.max(Math.abs(want), tiny);
    if (!(err <= tol)) this.failures.push(`${label}: got ${got}, want ${want}, rel err ${err.toExponential(2)} > ${tol}`);
  }
  abs(label: string, got: number | null | undefined, want: number, tol: number): void {
    if (typeof got !== "number" || !Number.isFinite(got)) {
      this.failures.push(`${label}: got ${String(got)}, want ${want}`);
      return;
    }
    const err = Math.abs(got - want);
    if (!(err <= tol)) this.failures.push(`${label}: got ${got}, want ${want}, abs err ${err.toExponential(2)} > ${tol}`);
  }
  equal(label: string, got: unknown, want: unknown): void {
    if (got !== want) this.failures.push(`${label}: got ${String(got)}, want ${String(want)}`);
  }
  /** Covariance entries, each relative to sqrt(V_ii V_jj) of the reference (off-diagonals can be ~0). */
  cov(label: string, got: { terms: string[]; matrix: number[][] }, want: Cov, tol: number): void {
    for (let i = 0; i < want.terms.length; i++) {
      for (let j = 0; j < want.terms.length; j++) {
        const gi = got.terms.indexOf(want.terms[i]!);
        const gj = got.terms.indexOf(want.terms[j]!);
        const w = want.matrix[i]![j]!;
        const scale = Math.sqrt(Math.abs(want.matrix[i]![i]! * want.matrix[j]![j]!));
        const g = gi < 0 || gj < 0 ? undefined : got.matrix[gi]?.[gj];
        this.abs(`${label}[${want.terms[i]},${want.terms[j]}]`, g, w, tol * scale);
      }
    }
  }
  done(): void {
    expect(this.failures).toEqual([]);
  }
}

function loadFixtures(): [string, Fixture][] {
  return readdirSync(fixtureDir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f.replace(/\.json$/, ""), JSON.parse(readFileSync(join(fixtureDir, f), "utf8")) as Fixture]);
}

function specFor(fx: Fixture, family: Family, seType: SeType, cluster?: string, useExposure = false): ModelSpec {
  const spec: ModelSpec = { family, outcome: fx.spec.outcome, predictors: fx.spec.predictors, seType };
  if (useExposure && fx.spec.exposure !== undefined) spec.exposure = fx.spec.exposure;
  else if (fx.spec.offset !== undefined) spec.offset = fx.spec.offset;
  if (fx.spec.weights !== undefined) spec.weights = fx.spec.weights;
  if (cluster !== undefined) spec.cluster = cluster;
  return spec;
}

function coefOf(fit: FitResult, term: string): FitResult["coefficients"][number] | undefined {
  return fit.coefficients.find((c) => c.term === term);
}

/** mu_i = exp(x_i'beta + offset_i) from the returned coefficients (FitResult carries no fitted values). */
function fittedMeans(fit: FitResult, table: Table, fx: Fixture, useExposure = false): number[] {
  const n = fx.n;
  const mu: number[] = [];
  for (let i = 0; i < n; i++) {
    let eta = 0;
    for (const c of fit.coefficients) {
      if (c.estimate === null) continue;
      const x = c.term === "(Intercept)" ? 1 : (table[c.term]![i] as number);
      eta += c.estimate * x;
    }
    if (useExposure && fx.spec.exposure !== undefined) eta += Math.log(table[fx.spec.exposure]![i] as number);
    else if (fx.spec.offset !== undefined) eta += table[fx.spec.offset]![i] as number;
    mu.push(Math.exp(eta));
  }
  return mu;
}

/**
 * Coefficients, SEs, z, p, CIs, IRR, standardized, covariance, fitted means and fit statistics.
 * With frequency weights the reference is the fit on the expanded rows; the row-count bookkeeping
 * (n, dfResidual, BIC, dispersion, VIF, sd) depends on what n means and is checked separately.
 */
function checkModel(c: Checker, fit: FitResult, ref: ModelRef, fx: Fixture, table: Table, useExposure = false): void {
  const weighted = fx.spec.weights !== undefined;
  c.equal("converged", fit.converged, true);
  if (!weighted) {
    c.equal("n", fit.n, fx.n);
    c.equal("dfResidual", fit.dfResidual, ref.dfResidual);
    c.abs("bic", fit.bic, ref.bic, TOL_LL);
    c.rel("dispersion", fit.dispersion, ref.pearsonChi2 / ref.dfResidual, TOL_THETA);
    for (const [term, want] of Object.entries(fx.vif)) {
      c.rel(`vif ${term}`, fit.vif.find((v) => v.term === term)?.vif, want, 1e-9);
    }
  }
  const terms = Object.keys(ref.coefficients);
  c.equal("terms", fit.terms.join(","), terms.join(","));
  for (const term of terms) {
    const got = coefOf(fit, term);
    const row = ref.table[term]!;
    c.rel(`${term} estimate`, got?.estimate, row.estimate, TOL_COEF);
    c.rel(`${term} stdError`, got?.stdError, row.stdError, TOL_COEF);
    c.rel(`${term} z`, got?.z, row.z, TOL_COEF);
    c.rel(`${term} pValue`, got?.pValue, row.pValue, 1e-6);
    c.rel(`${term} ciLower`, got?.ciLower, row.ciLower, TOL_COEF);
    c.rel(`${term} ciUpper`, got?.ciUpper, row.ciUpper, TOL_COEF);
    // exp(b) overflows for the rescaled quine_scaled coefficient (b ~ 1e5); only finite IRRs are compared.
    if (Number.isFinite(Math.exp(row.estimate))) c.rel(`${term} irr`, got?.irr, Math.exp(row.estimate), TOL_COEF);
    if (term !== "(Intercept)" && !weighted) {
      c.rel(`${term} standardized`, got?.standardized, row.estimate * fx.predictorSd[term]!, TOL_COEF);
      c.rel(`${term} predictorSd`, fit.predictorSd[term], fx.predictorSd[term]!, 1e-12);
    }
  }
  c.cov("covariance", fit.covariance, ref.covariance, TOL_COEF);
  const mu = fittedMeans(fit, table, fx, useExposure);
  ref.fitted.forEach((want, i) => c.rel(`fitted[${i}]`, mu[i], want, TOL_COEF));
  c.abs("logLikelihood", fit.logLikelihood, ref.logLik, TOL_LL);
  c.abs("aic", fit.aic, ref.aic, TOL_LL);
  c.equal("nParams", fit.nParams, ref.logLikDf);
  c.abs("deviance", fit.deviance, ref.deviance, TOL_LL);
  c.abs("nullDeviance", fit.nullDeviance, ref.nullDeviance, TOL_LL);
  c.rel("pearsonChi2", fit.pearsonChi2, ref.pearsonChi2, TOL_THETA);
  c.abs("nullLogLikelihood", fit.nullLogLikelihood, ref.nullLogLik, TOL_LL);
  c.rel("pseudoR2", fit.pseudoR2, ref.pseudoR2, TOL_COEF);
  checkMarginalEffects(c, fit, ref.marginalEffects, TOL_COEF);
  const bad = fit.warnings.filter((w) => w.code === "NOT_CONVERGED" || w.code === "HESSIAN_NOT_PD" || w.code === "ALPHA_AT_BOUNDARY");
  c.equal("unexpected warnings", bad.map((w) => w.code).join(","), "");
}

function checkMarginalEffects(c: Checker, fit: FitResult, ref: Record<string, MeRef>, tol: number): void {
  for (const [term, want] of Object.entries(ref)) {
    const got = fit.marginalEffects.find((m) => m.term === term);
    c.rel(`AME ${term} estimate`, got?.estimate, want.estimate, tol);
    c.rel(`AME ${term} stdError`, got?.stdError, want.stdError, tol);
  }
}

function checkRobust(c: Checker, fit: FitResult, ref: RobustRef): void {
  for (const [term, want] of Object.entries(ref.stdErrors)) {
    c.rel(`${term} stdError`, coefOf(fit, term)?.stdError, want, TOL_ROBUST);
  }
  c.cov("covariance", fit.covariance, ref.covariance, TOL_ROBUST);
  checkMarginalEffects(c, fit, ref.marginalEffects, TOL_ROBUST);
}

function checkJointOim(c: Checker, fit: FitResult, sm: NonNullable<Fixture["statsmodels"]>): void {
  c.equal("jointCovariance.hasAlpha", fit.jointCovariance.hasAlpha, true);
  const terms = fit.jointCovariance.terms.map((t, k) => (k === fit.jointCovariance.terms.length - 1 && fit.jointCovariance.hasAlpha ? "alpha" : t));
  c.cov("jointCovariance", { terms, matrix: fit.jointCovariance.matrix }, sm.covParams, TOL_OIM);
}

// ---------------------------------------------------------------------------------------------
for (const [name, fx] of loadFixtures()) {
  const table = readCsv(join(pkgDir, fx.csv));
  const nb2 = fx.r.nb2;
  const sm = fx.statsmodels;
  const pois = fx.r.poisson;

  describe(`${name} (${fx.dataset})`, () => {
    it("Poisson matches glm(family = poisson): estimates, SEs, fitted means, fit statistics", () => {
      const c = new Checker();
      const fit = fitCountModel(table, specFor(fx, "poisson", "expected"));
      checkModel(c, fit, pois, fx, table);
      c.equal("alpha", fit.alpha, null);
      c.equal("lrTest", fit.lrTest, null);
      c.done();
    });

    it("Poisson oim SEs equal the expected ones (canonical link)", () => {
      const c = new Checker();
      const fit = fitCountModel(table, specFor(fx, "poisson", "oim"));
      for (const [term, want] of Object.entries(pois.stdErrors)) c.rel(`${term} stdError`, coefOf(fit, term)?.stdError, want, TOL_COEF);
      c.done();
    });

    // HC1's n/(n-k) depends on what n means under frequency weights: see the weights bookkeeping test.
    const hcTypes = fx.spec.weights === undefined ? (["hc0", "hc1"] as const) : (["hc0"] as const);
    for (const se of hcTypes) {
      it(`Poisson ${se} matches sandwich::vcovHC(type = "${se.toUpperCase()}")`, () => {
        const c = new Checker();
        checkRobust(c, fitCountModel(table, specFor(fx, "poisson", se)), pois.robust[se]);
        c.done();
      });
    }
    for (const [cluster, ref] of Object.entries(pois.robust.cluster)) {
      it(`Poisson cluster by ${cluster} (${ref.groups} groups) matches sandwich::vcovCL(type = "HC0", cadjust = TRUE)`, () => {
        const c = new Checker();
        checkRobust(c, fitCountModel(table, specFor(fx, "poisson", "cluster", cluster)), ref);
        c.done();
      });
    }

    if (nb2 !== undefined) {
      it("NB2 expected matches glm.nb summary: estimates, SEs, fitted means, theta, fit statistics", () => {
        const c = new Checker();
        const fit = fitCountModel(table, specFor(fx, "negbin2", "expected"));
        checkModel(c, fit, nb2, fx, table);
        c.rel("theta", fit.theta, nb2.theta, TOL_THETA);
        c.rel("thetaStdError", fit.thetaStdError, nb2.thetaStdError, TOL_THETA);
        c.rel("alpha", fit.alpha, nb2.alpha, TOL_THETA);
        c.abs("lrTest.statistic", fit.lrTest?.statistic, nb2.lrTest.statistic, 2 * TOL_LL);
        c.rel("lrTest.pValue", fit.lrTest?.pValue, nb2.lrTest.pValue, 1e-6);
        if (sm !== undefined) checkJointOim(c, fit, sm);
        c.done();
      });

      if (sm !== undefined) {
        it("NB2 oim matches statsmodels NegativeBinomial (Newton): SEs, alpha, SE(alpha), joint covariance", () => {
          const c = new Checker();
          const fit = fitCountModel(table, specFor(fx, "negbin2", "oim"));
          for (const [term, want] of Object.entries(sm.bse)) {
            if (term === "alpha") continue;
            c.rel(`${term} estimate`, coefOf(fit, term)?.estimate, sm.params[term]!, TOL_OIM);
            c.rel(`${term} stdError`, coefOf(fit, term)?.stdError, want, TOL_OIM);
          }
          c.rel("alpha", fit.alpha, sm.params["alpha"]!, TOL_OIM);
          c.rel("alphaStdError", fit.alphaStdError, sm.bse["alpha"]!, TOL_OIM);
          c.abs("logLikelihood", fit.logLikelihood, sm.llf, TOL_LL);
          // The beta block of the joint OIM covariance is the reported covariance.
          const beta = { terms: sm.covParams.terms.slice(0, -1), matrix: sm.covParams.matrix.slice(0, -1).map((r) => r.slice(0, -1)) };
          c.cov("covariance", fit.covariance, beta, TOL_OIM);
          checkJointOim(c, fit, sm);
          c.done();
        });
      }

      for (const se of hcTypes) {
        it(`NB2 ${se} matches sandwich::vcovHC(glm.nb, type = "${se.toUpperCase()}")`, () => {
          const c = new Checker();
          checkRobust(c, fitCountModel(table, specFor(fx, "negbin2", se)), nb2.robust[se]);
          c.done();
        });
      }
      for (const [cluster, ref] of Object.entries(nb2.robust.cluster)) {
        it(`NB2 cluster by ${cluster} (${ref.groups} groups) matches sandwich::vcovCL(glm.nb, type = "HC0", cadjust = TRUE)`, () => {
          const c = new Checker();
          checkRobust(c, fitCountModel(table, specFor(fx, "negbin2", "cluster", cluster)), ref);
          c.done();
        });
      }

      if (fx.spec.offset !== undefined && fx.spec.exposure !== undefined) {
        it(`NB2 with exposure ${fx.spec.exposure} equals the fit with offset ${fx.spec.offset} = log(${fx.spec.exposure})`, () => {
          const c = new Checker();
          const fit = fitCountModel(table, specFor(fx, "negbin2", "expected", undefined, true));
          for (const [term, want] of Object.entries(nb2.table)) {
            c.rel(`${term} estimate`, coefOf(fit, term)?.estimate, want.estimate, TOL_COEF);
            c.rel(`${term} stdError`, coefOf(fit, term)?.stdError, want.stdError, TOL_COEF);
          }
          const mu = fittedMeans(fit, table, fx, true);
          nb2.fitted.forEach((want, i) => c.rel(`fitted[${i}]`, mu[i], want, TOL_COEF));
          c.rel("theta", fit.theta, nb2.theta, TOL_THETA);
          c.abs("logLikelihood", fit.logLikelihood, nb2.logLik, TOL_LL);
          c.done();
        });
      }
    }

    if (fx.spec.weights !== undefined && nb2 !== undefined) {
      it(`frequency weights ${fx.spec.weights} count as replicated rows: n, dfResidual, BIC, HC1, VIF and sd as on the expanded data`, () => {
        const c = new Checker();
        const fit = fitCountModel(table, specFor(fx, "negbin2", "expected"));
        c.equal("n", fit.n, fx.n);
        c.equal("dfResidual", fit.dfResidual, nb2.dfResidual);
        c.abs("bic", fit.bic, nb2.bic, TOL_LL);
        c.rel("dispersion", fit.dispersion, nb2.pearsonChi2 / nb2.dfResidual, TOL_THETA);
        for (const [term, want] of Object.entries(fx.vif)) c.rel(`vif ${term}`, fit.vif.find((v) => v.term === term)?.vif, want, 1e-9);
        for (const [term, want] of Object.entries(fx.predictorSd)) c.rel(`${term} predictorSd`, fit.predictorSd[term], want, 1e-12);
        const hc1 = fitCountModel(table, specFor(fx, "negbin2", "hc1"));
        for (const [term, want] of Object.entries(nb2.robust.hc1.stdErrors)) c.rel(`hc1 ${term} stdError`, coefOf(hc1, term)?.stdError, want, TOL_ROBUST);
        c.done();
      });
    }

    if (fx.r.nb2Boundary !== undefined) {
      it("NB2 at the boundary (score of alpha at the Poisson fit <= 0): alpha = 0, the Poisson fit, LR 0 and p = 1", () => {
        expect(fx.r.nb2Boundary!.alphaScoreAtPoisson).toBeLessThanOrEqual(0);
        const c = new Checker();
        const fit = fitCountModel(table, specFor(fx, "negbin2", "expected"));
        c.equal("ALPHA_AT_BOUNDARY warning", fit.warnings.some((w) => w.code === "ALPHA_AT_BOUNDARY"), true);
        c.equal("alpha", fit.alpha, 0);
        for (const [term, want] of Object.entries(pois.table)) {
          c.rel(`${term} estimate`, coefOf(fit, term)?.estimate, want.estimate, TOL_COEF);
          c.rel(`${term} stdError`, coefOf(fit, term)?.stdError, want.stdError, TOL_COEF);
        }
        c.abs("logLikelihood", fit.logLikelihood, pois.logLik, TOL_LL);
        c.abs("aic", fit.aic, pois.aic, TOL_LL);
        c.equal("nParams", fit.nParams, pois.logLikDf);
        c.equal("lrTest.statistic", fit.lrTest?.statistic, 0);
        c.equal("lrTest.pValue", fit.lrTest?.pValue, 1);
        c.done();
      });
    }
  });
}
