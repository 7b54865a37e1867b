/**
 * Walks any value (a FitResult) and returns the paths of numbers that are NaN or infinite:
 * every number in a fit must be finite or null.
 */
export function nonFinitePaths(value: unknown, path = "fit"): string[] {
  if (typeof value === "number") return Number.isFinite(value) ? [] : [`${path} = ${value}`];
  if (value === null || value === undefined || typeof value !== "object") return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonFinitePaths(v, `${path}[${i}]`));
  return Object.entries(value).flatMap(([k, v]) => nonFinitePaths(v, `${path}.${k}`));
}
