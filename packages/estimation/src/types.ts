/**
 * Public contract of @govdiffusion/estimation. Everything here is JSON-serialisable so a
 * fit can be stored in a database and loaded back for predictions and scenarios.
 */

export type Family = "poisson" | "negbin2";
export type SeType = "oim" | "expected" | "hc0" | "hc1" | "cluster";

/** A cell: numbers for numeric columns; strings allowed for grouping columns (cluster). null/undefined/NaN = missing. */
export type Cell = number | string | null | undefined;
/** Column-oriented data: column name -> values (all columns the same length). */
export type Table = Record<string, ArrayLike<Cell>>;

export interface ModelSpec {
  family: Family;
  outcome: string;
  predictors: string[];
  /** Default true; the intercept term is named "(Intercept)". */
  intercept?: boolean;
  /** Column already on the log scale. Mutually exclusive with `exposure`. */
  offset?: string;
  /** Column of exposures (> 0); log(exposure) is used as the offset. */
  exposure?: string;
  /** Column of frequency weights (non-negative). */
  weights?: string;
  /** Default "oim". */
  seType?: SeType;
  /** Grouping column, required when seType is "cluster". */
  cluster?: string;
  /**
   * With seType "cluster": "none" (default) is the sandwich with G/(G-1) scaling (R sandwich::vcovCL);
   * "cr2" the bias-reduced CR2 covariance with Satterthwaite degrees of freedom and t-based
   * p-values and intervals (R clubSandwich::vcovCR(type = "CR2") + coef_test(test = "Satterthwaite")).
   */
  clusterCorrection?: "none" | "cr2";
  /** Default 0.95. */
  confidenceLevel?: number;
  /** "drop" (default, as R: later of collinear columns is aliased) or "error". */
  onRankDeficient?: "drop" | "error";
  /** Default 200. */
  maxIterations?: number;
  /**
   * Threads for the row passes of large fits (from 65,536 used rows; smaller fits run on the
   * calling thread). Default GOVDIFFUSION_FIT_THREADS, else os.availableParallelism(). An
   * execution setting: results are bit-for-bit the same for every value.
   */
  threads?: number;
}

export type WarningCode =
  | "RANK_DEFICIENT"
  | "ROWS_DROPPED_MISSING"
  | "ALPHA_AT_BOUNDARY"
  | "SEPARATION"
  | "NOT_CONVERGED"
  | "HESSIAN_NOT_PD"
  | "FEW_CLUSTERS";

export interface FitWarning {
  code: WarningCode;
  message: string;
  terms?: string[];
  /** 0-based row indices of the input table. */
  rows?: number[];
}

export interface Coefficient {
  term: string;
  /** null when the term is aliased (rank deficiency). */
  estimate: number | null;
  stdError: number | null;
  /** estimate / stdError (a t statistic when `df` is set). */
  z: number | null;
  pValue: number | null;
  /** Degrees of freedom of the t reference distribution (CR2 Satterthwaite); null = normal. */
  df?: number | null;
  ciLower: number | null;
  ciUpper: number | null;
  /** exp(estimate) and its CI (exp of the CI bounds). */
  irr: number | null;
  irrCiLower: number | null;
  irrCiUpper: number | null;
  /** estimate * sd(x), sample sd over the fitted rows; null for the intercept and aliased terms. */
  standardized: number | null;
  /** 1 = largest |standardized| among predictors; null for intercept/aliased. */
  rank: number | null;
  aliased: boolean;
}

export interface MarginalEffect {
  term: string;
  /** Average marginal effect dE[y]/dx = mean(beta_j * mu_i). */
  estimate: number;
  stdError: number;
  z: number;
  pValue: number;
  ciLower: number;
  ciUpper: number;
}

export interface Vif {
  term: string;
  vif: number;
}

export interface LrTest {
  /** 2 * (llNB2 - llPoisson), >= 0. */
  statistic: number;
  /** Chi-bar-squared boundary p-value: 0.5 * P(chi2_1 > statistic); 1 when statistic = 0. */
  pValue: number;
}

export interface FitResult {
  family: Family;
  spec: Required<Pick<ModelSpec, "family" | "outcome" | "predictors" | "intercept" | "seType" | "confidenceLevel">> &
    Pick<ModelSpec, "offset" | "exposure" | "weights" | "cluster" | "clusterCorrection">;
  /** All terms in design order, including aliased ones. */
  terms: string[];
  /** Fitted rows (after dropping missing). */
  n: number;
  /** Rows dropped for missing values. */
  dropped: number;
  /** 0-based indices of the input rows that were used. */
  usedRows: number[];
  /** Number of estimated parameters (estimable betas, plus alpha for negbin2 unless at boundary). */
  nParams: number;
  dfResidual: number;
  converged: boolean;
  iterations: number;
  logLikelihood: number;
  nullLogLikelihood: number;
  aic: number;
  bic: number;
  deviance: number;
  nullDeviance: number;
  pearsonChi2: number;
  dispersion: number;
  /** McFadden: 1 - ll/ll0 (ll0 = intercept-only model of the same family). */
  pseudoR2: number;
  /** NB2 only (null for poisson). */
  alpha: number | null;
  alphaStdError: number | null;
  theta: number | null;
  thetaStdError: number | null;
  /** NB2 only: LR test against Poisson. */
  lrTest: LrTest | null;
  coefficients: Coefficient[];
  /** Covariance of the estimable betas for the chosen seType, terms in order. */
  covariance: { terms: string[]; matrix: number[][] };
  /**
   * Joint OIM covariance of (estimable betas, alpha) for parametric simulation; for poisson or
   * alpha at boundary it equals `covariance` with no alpha row.
   */
  jointCovariance: { terms: string[]; matrix: number[][]; hasAlpha: boolean };
  vif: Vif[];
  marginalEffects: MarginalEffect[];
  /** Sample sd of each predictor over the fitted rows (used for standardized coefficients). */
  predictorSd: Record<string, number>;
  warnings: FitWarning[];
}

export interface Estimate {
  estimate: number;
  stdError: number;
  lower: number;
  upper: number;
}

export interface Prediction {
  /** Linear predictor including offset. */
  eta: number;
  mu: number;
  /** Delta-method SE of mu. */
  stdError: number;
  /** CI for mu from the link scale (exp(eta +- z*se_eta)). */
  lower: number;
  upper: number;
  /** P(Y >= 1) under the fitted family and alpha. */
  probAtLeastOne: number;
}

export type InterventionOperation = "scale" | "add" | "set";
export interface Intervention {
  column: string;
  operation: InterventionOperation;
  value: number;
  /** 0-based row indices the intervention applies to; all rows when omitted. */
  rows?: number[];
}

export interface ScenarioOptions {
  method: "delta" | "simulation";
  /** simulation only; default 1000. */
  draws?: number;
  /** simulation only; default 1. */
  seed?: number;
  /** default 0.95 */
  level?: number;
}

export interface ScenarioRow {
  baseline: Estimate;
  scenario: Estimate;
  difference: Estimate;
  /** P(Y >= 1) at the point estimate (beta-hat, alpha-hat); kept for compatibility, equal to the `.estimate` below. */
  probAtLeastOneBaseline: number;
  probAtLeastOneScenario: number;
  /**
   * P(Y >= 1) for the row with its uncertainty from both beta and (NB2) alpha: estimate at the MLE;
   * delta method: stdError from the gradient wrt (beta, alpha), interval on the logit scale;
   * simulation: sd and percentile interval of P over the draws of (beta, alpha).
   */
  probAtLeastOneBaselineEstimate: Estimate;
  probAtLeastOneScenarioEstimate: Estimate;
}

/**
 * How alpha's uncertainty entered the P(Y >= 1) estimates: "joint" = (beta, alpha) jointly from the
 * OIM covariance; "independent" = alpha independent of beta, with variance alphaStdError^2;
 * "none" = alpha fixed (Poisson, alpha at the boundary, or no alphaStdError).
 */
export type AlphaUncertainty = "joint" | "independent" | "none";

export interface ScenarioOutcome {
  method: "delta" | "simulation";
  level: number;
  draws: number | null;
  seed: number | null;
  baselineTotal: Estimate;
  scenarioTotal: Estimate;
  difference: Estimate;
  rows: ScenarioRow[];
  /** How alpha's sampling uncertainty was used for the P(Y >= 1) estimates (counts never depend on alpha). */
  alphaUncertainty: AlphaUncertainty;
}
