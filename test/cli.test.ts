/**
 * `govdiffusion fit` end to end: spawns the built CLI (apps/cli/bin) on the committed MASS quine
 * data and compares with the reference fits R and statsmodels made of the same file.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const bin = createRequire(import.meta.url).resolve("@govdiffusion/cli/bin/govdiffusion.js");
const estimationDir = resolve(here, "../packages/estimation");
const QUINE = join(estimationDir, "reference/data/quine.csv");
const PREDICTORS = "EthN,SexM,AgeF1,AgeF2,AgeF3,LrnSL";
const TERMS = ["(Intercept)", ...PREDICTORS.split(",")];

type Named = Record<string, number>;
interface RFit {
  coefficients: Named;
  stdErrors: Named;
  logLik: number;
  aic: number;
  bic: number;
  deviance: number;
  theta?: number;
  alpha?: number;
  lrTest?: { statistic: number; pValue: number };
  table: Record<string, { ciLower: number; ciUpper: number; z: number; pValue: number }>;
  robust: { hc0: { stdErrors: Named }; hc1: { stdErrors: Named }; cluster: Record<string, { stdErrors: Named }> };
}
interface Reference {
  predictorSd: Named;
  r: { poisson: RFit; nb2: RFit };
  statsmodels: { params: Named; bse: Named; llf: number };
}
const ref = (name: string): Reference =>
  JSON.parse(readFileSync(join(estimationDir, "src/__fixtures__", name), "utf8")) as Reference;
const quine = ref("quine.json");
const quineOffset = ref("quine_offset.json");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function run(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

interface FitJson {
  family: string;
  n: number;
  dropped: number;
  converged: boolean;
  iterations: number;
  logLikelihood: number;
  aic: number;
  bic: number;
  alpha: number | null;
  alphaStdError: number | null;
  theta: number | null;
  deviance: number;
  coefficients: {
    term: string;
    estimate: number | null;
    stdError: number | null;
    z: number | null;
    pValue: number | null;
    ciLower: number | null;
    ciUpper: number | null;
    irr: number | null;
    standardized: number | null;
  }[];
  lrTest: { statistic: number; pValue: number } | null;
  warnings: { code: string; message: string; terms?: string[]; rows?: number[] }[];
}
async function fitJson(args: string[]): Promise<FitJson> {
  const r = await run(["fit", ...args, "--format", "json"]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  // Exactly one JSON document on stdout.
  expect(r.stdout.trim().split("\n")).toHaveLength(1);
  return JSON.parse(r.stdout) as FitJson;
}

function expectRel(actual: number | null | undefined, expected: number, tol: number, what: string): void {
  expect(actual, what).toBeTypeOf("number");
  const rel = Math.abs((actual as number) - expected) / Math.max(Math.abs(expected), 1e-300);
  expect(rel, `${what}: ${actual} vs ${expected}`).toBeLessThan(tol);
}
function byTerm(json: FitJson) {
  return Object.fromEntries(json.coefficients.map((c) => [c.term, c]));
}

const tmp = mkdtempSync(join(tmpdir(), "govdiffusion-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of quine.csv with some cells replaced: edits[dataRow][column] = new text. */
function quineWith(name: string, edits: Record<number, Record<string, string>>): string {
  const [head, ...rows] = readFileSync(QUINE, "utf8").trimEnd().split("\n");
  const cols = head!.split(",");
  const out = rows.map((line, i) => {
    const cells = line.split(",");
    for (const [col, value] of Object.entries(edits[i] ?? {})) cells[cols.indexOf(col)] = value;
    return cells.join(",");
  });
  const path = join(tmp, name);
  writeFileSync(path, [head, ...out].join("\n") + "\n");
  return path;
}

describe("govdiffusion fit --format json", () => {
  it("prints exactly the documented keys, with NB2 matching R glm.nb (expected information)", async () => {
    const json = await fitJson([QUINE, "--outcome", "Days", "--predictors", PREDICTORS, "--se", "expected"]);
    expect(Object.keys(json).sort()).toEqual(
      ["family", "n", "dropped", "converged", "iterations", "logLikelihood", "aic", "bic", "alpha", "alphaStdError",
        "theta", "deviance", "coefficients", "lrTest", "warnings"].sort(),
    );
    for (const c of json.coefficients) {
      expect(Object.keys(c).sort()).toEqual(
        ["term", "estimate", "stdError", "z", "pValue", "ciLower", "ciUpper", "irr", "standardized"].sort(),
      );
    }
    const r = quine.r.nb2;
    expect(json.family).toBe("negbin2");
    expect(json.n).toBe(146);
    expect(json.dropped).toBe(0);
    expect(json.converged).toBe(true);
    expect(json.iterations).toBeGreaterThan(0);
    expect(json.warnings).toEqual([]);
    expect(json.coefficients.map((c) => c.term)).toEqual(TERMS);
    const coef = byTerm(json);
    for (const term of TERMS) {
      const c = coef[term]!;
      expectRel(c.estimate, r.coefficients[term]!, 1e-6, `${term} estimate`);
      expectRel(c.stdError, r.stdErrors[term]!, 1e-6, `${term} stdError`);
      expectRel(c.z, r.table[term]!.z, 1e-6, `${term} z`);
      expectRel(c.ciLower, r.table[term]!.ciLower, 1e-6, `${term} ciLower`);
      expectRel(c.ciUpper, r.table[term]!.ciUpper, 1e-6, `${term} ciUpper`);
      expectRel(c.irr, Math.exp(r.coefficients[term]!), 1e-6, `${term} irr`);
      if (term === "(Intercept)") expect(c.standardized).toBeNull();
      else expectRel(c.standardized, r.coefficients[term]! * quine.predictorSd[term]!, 1e-6, `${term} standardized`);
    }
    expectRel(json.theta, r.theta!, 1e-6, "theta");
    expectRel(json.alpha, 1 / r.theta!, 1e-6, "alpha");
    expect(json.alphaStdError).toBeGreaterThan(0);
    expect(Math.abs(json.logLikelihood - r.logLik)).toBeLessThan(1e-6);
    expect(Math.abs(json.aic - r.aic)).toBeLessThan(1e-6);
    expect(Math.abs(json.bic - r.bic)).toBeLessThan(1e-6);
    expectRel(json.deviance, r.deviance, 1e-6, "deviance");
    expectRel(json.lrTest?.statistic, r.lrTest!.statistic, 1e-6, "LR statistic");
    expectRel(json.lrTest?.pValue, r.lrTest!.pValue, 1e-4, "LR p-value");
  });

  it("defaults to negbin2 with OIM standard errors, matching statsmodels NegativeBinomial", async () => {
    const json = await fitJson([QUINE, "--outcome", "Days", "--predictors", PREDICTORS]);
    const sm = quine.statsmodels;
    const coef = byTerm(json);
    for (const term of TERMS) {
      expectRel(coef[term]!.estimate, sm.params[term]!, 1e-6, `${term} estimate`);
      expectRel(coef[term]!.stdError, sm.bse[term]!, 1e-5, `${term} OIM stdError`);
    }
    expectRel(json.alpha, sm.params.alpha!, 1e-6, "alpha");
    expectRel(json.alphaStdError, sm.bse.alpha!, 1e-5, "alpha OIM stdError");
  });

  it("fits Poisson with HC0 sandwich errors as R sandwich::vcovHC, and has no alpha or LR test", async () => {
    const json = await fitJson([QUINE, "--outcome", "Days", "--predictors", PREDICTORS, "--family", "poisson", "--se", "hc0"]);
    const r = quine.r.poisson;
    expect(json.family).toBe("poisson");
    const coef = byTerm(json);
    for (const term of TERMS) {
      expectRel(coef[term]!.estimate, r.coefficients[term]!, 1e-6, `${term} estimate`);
      expectRel(coef[term]!.stdError, r.robust.hc0.stdErrors[term]!, 1e-6, `${term} HC0 stdError`);
    }
    expect(Math.abs(json.logLikelihood - r.logLik)).toBeLessThan(1e-6);
    expect(json.alpha).toBeNull();
    expect(json.alphaStdError).toBeNull();
    expect(json.theta).toBeNull();
    expect(json.lrTest).toBeNull();
  });

  it("clusters by a text column (--cluster alone implies --se cluster), as R sandwich::vcovCL", async () => {
    const json = await fitJson([QUINE, "--outcome", "Days", "--predictors", PREDICTORS, "--cluster", "EthSex"]);
    const expected = quine.r.nb2.robust.cluster.EthSex!.stdErrors;
    const coef = byTerm(json);
    for (const term of TERMS) expectRel(coef[term]!.stdError, expected[term]!, 1e-6, `${term} cluster stdError`);
  });

  it("gives the same fit with --exposure COL and --offset log(COL), matching R with offset", async () => {
    const args = [QUINE, "--outcome", "Days", "--predictors", PREDICTORS, "--se", "expected"];
    const byExposure = await fitJson([...args, "--exposure", "Exposure"]);
    const byOffset = await fitJson([...args, "--offset", "LogExposure"]);
    const r = quineOffset.r.nb2;
    for (const json of [byExposure, byOffset]) {
      const coef = byTerm(json);
      for (const term of TERMS) {
        expectRel(coef[term]!.estimate, r.coefficients[term]!, 1e-6, `${term} estimate`);
        expectRel(coef[term]!.stdError, r.stdErrors[term]!, 1e-6, `${term} stdError`);
      }
      expect(Math.abs(json.logLikelihood - r.logLik)).toBeLessThan(1e-6);
    }
  });

  it("drops rows with an empty or NA cell in a used column, counts them, and ignores unused columns", async () => {
    const file = quineWith("missing.csv", { 0: { SexM: "" }, 5: { Days: "NA" }, 9: { Block: "NA" } });
    const json = await fitJson([file, "--outcome", "Days", "--predictors", PREDICTORS]);
    expect(json.n).toBe(144);
    expect(json.dropped).toBe(2);
    const warning = json.warnings.find((w) => w.code === "ROWS_DROPPED_MISSING");
    expect(warning?.rows).toEqual([0, 5]);
    const table = await run(["fit", file, "--outcome", "Days", "--predictors", PREDICTORS]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("n = 144 rows used, dropped 2 rows with missing values (missing.csv lines 2, 7)");
  });

  it("reports an aliased (exactly collinear) predictor with a null estimate", async () => {
    const file = quineWith("collinear.csv", {});
    const text = readFileSync(file, "utf8").trimEnd().split("\n");
    // EthN2 = EthN (third column) exactly: the later column is the one aliased, as R does.
    const withCopy = text.map((line, i) => `${line},${i === 0 ? "EthN2" : line.split(",")[2]}`).join("\n") + "\n";
    writeFileSync(file, withCopy);
    const aliased = await fitJson([file, "--outcome", "Days", "--predictors", "EthN,SexM,EthN2"]);
    const coef = byTerm(aliased);
    expect(coef.EthN!.estimate).toBeTypeOf("number");
    expect(coef.EthN2!.estimate).toBeNull();
    expect(coef.EthN2!.stdError).toBeNull();
    const rank = aliased.warnings.find((w) => w.code === "RANK_DEFICIENT");
    expect(rank?.terms).toEqual(["EthN2"]);
  });
});

describe("govdiffusion fit reads every CSV the same way", () => {
  /** The CLI reading the CSV from a shell pipe (not a regular file: the csv-parse reader, not the byte scanner). */
  function runPiped(file: string, args: string[]): Promise<Run> {
    return new Promise((done) => {
      const argv = ["-c", 'f=$1; shift; cat "$f" | "$@"', "sh", file, process.execPath, bin, "fit", "/dev/stdin", ...args];
      execFile("sh", argv, { encoding: "utf8" }, (err, stdout, stderr) => {
        done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
      });
    });
  }

  it("a file written as R's write.csv writes it (quoted names and labels, CRLF) and a pipe give the plain file's fit", async () => {
    const args = ["--outcome", "Days", "--predictors", PREDICTORS, "--cluster", "EthSex", "--format", "json"];
    const plain = await run(["fit", QUINE, ...args]);
    expect(plain.code).toBe(0);
    const [head, ...rows] = readFileSync(QUINE, "utf8").trimEnd().split("\n");
    const cols = head!.split(",");
    const quoted = [
      cols.map((c) => `"${c}"`).join(","),
      ...rows.map((line) => line.split(",").map((cell, j) => (cols[j] === "EthSex" ? `"${cell}"` : cell)).join(",")),
    ].join("\r\n") + "\r\n";
    const file = join(tmp, "quoted.csv");
    writeFileSync(file, "\uFEFF" + quoted);
    const fromQuoted = await run(["fit", file, ...args]);
    expect(fromQuoted.stderr).toBe("");
    expect(fromQuoted.stdout).toBe(plain.stdout);
    const piped = await runPiped(QUINE, args);
    expect(piped.stderr).toBe("");
    expect(piped.stdout).toBe(plain.stdout);
  });
});

describe("govdiffusion fit --format table", () => {
  it("prints an R-like coefficient table and the row accounting", async () => {
    const r = await run(["fit", QUINE, "--outcome", "Days", "--predictors", PREDICTORS, "--se", "expected"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    for (const term of TERMS) {
      const row = lines.find((l) => l.trimStart().startsWith(term + " "));
      expect(row, `row for ${term}`).toBeDefined();
      // The estimate, rounded as printed, appears on its row.
      const estimate = quine.r.nb2.coefficients[term]!;
      const printed = row!.trim().split(/\s+/)[1]!;
      expect(Math.abs(Number(printed) - estimate)).toBeLessThan(5e-4);
    }
    expect(r.stdout).toContain("n = 146 rows used, dropped 0 rows with missing values");
  });
});

describe("govdiffusion fit: bad input is exit code 2 and one line on stderr", () => {
  const base = ["--outcome", "Days", "--predictors", PREDICTORS];
  const cases: [string, () => string[], RegExp][] = [
    ["missing file", () => ["fit", join(tmp, "nope.csv"), ...base], /cannot read .*nope\.csv: no such file/],
    ["unknown column", () => ["fit", QUINE, "--outcome", "Days", "--predictors", "EthN,Nope"], /unknown column "Nope"/],
    ["bad flag value", () => ["fit", QUINE, ...base, "--family", "logit"], /--family must be one of negbin2, poisson/],
    ["bad --se value", () => ["fit", QUINE, ...base, "--se", "robust"], /--se must be one of/],
    ["missing --outcome", () => ["fit", QUINE, "--predictors", PREDICTORS], /missing --outcome/],
    ["offset and exposure", () => ["fit", QUINE, ...base, "--offset", "LogExposure", "--exposure", "Exposure"], /not both/],
    ["unknown flag", () => ["fit", QUINE, ...base, "--weights", "w"], /Unknown option '--weights'/],
    ["no file", () => ["fit", ...base], /missing the CSV file/],
    [
      "non-numeric cell",
      () => ["fit", quineWith("text.csv", { 3: { AgeF1: "young" } }), ...base],
      /text\.csv line 5: column "AgeF1" has a non-numeric value "young"/,
    ],
    [
      "estimation error (negative count)",
      () => ["fit", quineWith("negative.csv", { 2: { Days: "-4" } }), ...base],
      /Days.*negative\.csv lines 4\b/,
    ],
    ["unknown command", () => ["fitt"], /unknown command "fitt"/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const r = await run(args());
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
      expect(r.stderr.endsWith("\n")).toBe(true);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it("--help prints the usage and exits 0", async () => {
    const r = await run(["fit", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("usage: govdiffusion fit FILE.csv (--outcome COL --predictors A,B,C | --formula");
    const top = await run(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("commands:");
  });
});

describe("govdiffusion fit --formula and --cluster-correction cr2 (against R, reference/make_formula_fixtures.R and make_cr2_fixtures.R)", () => {
  const EPIL = join(estimationDir, "reference/data/epil.csv");
  const terms = (name: string) =>
    JSON.parse(readFileSync(join(estimationDir, "src/__fixtures__/terms", name), "utf8")) as {
      terms: string[]; estimates: number[]; stdErrors: number[]; df?: number[]; pValues?: number[];
    };
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

  it("expands log(), sqrt(), I(x^2), an interaction and factor() as R does (names, estimates, expected SEs)", async () => {
    const ref = terms("formula-epil.json");
    const r = await run(["fit", EPIL, "--formula", "y ~ log(base) + sqrt(age) + I(age^2) + log(base):age + factor(period) + factor(trt)", "--se", "expected", "--format", "json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as FitJson;
    expect(out.coefficients.map((c) => c.term)).toEqual(ref.terms);
    out.coefficients.forEach((c, j) => {
      expect(rel(c.estimate!, ref.estimates[j]!)).toBeLessThan(1e-7);
      expect(rel(c.stdError!, ref.stdErrors[j]!)).toBeLessThan(1e-7);
    });
  });

  it("CR2 with Satterthwaite df by a text cluster column (clubSandwich numbers), df in the JSON", async () => {
    const ref = terms("cr2-epil.json");
    const r = await run(["fit", EPIL, "--formula", "y ~ log(base) + sqrt(age) + factor(period) + factor(trt)", "--cluster", "subject", "--cluster-correction", "cr2", "--format", "json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Omit<FitJson, "coefficients"> & { coefficients: (FitJson["coefficients"][number] & { df: number })[] };
    out.coefficients.forEach((c, j) => {
      expect(rel(c.stdError!, ref.stdErrors[j]!)).toBeLessThan(1e-6);
      expect(rel(c.df, ref.df![j]!)).toBeLessThan(1e-6);
    });
  });

  it("refuses a bad formula, log of a non-positive value (with the file line), and both --formula and --predictors: exit 2, one line", async () => {
    const bad = await run(["fit", EPIL, "--formula", "y ~ exp(age)"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/--formula: unknown function "exp"/);
    const dir = mkdtempSync(join(tmpdir(), "gd-formula-"));
    const file = join(dir, "d.csv");
    writeFileSync(file, "y,x\n1,2\n3,0\n2,1\n5,4\n");
    const log0 = await run(["fit", file, "--formula", "y ~ log(x)", "--family", "poisson"]);
    expect(log0.code).toBe(2);
    expect(log0.stderr).toMatch(/log\(x\) cannot be computed at rows 1: x must be > 0 there \(got 0\).*lines 3/);
    rmSync(dir, { recursive: true, force: true });
    const both = await run(["fit", EPIL, "--formula", "y ~ age", "--predictors", "age"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give --formula or --predictors, not both/);
  });
});
