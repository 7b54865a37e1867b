import { Field, Float, ObjectType } from "type-graphql";

@ObjectType({ simpleResolvers: true, description: "A point estimate with its standard error and confidence interval." })
export class Estimate {
  @Field(() => Float) estimate!: number;
  @Field(() => Float) stdError!: number;
  @Field(() => Float) lower!: number;
  @Field(() => Float) upper!: number;
}
