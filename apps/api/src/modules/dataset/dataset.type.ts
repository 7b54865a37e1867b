import { DateTimeISOResolver } from "graphql-scalars";
import { Field, Int, ObjectType } from "type-graphql";

@ObjectType({ simpleResolvers: true, description: "A set of observations with its provenance." })
export class Dataset {
  @Field(() => Int) id!: number;
  @Field(() => String) name!: string;
  @Field(() => String) source!: string;
  @Field(() => String) provenance!: string;
  @Field(() => Boolean, { description: "True when the values are simulated, not observed: never read them as facts about a county." })
  synthetic!: boolean;
  @Field(() => DateTimeISOResolver) importedAt!: Date;
  @Field(() => String) checksum!: string;
  @Field(() => Int) observationCount!: number;
}

@ObjectType({ simpleResolvers: true })
export class ImportResult {
  @Field(() => Int, { nullable: true }) datasetId!: number | null;
  @Field(() => Int) rows!: number;
  @Field(() => Int) counties!: number;
  @Field(() => Int) years!: number;
  @Field(() => Int) indicators!: number;
  @Field(() => Boolean, { description: "True when identical content was already imported; nothing was written." })
  unchanged!: boolean;
}
