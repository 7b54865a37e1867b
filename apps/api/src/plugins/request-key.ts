/**
 * The operation name and variables of a request as one cache key, or undefined when JSON cannot
 * tell the variables apart from other values: it writes NaN and ±Infinity (a body may hold 1e400)
 * as null, and null is often valid where Infinity is refused. Used by the caches keyed by request
 * (query-cost.ts, what-if-response-cache.ts).
 */
export function requestKey(operationName: string | null | undefined, variables: Record<string, unknown> | undefined): string | undefined {
  let exact = true;
  const text = JSON.stringify(variables ?? {}, (_k, v: unknown) => {
    if (typeof v === "number" && !Number.isFinite(v)) exact = false;
    return v;
  });
  return exact ? `${operationName ?? ""}\u0000${text}` : undefined;
}
