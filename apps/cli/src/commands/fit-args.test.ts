import { describe, expect, it } from "vitest";
import { parseFitArgs } from "./fit.js";
import { CliError } from "../errors.js";

function error(argv: string[]): string {
  try {
    parseFitArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    return (err as CliError).message;
  }
  throw new Error("expected a CliError");
}

const base = ["data.csv", "--outcome", "y", "--predictors", "a,b"];

describe("parseFitArgs", () => {
  it("applies the documented defaults: negbin2, oim, table", () => {
    expect(parseFitArgs(base)).toEqual({
      file: "data.csv",
      format: "table",
      formula: null,
      spec: { family: "negbin2", outcome: "y", predictors: ["a", "b"], seType: "oim" },
    });
  });

  it("reads every option", () => {
    const opts = parseFitArgs([
      "d.csv", "--outcome=y", "--predictors", " a , b ,c", "--family", "poisson", "--exposure", "e",
      "--se", "cluster", "--cluster", "g", "--format", "json",
    ]);
    expect(opts).toEqual({
      file: "d.csv",
      format: "json",
      formula: null,
      spec: { family: "poisson", outcome: "y", predictors: ["a", "b", "c"], seType: "cluster", exposure: "e", cluster: "g" },
    });
    expect(parseFitArgs([...base, "--offset", "lo"])?.spec.offset).toBe("lo");
  });

  it("takes --cluster alone to mean cluster-robust standard errors", () => {
    expect(parseFitArgs([...base, "--cluster", "g"])?.spec.seType).toBe("cluster");
  });

  it("reads --formula (outcome from it) and --cluster-correction cr2", () => {
    const opts = parseFitArgs(["d.csv", "--formula", "y ~ log(a) + a:b + factor(g) - 1", "--cluster", "g", "--cluster-correction", "cr2"]);
    expect(opts?.formula?.text).toBe("y ~ log(a) + factor(g) + a:b - 1");
    expect(opts?.spec).toEqual({ family: "negbin2", outcome: "y", predictors: [], seType: "cluster", cluster: "g", intercept: false, clusterCorrection: "cr2" });
    expect(error(["d.csv", "--formula", "y ~ a", "--predictors", "a"])).toBe("give --formula or --predictors, not both");
    expect(error(["d.csv", "--formula", "y ~ a", "--outcome", "z"])).toBe('--outcome "z" differs from the formula\'s outcome "y"');
    expect(error(["d.csv", "--formula", "y ~ cos(a)"])).toMatch(/^--formula: unknown function "cos"/);
    expect(error([...base, "--cluster-correction", "cr2"])).toBe("--cluster-correction cr2 needs --cluster COL");
    expect(error([...base, "--cluster", "g", "--cluster-correction", "cr3"])).toBe('--cluster-correction must be one of none, cr2 (got "cr3")');
  });

  it("returns null for --help", () => {
    expect(parseFitArgs(["--help"])).toBeNull();
    expect(parseFitArgs(["-h"])).toBeNull();
  });

  it("refuses bad input with a message naming the flag", () => {
    expect(error(["--outcome", "y", "--predictors", "a"])).toMatch(/missing the CSV file/);
    expect(error(["a.csv", "b.csv", "--outcome", "y", "--predictors", "a"])).toMatch(/expected one CSV file, got 2/);
    expect(error(["d.csv", "--predictors", "a"])).toBe("missing --outcome COL (or give --formula)");
    expect(error(["d.csv", "--outcome", "y"])).toBe("missing --predictors A,B,C (or give --formula)");
    expect(error(["d.csv", "--outcome", "y", "--predictors", "a,,b"])).toMatch(/--predictors has an empty name/);
    expect(error(["d.csv", "--outcome", "y", "--predictors", "a,b,a"])).toBe('--predictors names "a" twice');
    expect(error(["d.csv", "--outcome", "y", "--predictors", "a,y"])).toMatch(/also listed in --predictors/);
    expect(error([...base, "--family", "logit"])).toBe('--family must be one of negbin2, poisson (got "logit")');
    expect(error([...base, "--se", "robust"])).toBe('--se must be one of oim, expected, hc0, hc1, cluster (got "robust")');
    expect(error([...base, "--format", "xml"])).toBe('--format must be one of table, json (got "xml")');
    expect(error([...base, "--offset", "o", "--exposure", "e"])).toBe("give --offset or --exposure, not both");
    expect(error([...base, "--se", "cluster"])).toBe("--se cluster needs --cluster COL");
    expect(error([...base, "--se", "hc1", "--cluster", "g"])).toMatch(/--cluster is only used with --se cluster/);
  });

  it("refuses unknown flags and flags without a value in one line", () => {
    const unknown = error([...base, "--weights", "w"]);
    expect(unknown).toMatch(/Unknown option '--weights'/);
    expect(unknown).not.toMatch(/\n/);
    expect(error(["d.csv", "--predictors", "a", "--outcome"])).toMatch(/--outcome <value>' argument missing/);
  });
});
