import { Field, Float, InputType, Int } from "type-graphql";
import { Operation, Uncertainty } from "../common/enums.js";

@InputType({ description: "Change one indicator in some counties (all counties when neither list is given)." })
export class InterventionInput {
  @Field(() => String, { description: "A predictor (or the offset/exposure column) of the model." }) indicator!: string;
  @Field(() => Operation) operation!: Operation;
  @Field(() => Float) value!: number;
  @Field(() => [String], { nullable: true }) countyCodes?: string[] | null;
  @Field(() => [String], { nullable: true }) prefectureCodes?: string[] | null;
}

@InputType()
export class WhatIfOptions {
  @Field(() => Uncertainty, { defaultValue: Uncertainty.DELTA }) uncertainty!: Uncertainty;
  @Field(() => Int, { nullable: true, description: "SIMULATION only: number of draws (default 1000, at most the server's limit)." })
  draws?: number | null;
  @Field(() => Int, { nullable: true, description: "SIMULATION only: RNG seed (default 1)." }) seed?: number | null;
  @Field(() => Float, { nullable: true, description: "In (0, 1); default 0.95." }) confidenceLevel?: number | null;
  @Field(() => Int, { nullable: true, description: "Use this year of the model's dataset as the baseline instead of the fitted year(s)." })
  year?: number | null;
}

@InputType()
export class CreateScenarioInput {
  @Field(() => Int) modelId!: number;
  @Field(() => String) name!: string;
  @Field(() => [InterventionInput]) interventions!: InterventionInput[];
  @Field(() => WhatIfOptions, { nullable: true }) options?: WhatIfOptions | null;
}
