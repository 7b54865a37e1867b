import {
  EstimationError, applyInterventions, firstNonFinite, simulateScenario, type Cell, type FitResult, type Intervention, type ScenarioOptions,
  confidenceLevelProblem, type ScenarioOutcome, type Table,
} from "@govdiffusion/estimation";
import type { StoredModel } from "@govdiffusion/db";
import type { DataAccess } from "../../data-access.js";
import { NotFoundError, ValidationError } from "@govdiffusion/db";
import { LRUCache } from "lru-cache";
import { frameRequestOf } from "../model/model.service.js";
import { TASKS, type SimulationInput } from "../../pool/tasks.js";
import type { WorkPool } from "../../pool/work-pool.js";

export interface InterventionCommand {
  indicator: string;
  operation: "scale" | "add" | "set";
  value: number;
  countyCodes?: string[] | null;
  prefectureCodes?: string[] | null;
}
export interface WhatIfCommandOptions {
  uncertainty?: "delta" | "simulation";
  draws?: number | null;
  seed?: number | null;
  confidenceLevel?: number | null;
  year?: number | null;
}

export interface BaselineRow { countyCode: string; prefectureCode: string; year: number }

/** Everything a what-if needs, computed once per (model, baseline year) and reused across requests. */
export interface PreparedBaseline {
  model: StoredModel;
  fit: FitResult;
  table: Table;
  rows: BaselineRow[];
  years: number[];
  /** Columns an intervention may change: the predictors plus the offset/exposure column. */
  adjustable: Set<string>;
  rowsByCounty: Map<string, number[]>;
  rowsByPrefecture: Map<string, number[]>;
  countyNames: Map<string, string>;
}

/** A what-if outcome with the identity of each row, ready to present. */
export interface WhatIfResult {
  modelId: number;
  outcome: ScenarioOutcome;
  rows: BaselineRow[];
  years: number[];
  changedRows: Set<number>;
  countyNames: Map<string, string>;
}

/** How long a model's existence is trusted before a what-if checks again (see WhatIfService.confirmed). */
export const MODEL_RECHECK_MS = 1000;

/**
 * Memory budgets of the caches, in (estimated) bytes, least recently used dropped first. Bounded by
 * bytes, not entries: a result of the 111-county model is ~0.1 MB, one of a pooled 12,210-row
 * panel ~13 MB, so 256 entries could be 25 MB or 3 GB (issue 8: 1.1 GB RSS under new what-ifs).
 */
export const CACHE_BYTES = { results: 16 * 2 ** 20, baselines: 64 * 2 ** 20 } as const;
/** Heap per outcome row of a result with its GraphQL view (5 estimates, the county object): measured ~1 kB. */
const RESULT_BYTES_PER_ROW = 1100;
/** Heap per baseline row besides its numeric columns: the row identity, group indexes, the fit's used row. */
const BASELINE_BYTES_PER_ROW = 300;
/** A baseline still being prepared counts this much until its size is known. */
const PENDING_BASELINE_BYTES = 64 * 1024;

export function resultBytes(r: WhatIfResult, key: string): number {
  return 2048 + 2 * key.length + r.outcome.rows.length * RESULT_BYTES_PER_ROW;
}

export function baselineBytes(p: PreparedBaseline): number {
  let columns = 0;
  for (const col of Object.values(p.table)) columns += col instanceof Float64Array ? col.byteLength : col.length * 16;
  const k = p.fit.coefficients.length;
  return 64 * 1024 + columns + p.rows.length * BASELINE_BYTES_PER_ROW + 8 * k * k;
}

/**
 * The given rows of a table (all rows when `rows` is null). Numeric columns become Float64Array,
 * which the estimation core reads fastest on every what-if; text columns (prefecture) stay as they are.
 */
function selectRows(table: Table, rows: readonly number[] | null): Table {
  const out: Table = {};
  for (const [name, col] of Object.entries(table)) {
    const n = rows ? rows.length : col.length;
    const cells: Cell[] = new Array(n);
    let numeric = true;
    for (let i = 0; i < n; i++) {
      const v = col[rows ? rows[i]! : i];
      cells[i] = v;
      if (typeof v !== "number") numeric = false;
    }
    out[name] = numeric ? Float64Array.from(cells as number[]) : cells;
  }
  return out;
}

function groupRows(rows: readonly BaselineRow[], key: (r: BaselineRow) => string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  });
  return m;
}

/**
 * The one error for a model that does not exist (any more) in what-ifs and createScenario:
 * BAD_USER_INPUT naming `${at}modelId`, reason UNKNOWN_MODEL, whichever step found it missing.
 */
export function unknownModelError(modelId: number, at = ""): ValidationError {
  return new ValidationError(`${at}modelId`, `model ${modelId} does not exist (see the models query)`, "UNKNOWN_MODEL");
}

export class WhatIfService {
  /** Promises, so concurrent first requests for a model share one preparation; re-sized once prepared. */
  private readonly cache: LRUCache<string, Promise<PreparedBaseline>>;

  constructor(
    private readonly data: DataAccess,
    private readonly limits: { maxDraws: number; cacheBytes?: { results: number; baselines: number } },
    private readonly now: () => number = Date.now,
    /** Where simulation what-ifs run (the server's worker threads); without one, in this thread. */
    private readonly work?: WorkPool,
  ) {
    const bytes = limits.cacheBytes ?? CACHE_BYTES;
    this.cache = new LRUCache({ maxSize: bytes.baselines });
    this.results = new LRUCache({ maxSize: bytes.results, sizeCalculation: resultBytes });
  }

  /** Estimated bytes held by the caches (each stays within its budget). */
  cachedBytes(): { results: number; baselines: number; resultCount: number; baselineCount: number } {
    return { results: this.results.calculatedSize, baselines: this.cache.calculatedSize, resultCount: this.results.size, baselineCount: this.cache.size };
  }

  /**
   * When each model was last confirmed to be stored. deleteModel on this server drops its cached
   * state at once (invalidate); a deletion by another server process (GOVDIFFUSION_WORKERS > 1,
   * another replica) is noticed at the first what-if after MODEL_RECHECK_MS, at the cost of one
   * primary-key lookup per model per interval.
   */
  private readonly confirmed = new Map<number, { at: number; check: Promise<void> }>();

  /**
   * A what-if is deterministic for (model, interventions, options) (simulation draws too: the seed
   * is part of the options), so repeated questions are answered from here. Keyed "modelId:json".
   */
  private readonly results: LRUCache<string, WhatIfResult>;
  /** Bumped by invalidate(), so a what-if that was running meanwhile does not cache a deleted model's result. */
  private generation = 0;

  /** Bumped by invalidate(): what was computed under an older generation may be stale. */
  get currentGeneration(): number {
    return this.generation;
  }

  /**
   * Resolves when the model is still stored (looked up at most once per MODEL_RECHECK_MS); rejects
   * with NotFoundError (field modelId) when it is gone, dropping everything kept of it.
   */
  confirm(modelId: number): Promise<void> {
    const seen = this.confirmed.get(modelId);
    return seen && this.now() - seen.at < MODEL_RECHECK_MS ? seen.check : this.confirmStored(modelId);
  }

  private confirmStored(modelId: number): Promise<void> {
    const check = this.data.repos.models.exists(modelId).then((stored) => {
      if (!stored) {
        this.forget(modelId);
        throw new NotFoundError(`model ${modelId} not found`, "modelId");
      }
    });
    const entry = { at: this.now(), check };
    this.confirmed.set(modelId, entry);
    check.catch(() => {
      if (this.confirmed.get(modelId) === entry) this.confirmed.delete(modelId); // an unknown id may be created later
    });
    return check;
  }

  /** Drops prepared state and cached results of a model (after deleteModel). */
  invalidate(modelId: number): void {
    this.generation++;
    this.forget(modelId);
  }

  /**
   * Drops what is kept of a model found missing. Unlike invalidate() the generation stays: a
   * what-if for an unknown id (anyone may ask) must not stop other models' results being cached.
   */
  private forget(modelId: number): void {
    this.confirmed.delete(modelId);
    for (const key of [...this.cache.keys()]) if (key.startsWith(`${modelId}:`)) this.cache.delete(key);
    for (const key of [...this.results.keys()]) if (key.startsWith(`${modelId}:`)) this.results.delete(key);
  }

  /**
   * `at` prefixes the field names in errors: "" for the whatIf arguments, "input." for createScenario.
   * An unknown model is bad input here (BAD_USER_INPUT naming modelId), unlike model(id) (NOT_FOUND).
   */
  async run(modelId: number, interventions: InterventionCommand[], options: WhatIfCommandOptions = {}, at = ""): Promise<WhatIfResult> {
    try {
      return await this.runUnprefixed(modelId, interventions, options);
    } catch (err) {
      if (err instanceof NotFoundError && err.field === "modelId") throw unknownModelError(modelId, at);
      if (err instanceof ValidationError && at !== "") throw new ValidationError(at + err.field, err.message, err.reason, { cause: err.cause });
      throw err;
    }
  }

  private async runUnprefixed(modelId: number, interventions: InterventionCommand[], options: WhatIfCommandOptions): Promise<WhatIfResult> {
    await this.confirm(modelId);
    const key = `${modelId}:${JSON.stringify([interventions, options])}`;
    const hit = this.results.get(key);
    if (hit) return hit;
    const generation = this.generation;
    const result = await this.compute(modelId, interventions, options);
    // A result larger than the whole budget is simply not kept (lru-cache refuses it).
    if (generation === this.generation) this.results.set(key, result);
    return result;
  }

  private async compute(modelId: number, interventions: InterventionCommand[], options: WhatIfCommandOptions): Promise<WhatIfResult> {
    const opts = this.scenarioOptions(options);
    const prepared = await this.prepared(modelId, options.year ?? null);
    const { mapped, changed } = this.mapInterventions(prepared, interventions);
    const exposure = prepared.fit.spec.exposure ? { exposure: prepared.fit.spec.exposure } : {};
    let outcome: ScenarioOutcome;
    try {
      if (opts.method === "simulation") {
        // draws x rows of predictions (~80 ms for 1000 draws on 111 counties): off the event loop.
        const input: SimulationInput = { fit: prepared.fit, table: prepared.table, interventions: mapped, ...exposure, options: opts };
        outcome = await (this.work ? this.work.run("simulateWhatIf", input) : TASKS.simulateWhatIf(input));
      } else {
        // The delta method on the cached baseline takes about a millisecond: it stays on this thread.
        outcome = simulateScenario(prepared.fit, prepared.table, applyInterventions(prepared.table, mapped, exposure), opts);
      }
    } catch (err) {
      throw (err instanceof EstimationError && err.code === "INVALID_INPUT" && interventionError(prepared, mapped, err)) || err;
    }
    const bad = firstNonFinite(outcome, "outcome");
    if (bad) throw overflowError(prepared, mapped, outcome);
    return { modelId, outcome, rows: prepared.rows, years: prepared.years, changedRows: changed, countyNames: prepared.countyNames };
  }

  private scenarioOptions(o: WhatIfCommandOptions): ScenarioOptions {
    const method = o.uncertainty ?? "delta";
    const level = o.confidenceLevel ?? 0.95;
    // Also refuses levels whose interval cannot be computed (0.9999999999999999), blaming this field.
    const levelProblem = confidenceLevelProblem(level);
    if (levelProblem) throw new ValidationError("options.confidenceLevel", levelProblem, "OUT_OF_RANGE");
    const out: ScenarioOptions = { method, level };
    if (o.draws !== undefined && o.draws !== null) {
      if (method !== "simulation") throw new ValidationError("options.draws", "draws applies only with uncertainty SIMULATION", "INVALID");
      if (o.draws < 2 || o.draws > this.limits.maxDraws) {
        throw new ValidationError("options.draws", `draws must be from 2 to ${this.limits.maxDraws}, got ${o.draws}`, "OUT_OF_RANGE");
      }
      out.draws = o.draws;
    } else if (method === "simulation") {
      out.draws = Math.min(1000, this.limits.maxDraws);
    }
    if (o.seed !== undefined && o.seed !== null) {
      if (method !== "simulation") throw new ValidationError("options.seed", "seed applies only with uncertainty SIMULATION", "INVALID");
      out.seed = o.seed;
    }
    return out;
  }

  private mapInterventions(p: PreparedBaseline, list: InterventionCommand[]): { mapped: Intervention[]; changed: Set<number> } {
    if (list.length > 100) throw new ValidationError("interventions", "at most 100 interventions", "OUT_OF_RANGE");
    const changed = new Set<number>();
    const mapped = list.map((iv, i): Intervention => {
      const at = `interventions[${i}]`;
      if (!p.adjustable.has(iv.indicator)) {
        throw new ValidationError(
          `${at}.indicator`,
          `"${iv.indicator}" is not a predictor of model ${p.model.id}; it uses ${[...p.adjustable].join(", ")}`,
          "UNKNOWN_INDICATOR",
        );
      }
      if (!Number.isFinite(iv.value)) throw new ValidationError(`${at}.value`, "value must be a finite number", "OUT_OF_RANGE");
      if (iv.operation === "scale" && iv.value < 0) {
        throw new ValidationError(`${at}.value`, `SCALE by a negative factor (${iv.value}) is out of range`, "OUT_OF_RANGE");
      }
      let rows: number[] | undefined;
      const counties = iv.countyCodes ?? null;
      const prefectures = iv.prefectureCodes ?? null;
      if (counties !== null || prefectures !== null) {
        const sel = new Set<number>();
        counties?.forEach((code, j) => {
          const r = p.rowsByCounty.get(code);
          if (!r) {
            throw new ValidationError(
              `${at}.countyCodes[${j}]`,
              p.countyNames.has(code)
                ? `county ${code} has no complete row in the baseline of model ${p.model.id}`
                : `unknown county code "${code}"`,
              "UNKNOWN_COUNTY",
            );
          }
          r.forEach((x) => sel.add(x));
        });
        prefectures?.forEach((code, j) => {
          const r = p.rowsByPrefecture.get(code);
          if (!r) throw new ValidationError(`${at}.prefectureCodes[${j}]`, `unknown prefecture code "${code}" (or none of its counties is in the baseline)`, "UNKNOWN_PREFECTURE");
          r.forEach((x) => sel.add(x));
        });
        rows = [...sel].sort((a, b) => a - b);
      }
      (rows ?? p.rows.map((_, k) => k)).forEach((r) => changed.add(r));
      return { column: iv.indicator, operation: iv.operation, value: iv.value, ...(rows ? { rows } : {}) };
    });
    return { mapped, changed };
  }

  /**
   * Rows of the baseline a what-if on this model (`year`: null = its fitted rows) works on, for
   * pricing simulations before they run (plugins/query-cost.ts); undefined when there is no such
   * model or year. Prepares the baseline (cached: the what-if that follows needs it anyway).
   */
  async baselineRows(modelId: number, year: number | null): Promise<number | undefined> {
    try {
      return (await this.prepared(modelId, year)).rows.length;
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof ValidationError) return undefined;
      throw err;
    }
  }

  /** Cached baseline of a model: its own fitted rows, or the complete rows of another year of its dataset. */
  prepared(modelId: number, year: number | null): Promise<PreparedBaseline> {
    const key = `${modelId}:${year ?? "fit"}`;
    let p = this.cache.get(key);
    if (!p) {
      const pending = this.prepare(modelId, year);
      p = pending;
      this.cache.set(key, pending, { size: PENDING_BASELINE_BYTES });
      pending.then(
        // Its real size once known (if it is still the entry: not dropped or invalidated meanwhile).
        (prepared) => {
          if (this.cache.peek(key) === pending) this.cache.set(key, pending, { size: Math.max(1, baselineBytes(prepared)) });
        },
        // Failed preparations are not cached (e.g. an unknown model id may be created later).
        () => {
          if (this.cache.peek(key) === pending) this.cache.delete(key);
        },
      );
    }
    return p;
  }

  private async prepare(modelId: number, year: number | null): Promise<PreparedBaseline> {
    const model = await this.data.repos.models.byId(modelId);
    if (!model) throw new NotFoundError(`model ${modelId} not found`, "modelId");
    const spec = model.spec;
    const fit = model.result;
    let table: Table;
    let rows: BaselineRow[];
    let years: number[];
    if (year === null) {
      const frame = await this.data.buildAnalysisFrame(frameRequestOf(spec));
      const bad = fit.usedRows.filter((r) => r >= frame.rows.length);
      if (bad.length > 0) throw new Error(`model ${modelId}: its analysis frame has ${frame.rows.length} rows but the fit used row ${bad[0]}`);
      table = selectRows(frame.table, fit.usedRows);
      rows = fit.usedRows.map((r) => frame.rows[r]!);
      years = spec.years;
    } else {
      const available = await this.data.repos.observations.years(spec.datasetId);
      if (!available.includes(year)) {
        throw new ValidationError("options.year", `dataset ${spec.datasetId} of model ${modelId} has no year ${year} (it has ${available.join(", ")})`, "UNKNOWN_YEAR");
      }
      const frame = await this.data.buildAnalysisFrame(frameRequestOf(spec, [year]));
      if (frame.rows.length === 0) {
        throw new ValidationError("options.year", `no county has complete values for the model's columns in ${year}`, "TOO_FEW_ROWS");
      }
      table = selectRows(frame.table, null);
      rows = frame.rows;
      years = [year];
    }
    const adjustable = new Set<string>(fit.spec.predictors);
    if (fit.spec.offset) adjustable.add(fit.spec.offset);
    if (fit.spec.exposure) adjustable.add(fit.spec.exposure);
    const counties = await this.data.repos.counties.list();
    return {
      model, fit, table, rows, years, adjustable,
      rowsByCounty: groupRows(rows, (r) => r.countyCode),
      rowsByPrefecture: groupRows(rows, (r) => r.prefectureCode),
      countyNames: new Map(counties.map((c) => [c.code, c.name])),
    };
  }
}

const OPERATION_NAMES = { scale: "SCALE", add: "ADD", set: "SET" } as const;

/** "450102 (2020), 450103 (2020) and 3 more": county codes instead of the core's row indices. */
function describeRows(p: PreparedBaseline, rows: readonly number[]): string {
  const shown = rows.slice(0, 5).map((r) => {
    const row = p.rows[r];
    return row ? `${row.countyCode}${p.years.length > 1 ? ` (${row.year})` : ""}` : `#${r}`;
  });
  return shown.join(", ") + (rows.length > shown.length ? ` and ${rows.length - shown.length} more` : "");
}

const describeIntervention = (iv: Intervention): string => `${OPERATION_NAMES[iv.operation]} ${iv.column} ${iv.value}`;

/**
 * An EstimationError of applyInterventions/simulateScenario (a value the core refuses, e.g. an
 * exposure made <= 0, a column that overflows) → BAD_USER_INPUT naming interventions[i].value:
 * the core says "intervention i" or names the column; the last intervention on it is to blame.
 * Undefined when the error concerns no intervention.
 */
function interventionError(p: PreparedBaseline, mapped: Intervention[], err: EstimationError): ValidationError | undefined {
  const said = /^intervention (\d+):/.exec(err.message);
  let index = said ? Number(said[1]) : -1;
  if (index < 0 && err.column !== undefined) {
    for (let i = mapped.length - 1; i >= 0; i--) if (mapped[i]!.column === err.column) { index = i; break; }
  }
  const where = err.rows && err.rows.length > 0 ? ` for ${err.rows.length === 1 ? "county" : `${err.rows.length} counties:`} ${describeRows(p, err.rows)}` : "";
  const problem =
    /<= 0|must be > 0/.test(err.message) ? `makes exposure "${err.column}" zero or negative${where}; an exposure must stay > 0`
    : /overflows/.test(err.message) ? `makes "${err.column}" overflow (not a finite number)${where}`
    : err.message.replace(/^intervention \d+: /, "").replace(/ at rows? [\d, …\u2026.]+(and \d+ more)?/g, "") + where;
  // Not about an intervention (e.g. the stored fit itself): left as it is.
  if (index < 0) return undefined;
  return new ValidationError(`interventions[${index}].value`, `${describeIntervention(mapped[index]!)} ${problem}`, "OUT_OF_RANGE", { cause: err });
}

/**
 * Predictions that overflow (e.g. ADD 1e300): BAD_USER_INPUT naming the value of the intervention
 * that moves the linear predictor most (|coefficient| x largest change; 1 for offset/exposure on the log scale).
 */
function overflowError(p: PreparedBaseline, mapped: Intervention[], outcome: ScenarioOutcome): ValidationError {
  const spec = p.fit.spec;
  let worst = -1;
  let worstShift = -1;
  mapped.forEach((iv, i) => {
    const beta = iv.column === spec.offset || iv.column === spec.exposure ? 1 : Math.abs(p.fit.coefficients.find((c) => c.term === iv.column)?.estimate ?? 0);
    const col = p.table[iv.column]!;
    let shift = 0;
    for (const r of iv.rows ?? p.rows.map((_, k) => k)) {
      const before = Number(col[r]);
      const after = iv.operation === "scale" ? before * iv.value : iv.operation === "add" ? before + iv.value : iv.value;
      const d = iv.column === spec.exposure ? Math.abs(Math.log(Math.abs(after) || Number.MIN_VALUE) - Math.log(Math.abs(before) || Number.MIN_VALUE)) : Math.abs(after - before);
      if (!(d <= shift)) shift = d;
    }
    if (!(beta * shift <= worstShift)) { worstShift = beta * shift; worst = i; }
  });
  const rows = outcome.rows.flatMap((r, i) => (Number.isFinite(r.scenario.estimate) && Number.isFinite(r.scenario.stdError) ? [] : [i]));
  const where = rows.length > 0 ? ` (for ${describeRows(p, rows)})` : "";
  const message = `the predictions overflow${where}: the intervention moves the model far outside its data; use a smaller value`;
  if (worst < 0) return new ValidationError("interventions", message, "OUT_OF_RANGE");
  return new ValidationError(`interventions[${worst}].value`, `${describeIntervention(mapped[worst]!)}: ${message}`, "OUT_OF_RANGE");
}
