import { readFileSync } from "node:fs";
import { readCsv as readCsvAt } from "./test-support/read-csv.js";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { expandFormula, fitCountModel, formulaFromPredictors, formulaVariables, parseFormula, sortLevels, type Table } from "./index.js";

const readCsv = (file: string): Table => readCsvAt(join(pkgDir, file));

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");


interface FormulaFixture {
  formula: string;
  family: "negbin2" | "poisson";
  data: string;
  terms: string[];
  estimates: number[];
  stdErrors: number[];
  theta: number | null;
  thetaStdError: number | null;
  logLik: number;
}
const fixture = (name: string): FormulaFixture =>
  JSON.parse(readFileSync(join(pkgDir, "src", "__fixtures__", "terms", `formula-${name}.json`), "utf8")) as FormulaFixture;

const rel = (got: number, want: number) => Math.abs(got - want) / Math.max(Math.abs(want), 1e-300);

describe("parseFormula", () => {
  it("reads R's forms and writes them back canonically, main effects before interactions", () => {
    const f = parseFormula("y ~ log(x1) + x2 + x1:x2 + factor(g)");
    expect(f.outcome).toBe("y");
    expect(f.intercept).toBe(true);
    expect(f.text).toBe("y ~ log(x1) + x2 + factor(g) + x1:x2");
    expect(formulaVariables(f)).toEqual(["x1", "x2", "g"]);
  });

  it("expands a*b into a + b + a:b, poly(x, 2) into x + I(x^2), and drops duplicates", () => {
    expect(parseFormula("y ~ log(a) * b").text).toBe("y ~ log(a) + b + log(a):b");
    expect(parseFormula("y ~ poly(x, 2) + x").text).toBe("y ~ x + I(x^2)");
    expect(parseFormula("y ~ poly(x, 3, raw = TRUE)").text).toBe("y ~ x + I(x^2) + I(x^3)");
    expect(parseFormula("y ~ a*b*c").text).toBe("y ~ a + b + c + a:b + a:c + b:c + a:b:c");
  });

  it("drops the intercept with - 1 or + 0", () => {
    expect(parseFormula("y ~ x - 1").intercept).toBe(false);
    expect(parseFormula("y ~ 0 + x").intercept).toBe(false);
    expect(parseFormula("y ~ x - 1").text).toBe("y ~ x - 1");
  });

  it("refuses what it cannot compute, naming the place", () => {
    expect(() => parseFormula("y ~ exp(x)")).toThrow(/unknown function "exp" at character 5/);
    expect(() => parseFormula("y ~ x +")).toThrow(/expected a variable or a function at the end/);
    expect(() => parseFormula("y x")).toThrow(/expected "~" at character 3/);
    expect(() => parseFormula("y ~ x:factor(g)")).toThrow(/interactions with factor\(g\) are not supported/);
    expect(() => parseFormula("y ~ I(x^5)")).toThrow(/powers from 1 to 3/);
    expect(() => parseFormula("y ~ poly(x, 2, raw = FALSE)")).toThrow(/only raw powers/);
    expect(() => parseFormula("y ~ x $ z")).toThrow(/unexpected character "\$"/);
  });

  it("formulaFromPredictors writes a plain list as a formula", () => {
    expect(formulaFromPredictors("y", ["a", "b"]).text).toBe("y ~ a + b");
  });
});

describe("expandFormula", () => {
  const data: Table = { y: [1, 2, 3, 4], x: [1, 2, 4, 8], z: [0.5, 1, 1.5, 2], g: ["b", "a", "c", "a"], yr: [2020, 2014, 2015, 2014] };

  it("computes transformed and interacted columns by hand", () => {
    const e = expandFormula(data, parseFormula("y ~ log(x) * z + sqrt(x) + I(z^2) + log1p(z)"));
    expect(e.predictors).toEqual(["log(x)", "z", "sqrt(x)", "I(z^2)", "log1p(z)", "log(x):z"]);
    expect([...e.columns["log(x)"]!]).toEqual([0, Math.log(2), Math.log(4), Math.log(8)]);
    expect([...e.columns["log(x):z"]!]).toEqual([0, Math.log(2) * 1, Math.log(4) * 1.5, Math.log(8) * 2]);
    expect([...e.columns["I(z^2)"]!]).toEqual([0.25, 1, 2.25, 4]);
    expect([...e.columns["sqrt(x)"]!]).toEqual([1, Math.SQRT2, 2, Math.sqrt(8)]);
    expect(e.expanded.find((c) => c.name === "log(x):z")?.variables).toEqual(["x", "z"]);
  });

  it("codes factors with the first sorted level as reference (numeric levels sorted as numbers)", () => {
    const e = expandFormula(data, parseFormula("y ~ factor(g) + factor(yr)"));
    expect(e.levels).toEqual({ g: ["a", "b", "c"], yr: ["2014", "2015", "2020"] });
    expect(e.predictors).toEqual(["factor(g)b", "factor(g)c", "factor(yr)2015", "factor(yr)2020"]);
    expect([...e.columns["factor(g)b"]!]).toEqual([1, 0, 0, 0]);
    expect([...e.columns["factor(yr)2020"]!]).toEqual([1, 0, 0, 0]);
    expect(sortLevels(["10", "9", "100"])).toEqual(["9", "10", "100"]);
  });

  it("without an intercept the first factor keeps every level, as R", () => {
    const e = expandFormula(data, parseFormula("y ~ factor(g) + factor(yr) - 1"));
    expect(e.predictors).toEqual(["factor(g)a", "factor(g)b", "factor(g)c", "factor(yr)2015", "factor(yr)2020"]);
  });

  it("refuses log of a value <= 0 with the rows and the column", () => {
    const bad = { ...data, x: [1, 0, -2, 8] };
    expect(() => expandFormula(bad, parseFormula("y ~ log(x)"))).toThrow(/log\(x\) cannot be computed at rows 1, 2: x must be > 0 there \(got 0\)/);
    try {
      expandFormula(bad, parseFormula("y ~ log(x)"));
    } catch (err) {
      expect(err).toMatchObject({ code: "INVALID_INPUT", column: "x", rows: [1, 2] });
    }
  });

  it("missing inputs give NaN (the fit drops the row); unknown columns and text in numeric terms are refused", () => {
    const e = expandFormula({ ...data, x: [1, null, 4, "NA"], g: ["a", "", "b", "a"] }, parseFormula("y ~ log(x) + factor(g)"));
    expect(Number.isNaN(e.columns["log(x)"]![1]!)).toBe(true);
    expect(Number.isNaN(e.columns["log(x)"]![3]!)).toBe(true);
    expect(Number.isNaN(e.columns["factor(g)b"]![1]!)).toBe(true);
    expect(() => expandFormula(data, parseFormula("y ~ w"))).toThrow(/unknown column "w"/);
    expect(() => expandFormula(data, parseFormula("y ~ g"))).toThrow(/column "g" has non-numeric values at rows 0, 1, 2, 3; use factor\(g\)/);
  });

  it("re-derives every column from changed raw values with the fitted levels (a what-if on x)", () => {
    const f = parseFormula("y ~ log(x) * z + I(x^2) + factor(g)");
    const fitted = expandFormula(data, f);
    const scaled = { ...data, x: (data["x"] as number[]).map((v) => v * 1.1), g: ["b", "b", "b", "b"] };
    const again = expandFormula(scaled, f, { levels: fitted.levels });
    expect(again.predictors).toEqual(fitted.predictors);
    for (let i = 0; i < 4; i++) {
      expect(again.columns["log(x)"]![i]).toBeCloseTo(fitted.columns["log(x)"]![i]! + Math.log(1.1), 14);
      expect(again.columns["I(x^2)"]![i]).toBeCloseTo(fitted.columns["I(x^2)"]![i]! * 1.21, 10);
      expect(again.columns["log(x):z"]![i]).toBeCloseTo((fitted.columns["log(x)"]![i]! + Math.log(1.1)) * (data["z"] as number[])[i]!, 14);
    }
    // A single-level counterfactual factor keeps the fitted dummies.
    expect([...again.columns["factor(g)b"]!]).toEqual([1, 1, 1, 1]);
    expect(() => expandFormula({ ...data, g: ["a", "d", "a", "a"] }, f, { levels: fitted.levels })).toThrow(/levels the model was not fitted on at rows 1 \(e.g. "d"\)/);
  });
});

describe("formula fits against R (MASS::glm.nb on R's own model.matrix), reference/make_formula_fixtures.R", () => {
  for (const [name, levels] of [
    ["epil", undefined],
    ["epil-poly", undefined],
    // R sorts text levels in its locale's collation; the test hands it R's order (our default is code-point order).
    ["insurance", { Group: ["<1l", ">2l", "1-1.5l", "1.5-2l"], Age: ["<25", ">35", "25-29", "30-35"] }],
  ] as [string, Record<string, string[]> | undefined][]) {
    it(`${name}: coefficients and expected SEs at 1e-7, theta at 1e-6, log-likelihood at 1e-6`, () => {
      const ref = fixture(name);
      const data = readCsv(ref.data);
      const f = parseFormula(ref.formula);
      const e = expandFormula(data, f, levels ? { levels } : {});
      expect(e.predictors.length + 1).toBe(ref.terms.length);
      if (name !== "epil-poly") expect(["(Intercept)", ...e.predictors]).toEqual(ref.terms); // R names poly columns poly(age, 2, raw = TRUE)1
      const fit = fitCountModel({ ...data, ...e.columns }, { family: ref.family, outcome: f.outcome, predictors: e.predictors, seType: "expected" });
      expect(fit.converged).toBe(true);
      fit.coefficients.forEach((c, j) => {
        expect(rel(c.estimate!, ref.estimates[j]!)).toBeLessThan(1e-7);
        expect(rel(c.stdError!, ref.stdErrors[j]!)).toBeLessThan(1e-7);
      });
      if (ref.theta !== null) expect(rel(fit.theta!, ref.theta)).toBeLessThan(1e-6);
      else expect(fit.theta).toBeNull();
      expect(Math.abs(fit.logLikelihood - ref.logLik)).toBeLessThan(1e-6);
    });
  }
});
