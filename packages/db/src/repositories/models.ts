import type { FitResult, ScenarioOutcome } from "@govdiffusion/estimation";
import type { Db } from "../create-db.js";
import { NotFoundError, translate, ValidationError } from "../errors.js";
import type { Repositories, StoredModel, StoredModelSpec, StoredScenario } from "../types.js";

type ModelRow = { id: number; name: string; spec: string; result: string; fingerprint: string; createdAt: Date };
type ScenarioRow = { id: number; modelId: number; name: string; interventions: string; options: string; result: string; createdAt: Date };

const toModel = (r: ModelRow): StoredModel => ({
  id: r.id, name: r.name, spec: JSON.parse(r.spec) as StoredModelSpec, result: JSON.parse(r.result) as FitResult,
  fingerprint: r.fingerprint, createdAt: r.createdAt,
});
const toScenario = (r: ScenarioRow): StoredScenario => ({
  id: r.id, modelId: r.modelId, name: r.name, interventions: JSON.parse(r.interventions) as unknown,
  options: JSON.parse(r.options) as unknown, result: JSON.parse(r.result) as ScenarioOutcome, createdAt: r.createdAt,
});

/** JSON text for a column; `undefined` is stored as null so the column always parses back. */
const json = (v: unknown): string => JSON.stringify(v ?? null);

export function modelRepository(db: Db): Repositories["models"] {
  return {
    async create(input) {
      const r = await translate("model with this fingerprint", () =>
        db.fittedModel.create({ data: { name: input.name, spec: json(input.spec), result: json(input.result), fingerprint: input.fingerprint } }),
      );
      return toModel(r);
    },
    async byId(id) {
      const r = await db.fittedModel.findUnique({ where: { id } });
      return r ? toModel(r) : null;
    },
    async byFingerprint(fingerprint) {
      const r = await db.fittedModel.findUnique({ where: { fingerprint } });
      return r ? toModel(r) : null;
    },
    async exists(id) {
      return (await db.fittedModel.findUnique({ where: { id }, select: { id: true } })) !== null;
    },
    async list() {
      return (await db.fittedModel.findMany({ orderBy: { id: "asc" } })).map(toModel);
    },
    async delete(id) {
      return (await db.fittedModel.deleteMany({ where: { id } })).count > 0;
    },
  };
}

export function scenarioRepository(db: Db): Repositories["scenarios"] {
  return {
    async create(input) {
      // The model may be deleted at any moment (deleteModel from another request): before this
      // call, or between the check and the insert (a foreign-key violation). Both are the same
      // NotFoundError naming modelId, so callers see one error for the race.
      const missing = () => new NotFoundError(`model ${input.modelId} not found`, "modelId");
      const model = await db.fittedModel.findUnique({ where: { id: input.modelId }, select: { id: true } });
      if (!model) throw missing();
      const r = await translate("scenario", () =>
        db.scenario.create({
          data: {
            modelId: input.modelId, name: input.name, interventions: json(input.interventions),
            options: json(input.options), result: json(input.result),
          },
        }),
      ).catch((err: unknown) => {
        throw err instanceof ValidationError || err instanceof NotFoundError ? missing() : err;
      });
      return toScenario(r);
    },
    async byId(id) {
      const r = await db.scenario.findUnique({ where: { id } });
      return r ? toScenario(r) : null;
    },
    async list(filter = {}) {
      const rows = await db.scenario.findMany({
        where: filter.modelId !== undefined ? { modelId: filter.modelId } : {},
        orderBy: { id: "asc" },
      });
      return rows.map(toScenario);
    },
    async delete(id) {
      return (await db.scenario.deleteMany({ where: { id } })).count > 0;
    },
  };
}
