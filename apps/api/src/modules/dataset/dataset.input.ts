import { Field, InputType } from "type-graphql";
import { ImportFormat } from "../common/enums.js";

@InputType()
export class ImportDatasetInput {
  @Field(() => String, { description: "Dataset name; re-importing identical content under the same name changes nothing." })
  name!: string;
  @Field(() => String, { description: "CSV text with a header row (size-limited by the server)." })
  csv!: string;
  @Field(() => ImportFormat, { defaultValue: ImportFormat.LONG }) format!: ImportFormat;
  @Field(() => String, { defaultValue: "api upload" }) source!: string;
  @Field(() => String, { defaultValue: "" }) provenance!: string;
  @Field(() => Boolean, { defaultValue: false }) synthetic!: boolean;
  @Field(() => Boolean, { defaultValue: false, description: "Create indicators that do not exist yet instead of refusing them." })
  createIndicators!: boolean;
}
