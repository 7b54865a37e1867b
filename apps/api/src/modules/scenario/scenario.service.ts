import type { ScenarioOutcome } from "@govdiffusion/estimation";
import type { StoredScenario } from "@govdiffusion/db";
import type { DataAccess } from "../../data-access.js";
import { NotFoundError, ValidationError } from "@govdiffusion/db";
import { unknownModelError, type BaselineRow, type InterventionCommand, type WhatIfCommandOptions, type WhatIfResult, type WhatIfService } from "./what-if.service.js";

/** What is stored in a scenario's `options` column: the request options plus the identity of each result row. */
export interface StoredScenarioOptions extends WhatIfCommandOptions {
  years: number[];
  rows: BaselineRow[];
  changedRows: number[];
}

export interface ScenarioRecord {
  id: number;
  modelId: number;
  name: string;
  interventions: InterventionCommand[];
  result: WhatIfResult;
  createdAt: Date;
}

export class ScenarioService {
  constructor(private readonly data: DataAccess, private readonly whatIf: WhatIfService) {}

  async create(input: { modelId: number; name: string; interventions: InterventionCommand[]; options?: WhatIfCommandOptions | null }): Promise<ScenarioRecord> {
    const name = input.name.trim();
    if (name === "" || name.length > 200) throw new ValidationError("input.name", "name must be 1 to 200 characters", "OUT_OF_RANGE");
    const result = await this.whatIf.run(input.modelId, input.interventions, input.options ?? {}, "input.");
    const options: StoredScenarioOptions = {
      ...(input.options ?? {}), years: result.years, rows: result.rows, changedRows: [...result.changedRows],
    };
    // deleteModel may win the race after the what-if ran: the repository then says NotFound(modelId),
    // which is answered exactly as a model missing from the start (unknownModelError).
    const stored = await this.data.repos.scenarios.create({
      modelId: input.modelId, name, interventions: input.interventions, options, result: result.outcome,
    }).catch((err: unknown) => {
      throw err instanceof NotFoundError && err.field === "modelId" ? unknownModelError(input.modelId, "input.") : err;
    });
    return this.toRecord(stored, result.countyNames);
  }

  async list(modelId?: number | null): Promise<ScenarioRecord[]> {
    const list = await this.data.repos.scenarios.list(modelId === undefined || modelId === null ? {} : { modelId });
    const names = await this.countyNames();
    return list.map((s) => this.toRecord(s, names));
  }

  async byId(id: number): Promise<ScenarioRecord> {
    const s = await this.data.repos.scenarios.byId(id);
    if (!s) throw new NotFoundError(`scenario ${id} not found`, "id");
    return this.toRecord(s, await this.countyNames());
  }

  async delete(id: number): Promise<boolean> {
    if (!(await this.data.repos.scenarios.delete(id))) throw new NotFoundError(`scenario ${id} not found`, "id");
    return true;
  }

  private async countyNames(): Promise<Map<string, string>> {
    return new Map((await this.data.repos.counties.list()).map((c) => [c.code, c.name]));
  }

  private toRecord(s: StoredScenario, countyNames: Map<string, string>): ScenarioRecord {
    const o = (s.options ?? {}) as Partial<StoredScenarioOptions>;
    const outcome: ScenarioOutcome = s.result;
    return {
      id: s.id, modelId: s.modelId, name: s.name, createdAt: s.createdAt,
      interventions: (s.interventions ?? []) as InterventionCommand[],
      result: {
        modelId: s.modelId, outcome, rows: o.rows ?? [], years: o.years ?? [],
        changedRows: new Set(o.changedRows ?? []), countyNames,
      },
    };
  }
}
