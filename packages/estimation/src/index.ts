export * from "./types.js";
export * from "./errors.js";
export { numericColumn, rowCount, formatRows } from "./columns.js";
export { firstNonFinite } from "./finite.js";
// Implemented by the estimation work (see README "Estimation API"):
export { fitCountModel } from "./fit.js";
export { formatSummary } from "./summary.js";
export { normalCdf, normalQuantile, normalSf, normalPdf, chiSquare1Sf, lgamma, digamma, trigamma } from "./distributions.js";
export { predict, probAtLeastOne } from "./predict.js";
export { applyInterventions } from "./scenario.js";
export { simulateScenario, probAtLeastOneDerivatives } from "./scenario.js";
export { createRng, multivariateNormal, covarianceFactor, type Rng } from "./rng.js";
export { defaultFitThreads, fitThreadStats, MAX_FIT_THREADS } from "./glm/row-threads.js";
