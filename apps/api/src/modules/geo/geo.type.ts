import { Field, Float, Int, ObjectType } from "type-graphql";
import { CountyKind } from "../common/enums.js";

@ObjectType({ simpleResolvers: true, description: "A prefecture-level city of Guangxi." })
export class Prefecture {
  @Field(() => String, { description: "GB/T 2260 code, e.g. 451000 (Baise)." }) code!: string;
  @Field(() => String) name!: string;
  @Field(() => String) nameEn!: string;
}

@ObjectType({ simpleResolvers: true, description: "A county-level unit (district, county-level city, county or autonomous county)." })
export class County {
  @Field(() => String, { description: "GB/T 2260 code (2020)." }) code!: string;
  @Field(() => String) name!: string;
  @Field(() => String) nameEn!: string;
  @Field(() => CountyKind) kind!: CountyKind;
  @Field(() => String) prefectureCode!: string;
}

@ObjectType({ simpleResolvers: true, description: "One observed value of an indicator for a county and year." })
export class IndicatorValue {
  @Field(() => String) indicator!: string;
  @Field(() => Int) year!: number;
  @Field(() => Float) value!: number;
  @Field(() => Int) datasetId!: number;
}

@ObjectType({ simpleResolvers: true, description: "New government WeChat accounts registered in a year, and the running total." })
export class AdoptionPoint {
  @Field(() => Int) year!: number;
  @Field(() => Int) count!: number;
  @Field(() => Int) cumulative!: number;
}
