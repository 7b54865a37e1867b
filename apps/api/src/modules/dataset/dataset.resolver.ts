import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { Context } from "../../context.js";
import { ImportDatasetInput } from "./dataset.input.js";
import { Dataset, ImportResult } from "./dataset.type.js";

@Resolver(() => Dataset)
export class DatasetResolver {
  @Query(() => [Dataset])
  datasets(@Ctx() ctx: Context): Promise<Dataset[]> {
    return ctx.services.datasets.list();
  }

  @Authorized()
  @Mutation(() => ImportResult, { description: "Import observations from CSV text (all-or-nothing; same validation as the CLI)." })
  importDataset(@Arg("input", () => ImportDatasetInput) input: ImportDatasetInput, @Ctx() ctx: Context): Promise<ImportResult> {
    return ctx.services.datasets.import(input);
  }
}
