export * from "./types.js";
export * from "./errors.js";
export { numericColumn, rowCount, formatRows } from "./columns.js";
export { firstNonFinite } from "./finite.js";
// Implemented by the estimation work (see README "Estimation API"):
export { fitCountModel } from "./fit.js";
export { formatSummary } from "./summary.js";
export { normalCdf, normalQuantile, normalSf, normalPdf, chiSquare1Sf, lgamma, digamma, trigamma } from "./distributions.js";
export { predict, probAtLeastOne, confidenceLevelProblem, criticalValue } from "./predict.js";
export { applyInterventions } from "./scenario.js";
export { simulateScenario, probAtLeastOneDerivatives, predictiveIntervals, type PredictiveOptions, type PredictiveOutcome } from "./scenario.js";
export { createRng, multivariateNormal, covarianceFactor, type Rng } from "./rng.js";
export {
  parseFormula, expandFormula, formulaFromPredictors, formulaOf, formulaVariables, termName, sortLevels,
  type ParsedFormula, type FormulaTerm, type NumericPart, type TermFunction, type ExpandedFormula, type ExpandedColumn,
} from "./formula.js";
export { clusterRobustCR2, MAX_CLUSTER_ROWS, type Cr2Input, type Cr2Result } from "./cr2.js";
export { studentTwoSidedPValue, studentQuantile, incompleteBeta } from "./student-t.js";
export { PEER_TERMS, isPeerTerm, createPeerGraph, peerTerm, peerWeights, type PeerTerm, type PeerGraph } from "./diffusion/peer-graph.js";
export { projectMeanField, projectMonteCarlo, MAX_HORIZON, type ProjectionInput, type ProjectionOutcome, type ProjectionYear, type MonteCarloOptions } from "./diffusion/projection.js";
export { countQuantile } from "./diffusion/count-quantile.js";
export { allocateBudget, allocationGradient, allocationObjective, type AllocationProblem, type AllocationOptions } from "./diffusion/budget.js";
export { solveTarget, solveTargetWithUncertainty, type TargetProblem, type TargetSolution } from "./diffusion/inverse.js";
export { defaultFitThreads, fitThreadStats, MAX_FIT_THREADS } from "./glm/row-threads.js";
