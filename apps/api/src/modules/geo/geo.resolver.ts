import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../context.js";
import { CountyKind } from "../common/enums.js";
import { AdoptionPoint, County, IndicatorValue, Prefecture } from "./geo.type.js";

@Resolver(() => Prefecture)
export class PrefectureResolver {
  @Query(() => [Prefecture], { description: "The prefecture-level cities." })
  prefectures(@Ctx() ctx: Context): Promise<Prefecture[]> {
    return ctx.services.geo.prefectures();
  }

  @FieldResolver(() => [County])
  counties(@Root() p: Prefecture, @Ctx() ctx: Context): Promise<County[]> {
    return ctx.loaders.countiesOfPrefecture.load(p.code) as Promise<County[]>;
  }
}

@Resolver(() => County)
export class CountyResolver {
  @Query(() => [County], { description: "County-level units, optionally of one prefecture and/or one kind." })
  counties(
    @Arg("prefectureCode", () => String, { nullable: true }) prefectureCode: string | null,
    @Arg("kind", () => CountyKind, { nullable: true }) kind: CountyKind | null,
    @Ctx() ctx: Context,
  ): Promise<County[]> {
    return ctx.services.geo.counties({ prefectureCode, kind }) as Promise<County[]>;
  }

  @Query(() => County, { description: "One county by its 6-digit code; NOT_FOUND when unknown." })
  county(@Arg("code", () => String) code: string, @Ctx() ctx: Context): Promise<County> {
    return ctx.services.geo.county(code) as Promise<County>;
  }

  @FieldResolver(() => Prefecture, { nullable: true })
  prefecture(@Root() c: County, @Ctx() ctx: Context): Promise<Prefecture | null> {
    return ctx.loaders.prefecture.load(c.prefectureCode);
  }

  @FieldResolver(() => [IndicatorValue], { description: "Observed values; all years and datasets unless narrowed." })
  async indicators(
    @Root() c: County,
    @Arg("year", () => Int, { nullable: true }) year: number | null,
    @Arg("datasetId", () => Int, { nullable: true }) datasetId: number | null,
    @Ctx() ctx: Context,
  ): Promise<IndicatorValue[]> {
    const obs = await ctx.loaders.indicators({ year, datasetId }).load(c.code);
    return obs.map((o) => ({ indicator: o.indicator, year: o.year, value: o.value, datasetId: o.datasetId }));
  }

  @FieldResolver(() => [County], { description: "Counties sharing a border (batched per request)." })
  async neighbors(@Root() c: County, @Ctx() ctx: Context): Promise<County[]> {
    const codes = await ctx.loaders.neighborCodes.load(c.code);
    const list = await ctx.loaders.county.loadMany(codes);
    return list.filter((x): x is County => x !== null && !(x instanceof Error)) as County[];
  }

  @FieldResolver(() => [AdoptionPoint], { description: "Yearly new accounts and the cumulative count." })
  async adoptions(
    @Root() c: County,
    @Arg("datasetId", () => Int, { nullable: true }) datasetId: number | null,
    @Ctx() ctx: Context,
  ): Promise<AdoptionPoint[]> {
    const series = await ctx.loaders.adoptions(datasetId).load(c.code);
    return series.map((p) => ({ year: p.year, count: p.count, cumulative: p.cumulative }));
  }
}
