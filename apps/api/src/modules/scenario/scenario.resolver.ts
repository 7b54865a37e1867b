import { Arg, Authorized, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../context.js";
import { Model } from "../model/model.type.js";
import { toModelView } from "../model/model.view.js";
import { CreateScenarioInput, InterventionInput, WhatIfOptions } from "./scenario.input.js";
import { Scenario, ScenarioCounty, ScenarioResult } from "./scenario.type.js";
import { toScenarioResult, toScenarioView } from "./scenario.view.js";

@Resolver(() => Scenario)
export class ScenarioResolver {
  @Query(() => ScenarioResult, { description: "Predicted accounts with and without the interventions, computed and not saved." })
  async whatIf(
    @Arg("modelId", () => Int) modelId: number,
    @Arg("interventions", () => [InterventionInput]) interventions: InterventionInput[],
    @Arg("options", () => WhatIfOptions, { nullable: true }) options: WhatIfOptions | null,
    @Ctx() ctx: Context,
  ): Promise<ScenarioResult> {
    const result = await ctx.services.whatIf.run(modelId, interventions, options ?? {});
    ctx.whatIfModels.push(modelId);
    return toScenarioResult(result);
  }

  @Query(() => [Scenario], { description: "Saved scenarios, of one model or all." })
  async scenarios(@Arg("modelId", () => Int, { nullable: true }) modelId: number | null, @Ctx() ctx: Context): Promise<Scenario[]> {
    return (await ctx.services.scenarios.list(modelId)).map(toScenarioView);
  }

  @Query(() => Scenario, { description: "NOT_FOUND when there is no such scenario." })
  async scenario(@Arg("id", () => Int) id: number, @Ctx() ctx: Context): Promise<Scenario> {
    return toScenarioView(await ctx.services.scenarios.byId(id));
  }

  @FieldResolver(() => Model)
  async model(@Root() s: Scenario, @Ctx() ctx: Context): Promise<Model> {
    return toModelView(await ctx.services.models.byId(s.modelId, "modelId"));
  }

  @Authorized()
  @Mutation(() => Scenario, { description: "Run a what-if and save it." })
  async createScenario(@Arg("input", () => CreateScenarioInput) input: CreateScenarioInput, @Ctx() ctx: Context): Promise<Scenario> {
    return toScenarioView(await ctx.services.scenarios.create(input));
  }

  @Authorized()
  @Mutation(() => Boolean)
  deleteScenario(@Arg("id", () => Int) id: number, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.scenarios.delete(id);
  }
}

@Resolver(() => ScenarioResult)
export class ScenarioResultResolver {
  @FieldResolver(() => [ScenarioCounty], { description: "One entry per county-year of the baseline; changedOnly keeps those an intervention touched." })
  counties(
    @Root() r: ScenarioResult,
    @Arg("changedOnly", () => Boolean, { defaultValue: false }) changedOnly: boolean,
  ): ScenarioCounty[] {
    return changedOnly ? r.counties.filter((c) => c.changed) : r.counties;
  }
}
