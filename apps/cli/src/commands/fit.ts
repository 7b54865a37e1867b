import { parseArgs } from "node:util";
import { basename } from "node:path";
import {
  EstimationError,
  expandFormula,
  fitCountModel,
  formulaVariables,
  parseFormula,
  type ParsedFormula,
  formatRows,
  formatSummary,
  type Family,
  type FitResult,
  type ModelSpec,
  type SeType,
} from "@govdiffusion/estimation";
import { CliError } from "../errors.js";
import { readCsvColumns } from "../csv.js";
import type { Command } from "../main.js";

export const FIT_USAGE = `usage: govdiffusion fit FILE.csv (--outcome COL --predictors A,B,C | --formula "y ~ log(x1) + x2 + factor(g)")
       [--family negbin2|poisson] [--offset COL | --exposure COL] [--se oim|expected|hc0|hc1|cluster]
       [--cluster COL] [--cluster-correction none|cr2] [--format table|json]

Fits a count model to a CSV file (header row, comma separated; empty cells and NA are missing,
and rows with a missing value in a used column are dropped and counted).
  --outcome COL        count outcome (non-negative integers)
  --predictors A,B,C   numeric predictor columns; an intercept "(Intercept)" is added
  --formula "y ~ ..."  R formula instead of --outcome/--predictors: x, log(x), log1p(x), sqrt(x),
                       I(x^2), poly(x, 2), x:z, x*z, factor(g) (any column; first level is the
                       reference), "- 1" drops the intercept
  --family F           negbin2 (default; variance mu + alpha*mu^2) or poisson
  --offset COL         offset already on the log scale
  --exposure COL       exposure (> 0); log(exposure) is the offset
  --se TYPE            oim (default), expected (as R glm.nb), hc0, hc1, cluster
  --cluster COL        grouping column for --se cluster (labels may be text)
  --cluster-correction none (default) or cr2: bias-reduced CR2 errors with Satterthwaite
                       degrees of freedom and t-based p-values (R clubSandwich); below 42
                       clusters every cluster fit warns FEW_CLUSTERS
  --format F           table (default, like R summary()) or json`;

const FAMILIES: readonly Family[] = ["negbin2", "poisson"];
const SE_TYPES: readonly SeType[] = ["oim", "expected", "hc0", "hc1", "cluster"];
const FORMATS = ["table", "json"] as const;
type Format = (typeof FORMATS)[number];

export interface FitOptions {
  file: string;
  spec: ModelSpec;
  format: Format;
  /** Set with --formula: spec.predictors are then filled from its expansion. */
  formula: ParsedFormula | null;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new CliError(`--${flag} must be one of ${allowed.join(", ")} (got "${value}")`);
}

/** parseArgs throws TypeErrors with long multi-sentence messages; keep the first sentence. */
function argError(err: unknown): CliError {
  const e = err as { code?: string; message?: string };
  if (typeof e?.code === "string" && e.code.startsWith("ERR_PARSE_ARGS")) {
    const first = String(e.message).split(/\.\s/)[0]!.replace(/\.$/, "");
    return new CliError(`${first} (see govdiffusion fit --help)`);
  }
  return new CliError(String(e?.message ?? err));
}

/** Turns `fit` argv into a model spec; every bad flag is a CliError naming it. Returns null for --help. */
export function parseFitArgs(argv: string[]): FitOptions | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        outcome: { type: "string" },
        predictors: { type: "string" },
        family: { type: "string" },
        offset: { type: "string" },
        exposure: { type: "string" },
        se: { type: "string" },
        cluster: { type: "string" },
        "cluster-correction": { type: "string" },
        formula: { type: "string" },
        format: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw argError(err);
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  if (positionals.length === 0) throw new CliError("missing the CSV file (govdiffusion fit FILE.csv --outcome COL --predictors A,B)");
  if (positionals.length > 1) throw new CliError(`expected one CSV file, got ${positionals.length}: ${positionals.join(" ")}`);
  const file = positionals[0]!;
  let formula: ParsedFormula | null = null;
  let outcome: string;
  let predictors: string[] = [];
  if (values.formula !== undefined) {
    if (values.predictors !== undefined) throw new CliError("give --formula or --predictors, not both");
    try {
      formula = parseFormula(values.formula);
    } catch (err) {
      throw new CliError(`--formula: ${(err as Error).message}`);
    }
    if (values.outcome !== undefined && values.outcome !== formula.outcome) {
      throw new CliError(`--outcome "${values.outcome}" differs from the formula's outcome "${formula.outcome}"`);
    }
    outcome = formula.outcome;
  } else {
    if (!values.outcome) throw new CliError("missing --outcome COL (or give --formula)");
    if (values.predictors === undefined) throw new CliError("missing --predictors A,B,C (or give --formula)");
    outcome = values.outcome;
    predictors = values.predictors.split(",").map((p) => p.trim());
    if (predictors.some((p) => p === "")) throw new CliError(`--predictors has an empty name in "${values.predictors}"`);
    const dup = predictors.find((p, i) => predictors.indexOf(p) !== i);
    if (dup !== undefined) throw new CliError(`--predictors names "${dup}" twice`);
    if (predictors.includes(outcome)) throw new CliError(`--outcome "${outcome}" is also listed in --predictors`);
  }
  if (values.offset !== undefined && values.exposure !== undefined) {
    throw new CliError("give --offset or --exposure, not both");
  }
  const family = oneOf("family", values.family, FAMILIES, "negbin2");
  // A --cluster column alone means cluster-robust SEs, as Stata's vce(cluster COL).
  const seType = oneOf("se", values.se, SE_TYPES, values.cluster !== undefined ? "cluster" : "oim");
  if (seType === "cluster" && values.cluster === undefined) throw new CliError("--se cluster needs --cluster COL");
  if (seType !== "cluster" && values.cluster !== undefined) {
    throw new CliError(`--cluster is only used with --se cluster (got --se ${seType})`);
  }
  const format = oneOf("format", values.format, FORMATS, "table");
  const correction = oneOf("cluster-correction", values["cluster-correction"], ["none", "cr2"] as const, "none");
  if (correction === "cr2" && seType !== "cluster") throw new CliError("--cluster-correction cr2 needs --cluster COL");
  const spec: ModelSpec = { family, outcome, predictors, seType };
  if (formula !== null && !formula.intercept) spec.intercept = false;
  if (correction === "cr2") spec.clusterCorrection = "cr2";
  if (values.offset !== undefined) spec.offset = values.offset;
  if (values.exposure !== undefined) spec.exposure = values.exposure;
  if (values.cluster !== undefined) spec.cluster = values.cluster;
  return { file, spec, format, formula };
}

/** The documented JSON shape of `govdiffusion fit --format json` (and nothing more). */
export interface FitJson {
  family: Family;
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
    /** Only with --cluster-correction cr2: Satterthwaite degrees of freedom of the t test. */
    df?: number | null;
    ciLower: number | null;
    ciUpper: number | null;
    irr: number | null;
    standardized: number | null;
  }[];
  lrTest: { statistic: number; pValue: number } | null;
  warnings: { code: string; message: string; terms?: string[]; rows?: number[] }[];
}

export function toFitJson(fit: FitResult): FitJson {
  return {
    family: fit.family,
    n: fit.n,
    dropped: fit.dropped,
    converged: fit.converged,
    iterations: fit.iterations,
    logLikelihood: fit.logLikelihood,
    aic: fit.aic,
    bic: fit.bic,
    alpha: fit.alpha,
    alphaStdError: fit.alphaStdError,
    theta: fit.theta,
    deviance: fit.deviance,
    coefficients: fit.coefficients.map((c) => ({
      term: c.term,
      estimate: c.estimate,
      stdError: c.stdError,
      z: c.z,
      pValue: c.pValue,
      ...(c.df !== undefined ? { df: c.df } : {}),
      ciLower: c.ciLower,
      ciUpper: c.ciUpper,
      irr: c.irr,
      standardized: c.standardized,
    })),
    lrTest: fit.lrTest ? { statistic: fit.lrTest.statistic, pValue: fit.lrTest.pValue } : null,
    warnings: fit.warnings.map((w) => ({
      code: w.code,
      message: w.message,
      ...(w.terms !== undefined ? { terms: w.terms } : {}),
      ...(w.rows !== undefined ? { rows: w.rows } : {}),
    })),
  };
}

/** Table output: R-like summary, then the data accounting the summary may not show. */
export function formatFitTable(fit: FitResult, file: string, totalRows: number): string {
  const lines = [`Data: ${basename(file)}`, "", formatSummary(fit).trimEnd(), ""];
  let accounting = `n = ${fit.n} rows used, dropped ${fit.dropped} row${fit.dropped === 1 ? "" : "s"} with missing values`;
  if (fit.dropped > 0) {
    // Name the dropped rows as file lines (header = line 1) so they can be found in the CSV.
    const used = new Set(fit.usedRows);
    const droppedLines: number[] = [];
    for (let row = 0; droppedLines.length < 11 && row < totalRows; row++) {
      if (!used.has(row)) droppedLines.push(row + 2);
    }
    accounting += ` (${basename(file)} line${fit.dropped === 1 ? "" : "s"} ${formatRows(droppedLines.slice(0, 10))}${fit.dropped > 10 ? ` and ${fit.dropped - 10} more` : ""})`;
  }
  lines.push(accounting);
  return lines.join("\n") + "\n";
}

export const fit: Command = async (argv) => {
  const options = parseFitArgs(argv);
  if (options === null) {
    process.stdout.write(FIT_USAGE + "\n");
    return 0;
  }
  const { file, spec, format, formula } = options;
  // With a formula, factor() columns are read as text (labels), the other variables as numbers.
  const factors = formula === null ? [] : formula.terms.flatMap((t) => (t.kind === "factor" ? [t.variable] : []));
  const numericVars = formula === null ? spec.predictors : formulaVariables(formula).filter((v) => !factors.includes(v));
  const numeric = [spec.outcome, ...numericVars];
  if (spec.offset !== undefined) numeric.push(spec.offset);
  if (spec.exposure !== undefined) numeric.push(spec.exposure);
  const text = [...new Set([...factors, ...(spec.cluster !== undefined ? [spec.cluster] : [])])].filter((c) => !numeric.includes(c));
  const { table, rows } = await readCsvColumns(file, [...new Set(numeric)], text);
  let result: FitResult;
  try {
    let data = table;
    if (formula !== null) {
      const expanded = expandFormula(table, formula);
      data = { ...table, ...expanded.columns };
      spec.predictors = expanded.predictors;
    }
    result = fitCountModel(data, spec);
  } catch (err) {
    // Estimation names 0-based data rows; a CSV user wants file lines (header is line 1).
    if (err instanceof EstimationError && err.rows !== undefined && err.rows.length > 0) {
      const lines = err.rows.map((r) => r + 2);
      throw new CliError(`${err.message} (${file} lines ${formatRows(lines)})`);
    }
    throw err;
  }
  process.stdout.write(format === "json" ? JSON.stringify(toFitJson(result)) + "\n" : formatFitTable(result, file, rows));
  return 0;
};
