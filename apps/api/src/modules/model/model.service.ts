import { confidenceLevelProblem, EstimationError, firstNonFinite, fitCountModel, type FitResult, type ModelSpec } from "@govdiffusion/estimation";
import type { AnalysisFrame, PeerTerm, StoredModel, StoredModelSpec } from "@govdiffusion/db";
import type { DataAccess } from "../../data-access.js";
import { ConflictError, NotFoundError, ValidationError } from "@govdiffusion/db";
import { GraphQLError } from "graphql";
import type { WorkPool } from "../../pool/work-pool.js";
import { degenerateModel, degenerateReason } from "./finite.js";

/** What fitModel accepts, in the packages' vocabulary (lower-case enum values). */
export interface FitModelCommand {
  name: string;
  datasetId: number;
  years: number[];
  outcome: string;
  predictors: string[];
  family: "negbin2" | "poisson";
  seType: "oim" | "expected" | "hc0" | "hc1" | "cluster";
  cluster?: "prefecture" | null;
  offset?: string | null;
  exposure?: string | null;
  peer?: PeerTerm[] | null;
  confidenceLevel?: number | null;
}

/** The frame request a stored spec was (or will be) fitted on; peer terms are requested separately. */
export function frameRequestOf(spec: StoredModelSpec, years: number[] = spec.years) {
  const peer = spec.peer ?? [];
  const peerSet = new Set<string>(peer);
  const extra = [spec.offset, spec.exposure, spec.weights].filter((c): c is string => typeof c === "string");
  return {
    datasetId: spec.datasetId,
    years,
    outcome: spec.outcome,
    predictors: spec.predictors.filter((p) => !peerSet.has(p)),
    peer,
    ...(extra.length > 0 ? { extra } : {}),
  };
}

export class ModelService {
  constructor(
    private readonly data: DataAccess,
    /** Called when a model is deleted so prepared what-if state is dropped. */
    private readonly onDelete: (id: number) => void = () => {},
    /** Where fit() runs fitHere (the server's worker threads); without one, in this thread. */
    private readonly work?: WorkPool,
  ) {}

  /** Stored models, without degenerate fits (non-finite numbers) that older versions stored: one must not break the list. */
  async list(): Promise<StoredModel[]> {
    return (await this.data.repos.models.list()).filter((m) => degenerateReason(m) === undefined);
  }

  /** A degenerate stored fit is ESTIMATION_FAILED (reason NON_FINITE), never a broken response. */
  async byId(id: number, field = "id"): Promise<StoredModel> {
    const m = await this.data.repos.models.byId(id);
    if (!m) throw new NotFoundError(`model ${id} not found`, field);
    const why = degenerateReason(m);
    if (why) throw degenerateModel(m, why);
    return m;
  }

  async delete(id: number): Promise<boolean> {
    const ok = await this.data.repos.models.delete(id);
    if (!ok) throw new NotFoundError(`model ${id} not found`, "id");
    this.onDelete(id);
    return true;
  }

  /** fitHere in the work pool: building a large frame and fitting it would block the event loop. */
  fit(cmd: FitModelCommand): Promise<StoredModel> {
    return this.work ? this.work.run("fitModel", cmd) : this.fitHere(cmd);
  }

  /**
   * Validates, builds the frame, and returns the stored model with the same fingerprint or fits and
   * stores a new one, in the calling thread (a pool thread, through fit()).
   */
  async fitHere(cmd: FitModelCommand): Promise<StoredModel> {
    const spec = await this.validate(cmd);
    const frame = await this.frame(spec);
    const fingerprint = this.data.fingerprintModel(spec, frame);
    const existing = await this.data.repos.models.byFingerprint(fingerprint);
    if (existing) return existing;

    const nParams = spec.predictors.length + 1 + (spec.family === "negbin2" ? 1 : 0);
    if (frame.rows.length <= nParams) {
      throw new ValidationError(
        "input.years",
        `only ${frame.rows.length} complete county-years in dataset ${spec.datasetId} for years ${spec.years.join(", ")}` +
          ` (${frame.dropped.length} dropped for missing values); a model with ${nParams} parameters needs more rows than that`,
        "TOO_FEW_ROWS",
      );
    }
    checkOffsetRange(frame, spec);
    const result = fitOrExplain(frame, spec);
    const bad = firstNonFinite(result);
    if (bad) {
      // Never stored: NaN/Infinity would break every later read of the model.
      const column = spec.offset ? "offset" : spec.exposure ? "exposure" : undefined;
      if (column) {
        throw new ValidationError(
          `input.${column}`,
          `the fit with ${column} "${spec[column]}" is degenerate (${bad} is not a finite number); ` +
            (column === "offset" ? "an offset is on the log scale (e.g. log population); for a count use exposure" : "check the exposure values"),
          "OUT_OF_RANGE",
        );
      }
      throw new GraphQLError(`the fit is degenerate (${bad} is not a finite number); rescale the predictors or simplify the model`, {
        extensions: { code: "ESTIMATION_FAILED", reason: "NON_FINITE" },
      });
    }
    try {
      return await this.data.repos.models.create({ name: cmd.name.trim(), spec, result, fingerprint });
    } catch (err) {
      // The same spec fitted concurrently (another request, server process or replica) was stored first.
      const stored = err instanceof ConflictError ? await this.data.repos.models.byFingerprint(fingerprint) : null;
      if (stored) return stored;
      throw err;
    }
  }

  /**
   * The db package names frame fields without the argument and by list ("predictors", "extra"):
   * errors here name the input field, e.g. "input.predictors[1]" or "input.offset".
   */
  private async frame(spec: StoredModelSpec): Promise<AnalysisFrame> {
    try {
      return await this.data.buildAnalysisFrame(frameRequestOf(spec));
    } catch (err) {
      if (err instanceof ValidationError && !err.field.startsWith("input.")) {
        throw new ValidationError(inputFieldOf(err, spec), err.message, err.reason, { cause: err });
      }
      throw err;
    }
  }

  private async validate(cmd: FitModelCommand): Promise<StoredModelSpec> {
    const { repos } = this.data;
    const name = cmd.name.trim();
    if (name === "" || name.length > 200) throw new ValidationError("input.name", "name must be 1 to 200 characters", "OUT_OF_RANGE");

    const dataset = await repos.datasets.byId(cmd.datasetId);
    if (!dataset) throw new ValidationError("input.datasetId", `dataset ${cmd.datasetId} does not exist`, "UNKNOWN_DATASET");

    if (cmd.years.length === 0) throw new ValidationError("input.years", "give at least one year", "OUT_OF_RANGE");
    const available = new Set(await repos.observations.years(cmd.datasetId));
    const missingYears = cmd.years.filter((y) => !available.has(y));
    if (missingYears.length > 0) {
      throw new ValidationError(
        "input.years",
        `dataset ${cmd.datasetId} has no observations for ${missingYears.join(", ")} (it has ${[...available].sort().join(", ") || "none"})`,
        "UNKNOWN_YEAR",
      );
    }
    const years = [...new Set(cmd.years)].sort((a, b) => a - b);

    const peer = [...new Set(cmd.peer ?? [])];
    const named = [cmd.outcome, ...cmd.predictors, cmd.offset, cmd.exposure].filter((k): k is string => typeof k === "string");
    const known = new Set((await repos.indicators.byKeys([...new Set(named)])).map((i) => i.key));
    const unknown = (field: string, key: string) =>
      new ValidationError(field, `unknown indicator "${key}" (see the indicators query)`, "UNKNOWN_INDICATOR");

    if (!known.has(cmd.outcome)) throw unknown("input.outcome", cmd.outcome);
    const seen = new Set<string>();
    cmd.predictors.forEach((p, i) => {
      if (!known.has(p)) throw unknown(`input.predictors[${i}]`, p);
      if (p === cmd.outcome) throw new ValidationError(`input.predictors[${i}]`, `the outcome "${p}" cannot also be a predictor`, "INVALID");
      if (seen.has(p)) {
        throw new ValidationError(
          `input.predictors[${i}]`,
          `"${p}" appears twice among the predictors: the design would be rank-deficient (perfectly collinear columns)`,
          "SINGULAR_DESIGN",
        );
      }
      seen.add(p);
    });
    if (cmd.offset && cmd.exposure) throw new ValidationError("input.exposure", "give either offset or exposure, not both", "INVALID");
    if (cmd.offset && !known.has(cmd.offset)) throw unknown("input.offset", cmd.offset);
    if (cmd.exposure && !known.has(cmd.exposure)) throw unknown("input.exposure", cmd.exposure);

    const level = cmd.confidenceLevel ?? 0.95;
    // Also refuses levels whose interval cannot be computed (0.9999999999999999), blaming this field.
    const levelProblem = confidenceLevelProblem(level);
    if (levelProblem) throw new ValidationError("input.confidenceLevel", levelProblem, "OUT_OF_RANGE");
    if (cmd.cluster && cmd.seType !== "cluster") {
      throw new ValidationError("input.cluster", "cluster applies only with seType CLUSTER", "INVALID");
    }

    return {
      family: cmd.family,
      outcome: cmd.outcome,
      predictors: [...cmd.predictors, ...peer],
      intercept: true,
      seType: cmd.seType,
      // The analysis frame carries the prefecture of each row as the string column "prefecture".
      ...(cmd.seType === "cluster" ? { cluster: "prefecture" } : {}),
      ...(cmd.offset ? { offset: cmd.offset } : {}),
      ...(cmd.exposure ? { exposure: cmd.exposure } : {}),
      confidenceLevel: level,
      onRankDeficient: "error",
      datasetId: cmd.datasetId,
      years,
      peer,
    };
  }
}

/** exp() of an offset beyond this overflows a double: such a column is a count given where a log belongs. */
const MAX_ABS_OFFSET = 700;

function checkOffsetRange(frame: AnalysisFrame, spec: StoredModelSpec): void {
  if (!spec.offset) return;
  const col = frame.table[spec.offset];
  if (!col) return;
  for (let i = 0; i < col.length; i++) {
    const v = col[i];
    if (typeof v === "number" && Math.abs(v) > MAX_ABS_OFFSET) {
      const row = frame.rows[i];
      throw new ValidationError(
        "input.offset",
        `offset "${spec.offset}" is ${v} for county ${row?.countyCode ?? "?"} (${row?.year ?? "?"}): an offset is on the log scale` +
          ` and must lie within ±${MAX_ABS_OFFSET} (exp overflows beyond); for a count such as population use exposure instead`,
        "OUT_OF_RANGE",
      );
    }
  }
}

/** The FitModelInput field a frame error of the db package is about (it quotes the indicator key). */
export function inputFieldOf(err: ValidationError, spec: Pick<StoredModelSpec, "outcome" | "predictors" | "offset" | "exposure" | "weights">): string {
  const key = /indicator "([^"]+)"/.exec(err.message)?.[1];
  if (key !== undefined) {
    if (key === spec.outcome) return "input.outcome";
    const i = spec.predictors.indexOf(key);
    if (i >= 0) return `input.predictors[${i}]`;
    if (key === spec.offset) return "input.offset";
    if (key === spec.exposure) return "input.exposure";
  }
  if (err.field === "extra") return spec.offset ? "input.offset" : spec.exposure ? "input.exposure" : "input";
  return `input.${err.field}`;
}

/** Runs the fit; estimation input errors become ValidationErrors naming the offending input field. */
function fitOrExplain(frame: AnalysisFrame, spec: StoredModelSpec): FitResult {
  const modelSpec: ModelSpec = {
    family: spec.family, outcome: spec.outcome, predictors: spec.predictors, intercept: true,
    ...(spec.seType ? { seType: spec.seType } : {}),
    ...(spec.cluster ? { cluster: spec.cluster } : {}),
    ...(spec.offset ? { offset: spec.offset } : {}),
    ...(spec.exposure ? { exposure: spec.exposure } : {}),
    ...(spec.confidenceLevel ? { confidenceLevel: spec.confidenceLevel } : {}),
    onRankDeficient: "error",
  };
  try {
    return fitCountModel(frame.table, modelSpec);
  } catch (err) {
    if (!(err instanceof EstimationError) || err.code === "NOT_CONVERGED") throw err;
    const col = err.column;
    const predictorIndex = col === undefined ? -1 : spec.predictors.indexOf(col);
    const field =
      err.code === "SINGULAR_DESIGN" ? "input.predictors"
      : col === spec.outcome ? "input.outcome"
      : predictorIndex >= 0 ? `input.predictors[${predictorIndex}]`
      : col !== undefined && col === spec.offset ? "input.offset"
      : col !== undefined && col === spec.exposure ? "input.exposure"
      : "input";
    throw new ValidationError(field, err.message, err.code, { cause: err });
  }
}
