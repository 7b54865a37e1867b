import { firstNonFinite, type FitResult } from "@govdiffusion/estimation";
import type { StoredModel } from "@govdiffusion/db";
import { GraphQLError } from "graphql";

/** Summary numbers the schema declares non-null (Float!): a stored NaN comes back from JSON as null. */
const REQUIRED_NUMBERS = ["logLikelihood", "aic", "bic", "deviance", "pseudoR2", "n", "iterations"] as const;

/**
 * Why a stored model cannot be served (a degenerate fit stored before the API refused them:
 * NaN/Infinity, or nulls where JSON turned them into null), or undefined when it is sound.
 */
export function degenerateReason(m: StoredModel): string | undefined {
  const r = m.result as FitResult | null;
  if (!r || typeof r !== "object") return "result missing";
  for (const k of REQUIRED_NUMBERS) if (typeof r[k] !== "number") return `result.${k} is ${String(r[k])}`;
  for (const [i, c] of (r.coefficients ?? []).entries()) {
    // An aliased term has all-null inference; any other null came from a non-finite number.
    if (c.estimate !== null && (c.stdError === null || c.z === null || c.pValue === null || c.ciLower === null || c.ciUpper === null)) {
      return `result.coefficients[${i}] (${c.term}) has a missing standard error or interval`;
    }
  }
  if (r.covariance?.matrix?.some((row) => row.some((x) => typeof x !== "number"))) return "result.covariance has missing entries";
  const bad = firstNonFinite(r);
  return bad ? `${bad} is not a finite number` : undefined;
}

export const degenerateModel = (m: StoredModel, why: string): GraphQLError =>
  new GraphQLError(`model ${m.id} is a degenerate fit (${why}); delete it with deleteModel and refit`, {
    extensions: { code: "ESTIMATION_FAILED", reason: "NON_FINITE" },
  });
