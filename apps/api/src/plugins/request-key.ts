/**
 * The operation name and variables of a request as one cache key, or undefined when JSON cannot
 * tell the variables apart from other values: it writes NaN and ±Infinity (a body may hold 1e400)
 * as null, and null is often valid where Infinity is refused; also undefined when a string in the
 * variables is too long for any cache key. Used by the caches keyed by request
 * (query-cost.ts, what-if-response-cache.ts).
 */
/** Longer than any cache's key limit (query-cost.ts 512, what-if-response-cache.ts 2048 characters). */
const MAX_KEYED_STRING = 4096;

export function requestKey(operationName: string | null | undefined, variables: Record<string, unknown> | undefined): string | undefined {
  let exact = true;
  const text = JSON.stringify(variables ?? {}, (_k, v: unknown) => {
    if (typeof v === "number" && !Number.isFinite(v)) exact = false;
    // No cache keeps keys this long; escaping a 20 MB importDataset CSV here took 60-270 ms of the event loop.
    if (typeof v === "string" && v.length > MAX_KEYED_STRING) {
      exact = false;
      return "";
    }
    return v;
  });
  return exact ? `${operationName ?? ""}\u0000${text}` : undefined;
}
