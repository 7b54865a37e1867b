import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../context.js";
import { Dataset } from "../dataset/dataset.type.js";
import { FitModelInput } from "./model.input.js";
import { Model } from "./model.type.js";
import { toModelView } from "./model.view.js";

@Resolver(() => Model)
export class ModelResolver {
  @Query(() => [Model])
  async models(@Ctx() ctx: Context): Promise<Model[]> {
    return (await ctx.services.models.list()).map(toModelView);
  }

  @Query(() => Model, { description: "NOT_FOUND when there is no such model." })
  async model(@Arg("id", () => Int) id: number, @Ctx() ctx: Context): Promise<Model> {
    return toModelView(await ctx.services.models.byId(id));
  }

  @FieldResolver(() => Dataset, { nullable: true })
  dataset(@Root() m: Model, @Ctx() ctx: Context): Promise<Dataset | null> {
    return ctx.loaders.dataset.load(m.datasetId);
  }

  @FieldResolver(() => Boolean, { description: "True when the model was fitted on a synthetic dataset: its numbers illustrate the method, not Guangxi." })
  async synthetic(@Root() m: Model, @Ctx() ctx: Context): Promise<boolean> {
    return (await ctx.loaders.dataset.load(m.datasetId))?.synthetic ?? false;
  }

  @Authorized()
  @Mutation(() => Model, { description: "Fit (or return the stored model with the same spec and data)." })
  async fitModel(@Arg("input", () => FitModelInput) input: FitModelInput, @Ctx() ctx: Context): Promise<Model> {
    return toModelView(await ctx.services.models.fit(input));
  }

  @Authorized()
  @Mutation(() => Boolean, { description: "Deletes the model and its scenarios; NOT_FOUND when there is no such model." })
  deleteModel(@Arg("id", () => Int) id: number, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.models.delete(id);
  }
}
