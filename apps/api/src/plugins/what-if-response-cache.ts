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
/** Heap bytes of a response object per character of its JSON (small objects and boxed numbers: ~3x). */
const BYTES_PER_JSON_CHAR = 3;
/** Longest query hash + operation name + variables (JSON) whose response is kept. */
const MAX_KEY_LENGTH = 2048;
/** Largest response kept (JSON characters). */
const MAX_RESPONSE_LENGTH = 64 * 1024;

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
          // Measured on misses only; 15 aliased what-ifs with every county field would be ~1.3 MB.
          const length = JSON.stringify(response.body.singleResult).length;
          if (length > MAX_RESPONSE_LENGTH) return;
          const bytes = BYTES_PER_JSON_CHAR * length + 2 * key.length + 256;
          entries.set(key, { result: response.body.singleResult, models: contextValue.whatIfModels, generation, bytes });
        },
      };
    },
  };
}
