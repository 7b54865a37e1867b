import { HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import { LRUCache } from "lru-cache";
import { Kind, type FormattedExecutionResult, type OperationDefinitionNode } from "graphql";
import type { Context } from "../context.js";
import type { WhatIfService } from "../modules/scenario/what-if.service.js";
import { requestKey } from "./request-key.js";

/**
 * Memory budget of the kept responses, in estimated bytes (least recently used dropped first): a
 * whatIf with all 111 county rows is ~17 kB of JSON, ~50 kB as the object tree kept here.
 */
export const RESPONSE_CACHE_BYTES = 8 * 2 ** 20;
/** Longest query hash + operation name + variables (JSON) whose response is kept. */
const MAX_KEY_LENGTH = 2048;
/** Largest response kept (estimated heap bytes): a whatIf with every field of its 111 county rows is ~0.2 MB. */
const MAX_RESPONSE_BYTES = 256 * 1024;
/** Heap of an object (header, shape) and of one value in it (a pointer and, for a double, its box). */
const OBJECT_BYTES = 32;
const VALUE_BYTES = 24;

/** Estimated heap bytes of a JSON-like value, counting lists from their first element (the rows of a list share a shape). */
export function estimateResponseBytes(v: unknown): number {
  if (v === null || typeof v !== "object") return typeof v === "string" ? VALUE_BYTES + 2 * v.length : VALUE_BYTES;
  if (Array.isArray(v)) return OBJECT_BYTES + (v.length === 0 ? 0 : v.length * (VALUE_BYTES + estimateResponseBytes(v[0])));
  let bytes = OBJECT_BYTES;
  for (const x of Object.values(v)) bytes += VALUE_BYTES + estimateResponseBytes(x);
  return bytes;
}

/** "hit" or "miss" on every whatIf-only response, so clients and tests can see which it was. */
export const CACHE_HEADER = "x-what-if-cache";

interface Entry {
  result: FormattedExecutionResult;
  /** The models the response came from, re-checked on every hit. */
  models: number[];
  /** WhatIfService.currentGeneration when the response was computed. */
  generation: number;
  /** Estimated heap bytes (key and response). */
  bytes: number;
}

/** A query with at least one root field `whatIf` (aliases allowed), and no others but `__typename`. */
function onlyWhatIf(operation: OperationDefinitionNode): boolean {
  const fields = operation.selectionSet.selections;
  return (
    operation.operation === "query" &&
    fields.every((s) => s.kind === Kind.FIELD && (s.name.value === "whatIf" || s.name.value === "__typename")) &&
    fields.some((s) => s.kind === Kind.FIELD && s.name.value === "whatIf")
  );
}

/**
 * Answers a repeated whatIf-only query with the response computed the first time, skipping
 * GraphQL execution (argument coercion, resolvers, completion: about a third of the request).
 * Sound because a what-if is a pure function of its arguments and a fitted model, and models never
 * change (nor the observations under them: a dataset in use cannot be replaced); they can only be
 * deleted, so a hit is served only if (1) no model was deleted through
 * this process since (WhatIfService generation) and (2) every model it used is still stored
 * (WhatIfService.confirm: looked up at most once a second, as for every what-if). Responses with
 * errors are not kept. Authentication still runs first (it is in the context function). The
 * response header x-what-if-cache says "hit" or "miss".
 */
export function whatIfResponseCache(whatIf: WhatIfService, maxBytes = RESPONSE_CACHE_BYTES): ApolloServerPlugin<Context> & { cachedBytes(): number } {
  const cacheable = new WeakMap<OperationDefinitionNode, boolean>();
  const entries = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (e) => e.bytes });
  return {
    /** Estimated bytes held (never above maxBytes). */
    cachedBytes: () => entries.calculatedSize,
    async requestDidStart() {
      let key: string | undefined;
      let generation = 0;
      let hit = false;
      return {
        async responseForOperation({ operation, queryHash, request }) {
          // No operation (several in the document and no or an unknown operationName): Apollo answers 400.
          if (!operation) return null;
          let ok = cacheable.get(operation);
          if (ok === undefined) cacheable.set(operation, (ok = onlyWhatIf(operation)));
          if (!ok) return null;
          const requestPart = requestKey(request.operationName, request.variables);
          if (requestPart === undefined) return null;
          const k = `${queryHash}\u0000${requestPart}`;
          if (k.length > MAX_KEY_LENGTH) return null;
          key = k;
          generation = whatIf.currentGeneration;
          const entry = entries.get(k);
          if (!entry) return null;
          if (entry.generation !== generation) {
            entries.delete(k);
            return null;
          }
          try {
            for (const id of entry.models) await whatIf.confirm(id);
          } catch {
            entries.delete(k);
            return null; // deleted elsewhere: execute, which answers with the error
          }
          hit = true;
          return { http: { status: undefined, headers: new HeaderMap([[CACHE_HEADER, "hit"]]) }, body: { kind: "single", singleResult: entry.result } };
        },
        async willSendResponse({ response, contextValue }) {
          if (key === undefined || hit) return;
          response.http.headers.set(CACHE_HEADER, "miss");
          if (response.body.kind !== "single" || response.body.singleResult.errors) return;
          // Estimated from the first element of each list rather than measured with JSON.stringify,
          // which cost as much as Apollo's own serialisation of the response (CPU profile, uncached mix).
          const bytes = estimateResponseBytes(response.body.singleResult) + 2 * key.length;
          if (bytes > MAX_RESPONSE_BYTES) return;
          entries.set(key, { result: response.body.singleResult, models: contextValue.whatIfModels, generation, bytes });
        },
      };
    },
  };
}
