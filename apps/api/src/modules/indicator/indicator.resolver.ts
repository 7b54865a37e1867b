import { Ctx, Query, Resolver } from "type-graphql";
import type { Context } from "../../context.js";
import { Indicator } from "./indicator.type.js";

@Resolver(() => Indicator)
export class IndicatorResolver {
  @Query(() => [Indicator], { description: "Known indicators (keys used by fitModel and whatIf)." })
  indicators(@Ctx() ctx: Context): Promise<Indicator[]> {
    return ctx.services.datasets.indicators() as Promise<Indicator[]>;
  }
}
