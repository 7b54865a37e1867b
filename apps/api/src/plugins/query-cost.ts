import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError, getNullableType, isListType, type GraphQLSchema } from "graphql";
// The CommonJS build: the ESM build imports "graphql/index.mjs", a second copy of graphql beside the
// CommonJS one Apollo and type-graphql use ("Cannot use GraphQLObjectType from another module or realm").
import { createRequire } from "node:module";
import type { ComplexityEstimatorArgs, getComplexity as GetComplexity } from "graphql-query-complexity";
import { requestKey } from "./request-key.js";

const { getComplexity } = createRequire(import.meta.url)("graphql-query-complexity") as { getComplexity: typeof GetComplexity };

/**
 * Expected list lengths, by "Type.field" (then by field name): the cost of a list field is its
 * expected length times (1 + the cost of what is selected in each element), so nested lists
 * multiply, as their responses do. Sizes are those of the Guangxi default data (111 counties,
 * about 6 neighbours each, about 30 observations per county).
 */
const LIST_SIZES: Record<string, number> = {
  "Query.counties": 111,
  "Prefecture.counties": 15,
  "ScenarioResult.counties": 111,
  "Query.prefectures": 14,
  neighbors: 6,
  indicators: 30,
  adoptions: 10,
  coefficients: 10,
  marginalEffects: 10,
  vif: 10,
  warnings: 5,
  // Introspection (GraphiQL asks for the whole schema on load): this schema's own sizes, about 50
  // types of ~5 fields each. Costed like any list, so nested introspection stays bounded.
  "__Schema.types": 50,
  "__Schema.directives": 5,
  "__Type.fields": 5,
  "__Type.inputFields": 5,
  "__Type.enumValues": 5,
  "__Type.interfaces": 1,
  "__Type.possibleTypes": 1,
  "__Field.args": 2,
  "__Directive.args": 2,
  "__Directive.locations": 5,
};
/** Any other list (models, scenarios, predictors, years, covariance rows ...). */
const DEFAULT_LIST_SIZE = 10;

export function listCostEstimator({ type, field, args, childComplexity }: ComplexityEstimatorArgs): number {
  const own = 1 + childComplexity;
  if (!isListType(getNullableType(field.type))) return own;
  let size = LIST_SIZES[`${type.name}.${field.name}`] ?? LIST_SIZES[field.name] ?? DEFAULT_LIST_SIZE;
  // counties of one prefecture: at most ~15
  if (type.name === "Query" && field.name === "counties" && typeof args["prefectureCode"] === "string") size = 15;
  return size * own;
}

/** The estimated cost of an operation (what the plugin compares with maxCost). */
export function queryCost(schema: GraphQLSchema, document: Parameters<typeof getComplexity>[0]["query"], variables: Record<string, unknown> = {}, operationName?: string): number {
  return getComplexity({
    schema, query: document, variables, ...(operationName ? { operationName } : {}),
    estimators: [listCostEstimator],
  });
}

/** Costs remembered per document (oldest dropped first): one per distinct operation and variables. */
const MAX_COSTS_PER_DOCUMENT = 16;
/** Longest operation name + variables (JSON) whose cost is remembered. */
const MAX_KEY_LENGTH = 512;

/**
 * Refuses an operation whose estimated cost (list sizes multiplied through the nesting) exceeds
 * maxCost, before anything is resolved: HTTP 400, code GRAPHQL_VALIDATION_FAILED (as the depth and
 * alias limits) with reason QUERY_COST, the cost and the limit.
 */
export function queryCostPlugin<T extends object>(maxCost: number): ApolloServerPlugin<T> {
  // Apollo reuses one parsed DocumentNode per query text, so costs are kept by document, then by
  // operation and variables (a variable can narrow a list, e.g. counties(prefectureCode: $p)):
  // computing them was ~11% of the CPU of a repeated whatIf request.
  const known = new WeakMap<object, Map<string, number | null>>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operationName }) {
          let costs = known.get(document);
          if (!costs) known.set(document, (costs = new Map()));
          const key = requestKey(operationName, request.variables);
          let cost = key === undefined ? undefined : costs.get(key);
          if (cost === undefined) {
            try {
              cost = queryCost(schema, document, request.variables ?? {}, operationName ?? undefined);
            } catch {
              // Variables that do not match their types: execution refuses them with BAD_USER_INPUT, unresolved.
              cost = null;
            }
            // Large variables (an importDataset CSV) are not kept: memory stays under
            // MAX_COSTS_PER_DOCUMENT × MAX_KEY_LENGTH per document Apollo keeps.
            if (key !== undefined && key.length <= MAX_KEY_LENGTH) {
              if (costs.size >= MAX_COSTS_PER_DOCUMENT) costs.delete(costs.keys().next().value!);
              costs.set(key, cost);
            }
          }
          if (cost === null) return;
          if (cost > maxCost) {
            throw new GraphQLError(
              `query cost ${cost} exceeds the limit of ${maxCost}: every list multiplies the cost by its expected length` +
                ` (counties ×111, neighbors ×6, indicators ×30); ask for fewer nested lists or fewer aliases`,
              { extensions: { code: "GRAPHQL_VALIDATION_FAILED", reason: "QUERY_COST", cost, maxCost, http: { status: 400 } } },
            );
          }
        },
      };
    },
  };
}

