import { createHash } from "node:crypto";
import type { AnalysisFrame, StoredModelSpec } from "./types.js";

/** JSON with object keys sorted at every level (typed arrays become plain arrays), so equal content hashes equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value));
}

function normalise(v: unknown): unknown {
  if (v === null || typeof v !== "object") return typeof v === "number" && !Number.isFinite(v) ? String(v) : v;
  if (v instanceof Date) return v.toISOString();
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>, normalise);
  if (Array.isArray(v)) return v.map(normalise);
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, normalise((v as Record<string, unknown>)[k])]));
}

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** sha256 of the frame's rows and columns (canonical JSON). */
export function frameChecksum(frame: AnalysisFrame): string {
  const table = Object.fromEntries(Object.entries(frame.table).map(([k, col]) => [k, Array.from(col)]));
  return sha256(canonicalJson({ rows: frame.rows, table }));
}

/**
 * Identity of a fitted model: sha256 of canonical JSON of { spec, data: frameChecksum(frame) }.
 * The API and the seed both use this, so the same spec on the same data is stored once.
 */
export function fingerprintModel(spec: StoredModelSpec, frame: AnalysisFrame): string {
  return sha256(canonicalJson({ spec, data: frameChecksum(frame) }));
}
