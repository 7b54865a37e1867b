/**
 * The path of the first number that is NaN or ±Infinity in a JSON-like value (objects, arrays,
 * typed arrays), else undefined: the check that a result handed out holds no NaN.
 */
export function firstNonFinite(value: unknown, path = "result"): string | undefined {
  // The path strings are built only once something is known to be wrong: building one per number
  // cost a tenth of an uncached whatIf request (API profile).
  return allFinite(value) ? undefined : pathOfFirst(value, path);
}

function allFinite(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value);
  if (value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!allFinite(value[i])) return false;
    return true;
  }
  if (ArrayBuffer.isView(value)) {
    const arr = value as unknown as ArrayLike<number>;
    for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i])) return false;
    return true;
  }
  // for-in without hasOwn checks (2x faster than with, 4x faster than Object.values): inherited
  // enumerable properties are checked too, which is only stricter.
  for (const k in value) if (!allFinite((value as Record<string, unknown>)[k])) return false;
  return true;
}

function pathOfFirst(value: unknown, path: string): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : path;
  if (value === null || typeof value !== "object") return undefined;
  if (ArrayBuffer.isView(value)) {
    const arr = value as unknown as ArrayLike<number>;
    for (let i = 0; i < arr.length; i++) if (!Number.isFinite(arr[i])) return `${path}[${i}]`;
    return undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = pathOfFirst(value[i], `${path}[${i}]`);
      if (bad) return bad;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const bad = pathOfFirst(v, `${path}.${k}`);
    if (bad) return bad;
  }
  return undefined;
}
