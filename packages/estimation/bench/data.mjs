// Seeded synthetic NB2 data shared by the bench runner, the child fits and the CSV for R/statsmodels.
import { createRng } from "../dist/index.js";

export const PREDICTORS = ["x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8"];
// x1..x5 standard-ish normals (different scales), x6..x8 binaries.
const TRUE_BETA = { "(Intercept)": 0.4, x1: 0.3, x2: -0.2, x3: 0.15, x4: 0.05, x5: -0.1, x6: 0.25, x7: -0.3, x8: 0.2 };
const SCALES = [1, 0.5, 2, 1, 0.8];
const P_BINARY = [0.3, 0.5, 0.2];
export const TRUE_ALPHA = 0.5;

/** Column-oriented data { y, x1..x8 } of n rows, identical for the same (n, seed). */
export function syntheticNb2(n, seed = 20240601) {
  const rng = createRng(seed);
  const cols = {};
  for (const name of ["y", ...PREDICTORS]) cols[name] = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let eta = TRUE_BETA["(Intercept)"];
    for (let j = 0; j < 5; j++) {
      const v = rng.normal() * SCALES[j];
      cols[PREDICTORS[j]][i] = v;
      eta += TRUE_BETA[PREDICTORS[j]] * v;
    }
    for (let j = 0; j < 3; j++) {
      const v = rng.uniform() < P_BINARY[j] ? 1 : 0;
      cols[PREDICTORS[5 + j]][i] = v;
      eta += TRUE_BETA[PREDICTORS[5 + j]] * v;
    }
    cols.y[i] = rng.negBin2(Math.exp(eta), TRUE_ALPHA);
  }
  return cols;
}
