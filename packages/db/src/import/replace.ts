/**
 * Rules for writing into a dataset that already exists (see README "Replacing a dataset"):
 * - a dataset that stored fitted models were fitted on is never replaced (the model would then
 *   describe data that no longer exists): ConflictError naming the models;
 * - a real dataset is never overwritten by synthetic data, and a synthetic one is relabelled only
 *   when the caller says explicitly whether the replacement is synthetic.
 */
import type { DbTx } from "../create-db.js";
import { ConflictError } from "../errors.js";

/** Fitted models whose spec refers to dataset `datasetId`. */
export async function modelsUsingDataset(tx: Pick<DbTx, "fittedModel">, datasetId: number): Promise<{ id: number; name: string }[]> {
  const models = await tx.fittedModel.findMany({ select: { id: true, name: true, spec: true }, orderBy: { id: "asc" } });
  return modelsReferencing(models, datasetId);
}

/** The models among `models` (rows of FittedModel, by id) whose spec names dataset `datasetId`. */
export function modelsReferencing(models: readonly { id: number; name: string; spec: string }[], datasetId: number): { id: number; name: string }[] {
  return models
    .filter((m) => {
      try {
        return (JSON.parse(m.spec) as { datasetId?: unknown }).datasetId === datasetId;
      } catch {
        return false;
      }
    })
    .map(({ id, name }) => ({ id, name }));
}

export async function assertNoDependentModels(tx: Pick<DbTx, "fittedModel">, dataset: { id: number; name: string }): Promise<void> {
  throwIfModelsDepend(dataset, await modelsUsingDataset(tx, dataset.id));
}

/** ConflictError naming the models fitted on `dataset` (none: nothing happens). */
export function throwIfModelsDepend(dataset: { name: string }, models: readonly { id: number; name: string }[]): void {
  if (models.length > 0) {
    throw new ConflictError(
      `fitted model(s) depend on dataset "${dataset.name}": ${models.map((m) => `#${m.id} "${m.name}"`).join(", ")}; ` +
        "delete them first or import under another dataset name",
    );
  }
}

/** The synthetic flag a dataset gets when new content is written into it (or a ConflictError). */
export function syntheticAfterWrite(existing: { name: string; synthetic: boolean }, requested: boolean | undefined): boolean {
  if (!existing.synthetic && requested === true) {
    throw new ConflictError(`dataset "${existing.name}" holds real data; refusing to replace it with synthetic data (import under another name)`);
  }
  if (existing.synthetic && requested === undefined) {
    throw new ConflictError(
      `dataset "${existing.name}" is flagged synthetic; say whether the replacement is synthetic (--synthetic or --real; synthetic: true/false)`,
    );
  }
  return requested ?? existing.synthetic;
}
