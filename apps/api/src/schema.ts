import type { GraphQLSchema } from "graphql";
import { buildSchema } from "type-graphql";
import { authChecker } from "./auth.js";
import { DatasetResolver } from "./modules/dataset/dataset.resolver.js";
import { CountyResolver, PrefectureResolver } from "./modules/geo/geo.resolver.js";
import { IndicatorResolver } from "./modules/indicator/indicator.resolver.js";
import { ModelResolver } from "./modules/model/model.resolver.js";
import { ScenarioResolver, ScenarioResultResolver } from "./modules/scenario/scenario.resolver.js";

let schema: Promise<GraphQLSchema> | undefined;

/** Built once per process (type-graphql keeps global metadata; see STYLE pitfall 7). */
export function getSchema(): Promise<GraphQLSchema> {
  schema ??= buildSchema({
    resolvers: [PrefectureResolver, CountyResolver, IndicatorResolver, DatasetResolver, ModelResolver, ScenarioResolver, ScenarioResultResolver],
    authChecker,
    authMode: "error",
    validate: false,
    emitSchemaFile: false,
  });
  return schema;
}
