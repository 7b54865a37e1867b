/**
 * The path of the first number that is NaN or ±Infinity in a JSON-like value (objects, arrays,
 * typed arrays), else undefined: the check that a result handed out holds no NaN.
 */
export function firstNonFinite(value: unknown, path = "result"): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : path;
  if (value === null || typeof value !== "object") return undefined;
  if (ArrayBuffer.isView(value)) {
    const arr = value as unknown as ArrayLike<number>;
    for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i])) return `${path}[${i}]`;
    return undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = firstNonFinite(value[i], `${path}[${i}]`);
      if (bad) return bad;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const bad = firstNonFinite(v, `${path}.${k}`);
    if (bad) return bad;
  }
  return undefined;
}
