import { DateTimeISOResolver } from "graphql-scalars";
import { Field, Float, Int, ObjectType } from "type-graphql";
import { Estimate } from "../common/estimate.type.js";
import { Operation, Uncertainty } from "../common/enums.js";

@ObjectType({ simpleResolvers: true, description: "One county-year of a what-if: predicted accounts before and after the interventions." })
export class ScenarioCounty {
  @Field(() => String) code!: string;
  @Field(() => String) name!: string;
  @Field(() => String) prefectureCode!: string;
  @Field(() => Int) year!: number;
  @Field(() => Boolean, { description: "True when an intervention touched this county." }) changed!: boolean;
  @Field(() => Float, { description: "Predicted accounts at baseline." }) baseline!: number;
  @Field(() => Float, { description: "Predicted accounts under the scenario." }) scenario!: number;
  @Field(() => Estimate, { description: "scenario − baseline with its uncertainty." }) difference!: Estimate;
  @Field(() => Estimate) baselineInterval!: Estimate;
  @Field(() => Estimate) scenarioInterval!: Estimate;
  @Field(() => Float, { description: "P(at least one account) under the scenario." }) probabilityAtLeastOne!: number;
  @Field(() => Float, { description: "P(at least one account) at baseline." }) probabilityAtLeastOneBaseline!: number;
  @Field(() => Estimate, {
    nullable: true,
    description: "P(at least one account) under the scenario with its uncertainty over beta and alpha (see ScenarioResult.alphaUncertainty); null on scenarios saved before it was computed.",
  })
  probabilityAtLeastOneInterval!: Estimate | null;
  @Field(() => Estimate, { nullable: true, description: "P(at least one account) at baseline with its uncertainty." })
  probabilityAtLeastOneBaselineInterval!: Estimate | null;
}

@ObjectType({ simpleResolvers: true, description: "Outcome of a what-if: totals over the baseline rows and per county." })
export class ScenarioResult {
  @Field(() => Int) modelId!: number;
  @Field(() => Uncertainty) uncertainty!: Uncertainty;
  @Field(() => Float) confidenceLevel!: number;
  @Field(() => Int, { nullable: true }) draws!: number | null;
  @Field(() => Int, { nullable: true }) seed!: number | null;
  @Field(() => [Int], { description: "Years of the baseline rows (the model's fitted years unless options.year was given)." }) years!: number[];
  @Field(() => Float) baselineTotal!: number;
  @Field(() => Float) scenarioTotal!: number;
  @Field(() => Estimate) baselineTotalInterval!: Estimate;
  @Field(() => Estimate) scenarioTotalInterval!: Estimate;
  @Field(() => Estimate, { description: "scenarioTotal − baselineTotal with its uncertainty." }) difference!: Estimate;
  @Field(() => [ScenarioCounty]) counties!: ScenarioCounty[];
  @Field(() => String, {
    nullable: true,
    description: "How alpha's uncertainty enters the P(at least one) intervals: joint (OIM covariance of beta and alpha), independent (alpha's SE, no covariance with beta), none (Poisson or alpha at the boundary).",
  })
  alphaUncertainty!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class InterventionView {
  @Field(() => String) indicator!: string;
  @Field(() => Operation) operation!: Operation;
  @Field(() => Float) value!: number;
  @Field(() => [String], { nullable: true }) countyCodes!: string[] | null;
  @Field(() => [String], { nullable: true }) prefectureCodes!: string[] | null;
}

@ObjectType({ simpleResolvers: true, description: "A saved what-if." })
export class Scenario {
  @Field(() => Int) id!: number;
  @Field(() => Int) modelId!: number;
  @Field(() => String) name!: string;
  @Field(() => [InterventionView]) interventions!: InterventionView[];
  @Field(() => ScenarioResult) result!: ScenarioResult;
  @Field(() => DateTimeISOResolver) createdAt!: Date;
}
