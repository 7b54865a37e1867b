import type { ImportSummary, StoredModel } from "@govdiffusion/db";
import {
  applyInterventions, simulateScenario, type FitResult, type Intervention, type ScenarioOptions, type ScenarioOutcome, type Table,
} from "@govdiffusion/estimation";
import type { DataAccess, ImportObservationsInput } from "../data-access.js";
import { ModelService, type FitModelCommand } from "../modules/model/model.service.js";

/** What a simulation what-if needs, as plain data (the prepared baseline stays cached on the main thread). */
export interface SimulationInput {
  fit: FitResult;
  /** Baseline rows of the model's columns (numeric columns as Float64Array). */
  table: Table;
  interventions: Intervention[];
  exposure?: string;
  options: ScenarioOptions;
}

/** The repository writes the server makes outside heavy tasks. */
export interface RepositoryWrite { repo: "models" | "scenarios"; method: "create" | "delete"; args: unknown[] }

/**
 * The heavy computations, as functions of plain data (ids, typed arrays, JSON-able specs), so they
 * run the same in a worker thread (pool/worker.ts, with that thread's own database connection) and
 * in the calling thread (inline pool: tests over fake data, in-memory SQLite). `data` opens the
 * database only for the tasks that use it.
 */
export const TASKS = {
  /** importDataset: CSV parse, validation and all-or-nothing inserts. */
  importObservations: (input: ImportObservationsInput, data: () => DataAccess): Promise<ImportSummary> => data().importObservations(input),
  /** fitModel: validation, analysis frame, fingerprint reuse, fit and storage, exactly as ModelService.fitHere. */
  fitModel: (cmd: FitModelCommand, data: () => DataAccess): Promise<StoredModel> => new ModelService(data()).fitHere(cmd),
  /** One write of the repositories on SQLite (see sqlite-writes.ts). */
  repositoryWrite: (call: RepositoryWrite, data: () => DataAccess): Promise<unknown> => {
    const repo = data().repos[call.repo] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    return repo[call.method]!(...call.args);
  },
  /** A what-if with uncertainty SIMULATION: draws x baseline rows of predictions. */
  simulateWhatIf: async (input: SimulationInput): Promise<ScenarioOutcome> => {
    const scenario = applyInterventions(input.table, input.interventions, input.exposure ? { exposure: input.exposure } : {});
    return simulateScenario(input.fit, input.table, scenario, input.options);
  },
} as const;

export type TaskName = keyof typeof TASKS;
export type TaskInput<N extends TaskName> = Parameters<(typeof TASKS)[N]>[0];
export type TaskOutput<N extends TaskName> = Awaited<ReturnType<(typeof TASKS)[N]>>;
