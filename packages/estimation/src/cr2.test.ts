import { readFileSync } from "node:fs";
import { readCsv as readCsvAt } from "./test-support/read-csv.js";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { clusterRobustCR2 } from "./cr2.js";
import { expandFormula, fitCountModel, parseFormula, type Table } from "./index.js";
import { incompleteBeta, studentQuantile, studentTwoSidedPValue } from "./student-t.js";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const readCsv = (file: string): Table => readCsvAt(join(pkgDir, file));
const readJson = <T>(name: string): T => JSON.parse(readFileSync(join(pkgDir, "src", "__fixtures__", "terms", name), "utf8")) as T;
const rel = (got: number, want: number) => Math.abs(got - want) / Math.max(Math.abs(want), 1e-300);


interface Cr2Fixture {
  formula: string;
  family: "negbin2" | "poisson";
  cluster: string;
  clusters: number;
  theta: number | null;
  terms: string[];
  estimates: number[];
  stdErrors: number[];
  df: number[];
  pValues: number[];
  covariance: number[][];
}

describe("Student t (against R's pt and qt at fractional df)", () => {
  const ref = readJson<{ t: number[]; df: number[]; twoSided: number[]; q: number[]; qDf: number[]; quantile: number[] }>("student-t.json");
  it("two-sided tail probabilities at 1e-12 relative", () => {
    ref.t.forEach((t, i) => expect(rel(studentTwoSidedPValue(t, ref.df[i]!), ref.twoSided[i]!)).toBeLessThan(1e-12));
  });
  it("quantiles at 1e-12 relative", () => {
    ref.q.forEach((q, i) => expect(rel(studentQuantile(q, ref.qDf[i]!), ref.quantile[i]!)).toBeLessThan(1e-12));
  });
  it("limits: the normal at infinite df, symmetric, I_x(a, b) endpoints", () => {
    expect(studentQuantile(0.975, Infinity)).toBeCloseTo(1.959963984540054, 13);
    expect(studentQuantile(0.025, 7.5)).toBeCloseTo(-studentQuantile(0.975, 7.5), 13);
    expect(incompleteBeta(0, 2, 3)).toBe(0);
    expect(incompleteBeta(1, 2, 3)).toBe(1);
    expect(incompleteBeta(0.5, 1, 1)).toBeCloseTo(0.5, 14); // uniform
  });
});

describe("CR2 with Satterthwaite df (against clubSandwich, reference/make_cr2_fixtures.R)", () => {
  for (const name of ["epil", "epil-poisson", "insurance"]) {
    it(`${name}: CR2 SEs, covariance and Satterthwaite df at 1e-6`, () => {
      const ref = readJson<Cr2Fixture>(`cr2-${name}.json`);
      const data = readCsv(name.startsWith("epil") ? "reference/data/epil.csv" : "reference/data/insurance_raw.csv");
      const f = parseFormula(ref.formula);
      // R's locale order of the text levels (our default is code-point order).
      const e = expandFormula(data, f, name === "insurance" ? { levels: { Age: ["<25", ">35", "25-29", "30-35"] } } : {});
      const fit = fitCountModel({ ...data, ...e.columns }, { family: ref.family, outcome: f.outcome, predictors: e.predictors, seType: "expected" });
      if (ref.theta !== null) expect(rel(fit.theta!, ref.theta)).toBeLessThan(1e-6);
      const beta = fit.coefficients.map((c) => c.estimate!);
      // R's beta comes from glm at R's theta, ours from the joint NB2 maximum: equal to ~1e-7.
      beta.forEach((b, j) => expect(rel(b, ref.estimates[j]!)).toBeLessThan(1e-6));
      const n = fit.n;
      const p = beta.length;
      const x = new Float64Array(n * p);
      const mu = new Float64Array(n);
      const y = new Float64Array(n);
      const labels = new Map<string, number>();
      const cluster = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        x[i * p] = 1;
        e.predictors.forEach((name, j) => (x[i * p + j + 1] = e.columns[name]![i]!));
        let eta = 0;
        for (let j = 0; j < p; j++) eta += x[i * p + j]! * beta[j]!;
        mu[i] = Math.exp(eta);
        y[i] = Number(data[f.outcome]![i]);
        const key = String(data[ref.cluster]![i]);
        if (!labels.has(key)) labels.set(key, labels.size);
        cluster[i] = labels.get(key)!;
      }
      expect(labels.size).toBe(ref.clusters);
      const { covariance, df } = clusterRobustCR2({ x, n, p, y, mu, alpha: fit.alpha ?? 0, cluster, nClusters: labels.size });
      for (let j = 0; j < p; j++) {
        expect(rel(Math.sqrt(covariance[j * p + j]!), ref.stdErrors[j]!)).toBeLessThan(1e-6);
        expect(rel(df[j]!, ref.df[j]!)).toBeLessThan(1e-6);
        expect(rel(studentTwoSidedPValue(beta[j]! / Math.sqrt(covariance[j * p + j]!), df[j]!), ref.pValues[j]!)).toBeLessThan(1e-5);
        for (let k = 0; k < p; k++) expect(Math.abs(covariance[j * p + k]! - ref.covariance[j]![k]!)).toBeLessThan(2e-6 * Math.sqrt(ref.covariance[j]![j]! * ref.covariance[k]![k]!));
      }
    });
  }
});

describe("fitCountModel with seType cluster and clusterCorrection cr2", () => {
  const data = readCsv("reference/data/epil.csv");
  const ref = readJson<Cr2Fixture>("cr2-epil.json");
  const f = parseFormula(ref.formula);
  const e = expandFormula(data, f);
  const table = { ...data, ...e.columns };

  it("reports clubSandwich's CR2 SEs, Satterthwaite df, t p-values and t intervals", () => {
    const fit = fitCountModel(table, { family: "negbin2", outcome: "y", predictors: e.predictors, seType: "cluster", cluster: "subject", clusterCorrection: "cr2" });
    expect(fit.spec.clusterCorrection).toBe("cr2");
    fit.coefficients.forEach((c, j) => {
      expect(rel(c.stdError!, ref.stdErrors[j]!)).toBeLessThan(1e-6);
      expect(rel(c.df!, ref.df[j]!)).toBeLessThan(1e-6);
      expect(rel(c.pValue!, ref.pValues[j]!)).toBeLessThan(1e-5);
      const half = studentQuantile(0.975, c.df!) * c.stdError!;
      expect(c.ciUpper! - c.estimate!).toBeCloseTo(half, 12);
      expect(half).toBeGreaterThan(1.96 * c.stdError!); // t intervals are wider than normal ones
    });
    expect(fit.warnings.map((w) => w.code)).not.toContain("FEW_CLUSTERS"); // 59 clusters
  });

  it("warns FEW_CLUSTERS naming G below 42 clusters, with or without CR2", () => {
    const ins = readCsv("reference/data/insurance_raw.csv");
    const ei = expandFormula(ins, parseFormula("Claims ~ log(Holders) + factor(Age)"));
    const spec = { family: "poisson" as const, outcome: "Claims", predictors: ei.predictors, seType: "cluster" as const, cluster: "District" };
    const plain = fitCountModel({ ...ins, ...ei.columns }, spec);
    const w = plain.warnings.find((x) => x.code === "FEW_CLUSTERS");
    expect(w?.message).toMatch(/only 4 clusters \(G = 4\).*use the CR2 correction/);
    expect(plain.coefficients[0]!.df).toBeUndefined();
    const cr2 = fitCountModel({ ...ins, ...ei.columns }, { ...spec, clusterCorrection: "cr2" });
    expect(cr2.warnings.find((x) => x.code === "FEW_CLUSTERS")?.message).toMatch(/CR2 with Satterthwaite degrees of freedom corrects/);
    // With 4 clusters the Satterthwaite df are small and p-values much larger than the normal ones.
    expect(cr2.coefficients[1]!.df!).toBeLessThan(4);
    expect(cr2.coefficients[1]!.pValue!).toBeGreaterThan(plain.coefficients[1]!.pValue!);
  });

  it("refuses cr2 without cluster standard errors, and an unknown correction", () => {
    expect(() => fitCountModel(table, { family: "negbin2", outcome: "y", predictors: e.predictors, clusterCorrection: "cr2" })).toThrow(/clusterCorrection "cr2" needs seType "cluster"/);
    expect(() =>
      fitCountModel(table, { family: "negbin2", outcome: "y", predictors: e.predictors, seType: "cluster", cluster: "subject", clusterCorrection: "cr3" as never }),
    ).toThrow(/unknown clusterCorrection "cr3"/);
  });
});
