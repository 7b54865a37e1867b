import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError, getNullableType, isListType, type DocumentNode, type GraphQLSchema } from "graphql";
// The CommonJS build: the ESM build imports "graphql/index.mjs", a second copy of graphql beside the
// CommonJS one Apollo and type-graphql use ("Cannot use GraphQLObjectType from another module or realm").
import { createRequire } from "node:module";
import type { ComplexityEstimatorArgs, getComplexity as GetComplexity } from "graphql-query-complexity";
import { LRUCache } from "lru-cache";
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

/**
 * Draw-rows (one simulated draw of one baseline row) per cost unit. A simulation what-if computes
 * draws x baseline rows predictions; one cost unit is about one resolved field (~1 us of CPU), and
 * a draw-row costs ~0.7 us but runs as a tight loop over typed arrays, so 10 draw-rows are priced
 * as one unit: one 1,000-draw what-if on the 111-county model costs 11,100 (fits 50,000; four
 * of them do too), fifteen aliased ones 166,500 (refused).
 */
export const DRAW_ROWS_PER_COST_UNIT = 10;

/** The price of a simulation of `draws` draws over `baselineRows` rows (reusable for every simulating field). */
export function simulationCost(draws: number, baselineRows: number): number {
  return Math.ceil((Math.max(0, draws) * Math.max(0, baselineRows)) / DRAW_ROWS_PER_COST_UNIT);
}

/** A simulation a field will run: its model's baseline (fitted rows, or one `year`) and its draws. */
export interface SimulationWork { modelId: number; year: number | null; draws: number }

/** The what-if options of whatIf and createScenario (coerced: enum values are the internal strings). */
function whatIfSimulation(modelId: unknown, options: unknown, defaultDraws: number): SimulationWork | undefined {
  const o = (options ?? {}) as { uncertainty?: unknown; draws?: unknown; year?: unknown };
  if (o.uncertainty !== "simulation" || typeof modelId !== "number") return undefined;
  return {
    modelId,
    year: typeof o.year === "number" ? o.year : null,
    draws: typeof o.draws === "number" ? o.draws : defaultDraws,
  };
}

/**
 * Fields that simulate, by "Type.field": what work their (coerced) arguments ask for. A later
 * simulating field adds its entry here and is priced by simulationCost like these.
 */
export const SIMULATION_FIELDS: Record<string, (args: Record<string, unknown>, defaultDraws: number) => SimulationWork | undefined> = {
  "Query.whatIf": (args, d) => whatIfSimulation(args["modelId"], args["options"], d),
  "Mutation.createScenario": (args, d) => {
    const input = (args["input"] ?? {}) as { modelId?: unknown; options?: unknown };
    return whatIfSimulation(input.modelId, input.options, d);
  },
};

/** How the cost of simulating fields is found: baseline rows of a model (undefined: not known yet). */
export interface SimulationPricing {
  /** draws when the options give none (the server's default). */
  defaultDraws: number;
  /** More draws than this are refused by validation (naming options.draws), so they are priced at this. */
  maxDraws?: number;
  /** Synchronous: the rows of the baseline if known; undefined adds nothing and records the work as unpriced. */
  baselineRows(work: SimulationWork): number | undefined;
}

export function listCostEstimator({ type, field, args, childComplexity }: ComplexityEstimatorArgs): number {
  const own = 1 + childComplexity;
  if (!isListType(getNullableType(field.type))) return own;
  let size = LIST_SIZES[`${type.name}.${field.name}`] ?? LIST_SIZES[field.name] ?? DEFAULT_LIST_SIZE;
  // counties of one prefecture: at most ~15
  if (type.name === "Query" && field.name === "counties" && typeof args["prefectureCode"] === "string") size = 15;
  return size * own;
}

/** Adds simulationCost to the fields of SIMULATION_FIELDS (then falls through to the list estimator). */
function simulationEstimator(pricing: SimulationPricing) {
  return (estimatorArgs: ComplexityEstimatorArgs): number | void => {
    const { type, field, args } = estimatorArgs;
    const work = SIMULATION_FIELDS[`${type.name}.${field.name}`]?.(args, pricing.defaultDraws);
    if (!work) return undefined;
    const rows = pricing.baselineRows(work);
    const draws = Math.min(work.draws, pricing.maxDraws ?? Infinity);
    // getComplexity takes the first estimator that returns a number: add the field's own cost here.
    return rows === undefined ? undefined : simulationCost(draws, rows) + listCostEstimator(estimatorArgs);
  };
}

/** The estimated cost of an operation (what the plugin compares with maxCost). */
export function queryCost(
  schema: GraphQLSchema, document: Parameters<typeof getComplexity>[0]["query"], variables: Record<string, unknown> = {}, operationName?: string,
  pricing?: SimulationPricing,
): number {
  return getComplexity({
    schema, query: document, variables, ...(operationName ? { operationName } : {}),
    estimators: pricing ? [simulationEstimator(pricing), listCostEstimator] : [listCostEstimator],
  });
}

/** Memory budget of the remembered costs (keys are query hash + operation name + variables), bytes. */
export const COST_CACHE_BYTES = 4 * 2 ** 20;
/** Longest operation name + variables (JSON) whose cost is remembered. */
const MAX_KEY_LENGTH = 512;

/** What the plugin needs to price simulations: the default draws and a model's baseline size. */
export interface QueryCostOptions<T> {
  simulation?: {
    defaultDraws: number;
    maxDraws?: number;
    /** Rows of the baseline a what-if on this model (and `year`, null = its fitted rows) simulates; undefined if unknown (no such model). */
    baselineRows(modelId: number, year: number | null): Promise<number | undefined>;
  };
  /** Called with the cost of every operation that passed the limit (the rate limiter charges it). */
  afterCost?(cost: number, contextValue: T): Promise<void>;
}

/** `final`: false when a simulated model was not found (it may be created later, so the cost is not kept). */
interface Priced { cost: number; simulation: number; final: boolean }

/**
 * Refuses an operation whose estimated cost (list sizes multiplied through the nesting, plus
 * simulationCost for each simulating field) exceeds maxCost, before anything is resolved: HTTP
 * 400, code GRAPHQL_VALIDATION_FAILED (as the depth and alias limits) with reason QUERY_COST, the
 * cost and the limit.
 */
export function queryCostPlugin<T extends object>(maxCost: number, opts: QueryCostOptions<T> = {}): ApolloServerPlugin<T> {
  // Costs are kept by query text (Apollo's sha256 of it), operation and variables (a variable can
  // narrow a list, e.g. counties(prefectureCode: $p)): computing them was ~11% of the CPU of a
  // repeated whatIf request. A model's baseline size never changes (models are immutable), so
  // costs that include simulations are kept too. One LRU for all documents, bounded by bytes.
  const known = new LRUCache<string, { priced: Priced | null }>({ maxSize: COST_CACHE_BYTES, sizeCalculation: (_v, k) => 64 + 2 * k.length });
  const { simulation, afterCost } = opts;

  /** Cost with simulations priced; baseline sizes are looked up first (async), then the document is costed. */
  async function price(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName: string | undefined): Promise<Priced> {
    if (!simulation) return { cost: queryCost(schema, document, variables, operationName), simulation: 0, final: true };
    const sizes = new Map<string, number | undefined>();
    const missing: SimulationWork[] = [];
    let simulated = 0;
    const pricing: SimulationPricing = {
      defaultDraws: simulation.defaultDraws,
      ...(simulation.maxDraws !== undefined ? { maxDraws: simulation.maxDraws } : {}),
      baselineRows(work) {
        const k = `${work.modelId}:${work.year}`;
        if (!sizes.has(k)) {
          missing.push(work);
          return undefined;
        }
        const rows = sizes.get(k) ?? 0;
        simulated += simulationCost(Math.min(work.draws, simulation.maxDraws ?? Infinity), rows);
        return rows;
      },
    };
    let cost = queryCost(schema, document, variables, operationName, pricing);
    if (missing.length === 0) return { cost, simulation: simulated, final: true };
    await Promise.all(missing.map(async (w) => sizes.set(`${w.modelId}:${w.year}`, await simulation.baselineRows(w.modelId, w.year).catch(() => undefined))));
    simulated = 0;
    cost = queryCost(schema, document, variables, operationName, pricing);
    return { cost, simulation: simulated, final: [...sizes.values()].every((n) => n !== undefined) };
  }

  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operationName, contextValue, queryHash }) {
          const part = requestKey(operationName, request.variables);
          const key = part === undefined || part.length > MAX_KEY_LENGTH ? undefined : `${queryHash}\u0000${part}`;
          let priced = key === undefined ? undefined : known.get(key)?.priced;
          if (priced === undefined) {
            try {
              priced = await price(schema, document, request.variables ?? {}, operationName ?? undefined);
            } catch {
              // Variables that do not match their types: execution refuses them with BAD_USER_INPUT, unresolved.
              priced = null;
            }
            // Large variables (an importDataset CSV) are not kept (key undefined).
            if (key !== undefined && priced?.final !== false) known.set(key, { priced });
          }
          if (priced === null) return;
          const { cost } = priced;
          if (cost > maxCost) {
            const advice = priced.simulation > 0
              ? `SIMULATION what-ifs cost draws × baseline rows / ${DRAW_ROWS_PER_COST_UNIT} (${priced.simulation} of this query):` +
                ` ask for fewer draws, fewer simulated what-ifs per request, or uncertainty DELTA`
              : `every list multiplies the cost by its expected length (counties ×111, neighbors ×6, indicators ×30);` +
                ` ask for fewer nested lists or fewer aliases`;
            throw new GraphQLError(`query cost ${cost} exceeds the limit of ${maxCost}: ${advice}`, {
              extensions: { code: "GRAPHQL_VALIDATION_FAILED", reason: "QUERY_COST", cost, maxCost, http: { status: 400 } },
            });
          }
          if (afterCost) await afterCost(cost, contextValue);
        },
      };
    },
  };
}
