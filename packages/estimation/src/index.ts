export * from "./types.js";
export * from "./errors.js";
export { numericColumn, rowCount, formatRows } from "./columns.js";
// Implemented by the estimation work (see README "Estimation API"):
// export { fitCountModel } from "./fit.js";                    (data: Table, spec: ModelSpec) => FitResult
// export { formatSummary } from "./summary.js";               (fit: FitResult) => string (R summary()-like)
// export { predict } from "./predict.js";                     (fit, data: Table, {level?}) => Prediction[]
// export { applyInterventions } from "./scenario.js";         (data: Table, interventions: Intervention[]) => Table
// export { simulateScenario } from "./scenario.js";           (fit, baseline: Table, scenario: Table, opts: ScenarioOptions) => ScenarioOutcome
