import { describe, expect, it } from "vitest";
import { fitCountModel } from "./fit.js";
import { formatSummary } from "./summary.js";

const data = {
  y: [0, 3, 1, 8, 0, 2, 15, 1, 9, 22, 4, 0, 5, 7, 2, 11],
  x: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1],
  x2: [0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 0, 2, 0, 2],
};

describe("formatSummary", () => {
  it("prints an R-style coefficient table, NB2 parameters, fit statistics and warnings", () => {
    const fit = fitCountModel(data, { family: "negbin2", outcome: "y", predictors: ["x", "x2"], seType: "expected" });
    const text = formatSummary(fit);
    const lines = text.split("\n");
    expect(lines[0]).toBe("Negative binomial (NB2) regression, log link");
    expect(lines[1]).toBe("Formula: y ~ x + x2");
    expect(text).toContain("Standard errors: expected information");
    const header = lines.find((l) => l.includes("Estimate"))!;
    expect(header).toMatch(/Estimate\s+Std\. Error\s+z value\s+Pr\(>\|z\|\)/);
    const x = fit.coefficients.find((c) => c.term === "x")!;
    const xLine = lines.find((l) => l.startsWith("x "))!;
    expect(xLine).toContain(x.estimate!.toFixed(6));
    expect(xLine).toContain(x.stdError!.toFixed(6));
    expect(xLine).toContain(x.z!.toFixed(3));
    expect(xLine.trimEnd().endsWith("**") || xLine.trimEnd().endsWith("*") || xLine.trimEnd().endsWith(".")).toBe(x.pValue! < 0.1);
    expect(lines.find((l) => l.startsWith("x2 "))).toMatch(/x2\s+NA\s+NA\s+NA\s+NA/);
    expect(text).toContain("(1 not defined because of singularities)");
    expect(text).toContain(`Theta: ${fit.theta!.toPrecision(6).replace(/0+$/, "")}`);
    expect(text).toContain("LR test of alpha = 0");
    expect(text).toContain(`Log-likelihood: ${fit.logLikelihood.toFixed(3)} (df=3)`);
    expect(text).toContain("Warnings:\n  [RANK_DEFICIENT]");
  });

  it("Poisson with dropped rows: no theta, deletion note", () => {
    const fit = fitCountModel({ y: [...data.y, null], x: [...data.x, 1] }, { family: "poisson", outcome: "y", predictors: ["x"] });
    const text = formatSummary(fit);
    expect(text.startsWith("Poisson regression, log link\n")).toBe(true);
    expect(text).not.toContain("Theta");
    expect(text).toContain("n = 16 (1 observation(s) deleted due to missingness)");
    expect(text).toContain("[ROWS_DROPPED_MISSING]");
  });
});
