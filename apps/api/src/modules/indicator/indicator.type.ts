import { Field, ObjectType } from "type-graphql";
import { IndicatorRole } from "../common/enums.js";

@ObjectType({ simpleResolvers: true, description: "A county-level variable (outcome or determinant)." })
export class Indicator {
  @Field(() => String) key!: string;
  @Field(() => String) label!: string;
  @Field(() => String) unit!: string;
  @Field(() => String) description!: string;
  @Field(() => IndicatorRole) role!: IndicatorRole;
}
