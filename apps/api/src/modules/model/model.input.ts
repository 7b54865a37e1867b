import { Field, Float, InputType, Int } from "type-graphql";
import { Cluster, Family, PeerTerm, SeType } from "../common/enums.js";

@InputType({ description: "An identical spec on identical data returns the stored model instead of refitting." })
export class FitModelInput {
  @Field(() => String) name!: string;
  @Field(() => Int) datasetId!: number;
  @Field(() => [Int], { description: "Years of the dataset to pool (one year = cross-section)." }) years!: number[];
  @Field(() => String, { description: "Outcome indicator key (a count)." }) outcome!: string;
  @Field(() => [String], { description: "Predictor indicator keys." }) predictors!: string[];
  @Field(() => Family, { defaultValue: Family.NEGBIN2 }) family!: Family;
  @Field(() => SeType, { defaultValue: SeType.OIM }) seType!: SeType;
  @Field(() => Cluster, { nullable: true, description: "Required grouping for seType CLUSTER (defaults to PREFECTURE)." }) cluster?: Cluster | null;
  @Field(() => String, { nullable: true, description: "Indicator already on the log scale, added to the linear predictor." }) offset?: string | null;
  @Field(() => String, { nullable: true, description: "Indicator of exposures (> 0); its log is the offset." }) exposure?: string | null;
  @Field(() => [PeerTerm], { nullable: true, description: "Diffusion terms computed from the previous year." }) peer?: PeerTerm[] | null;
  @Field(() => Float, { nullable: true, description: "Confidence level for intervals, in (0, 1); default 0.95." }) confidenceLevel?: number | null;
}
