import type { StoredModel } from "@govdiffusion/db";
import type { Cluster, Family, PeerTerm, SeType } from "../common/enums.js";
import type { Model } from "./model.type.js";

/** StoredModel (spec + FitResult) → the GraphQL Model shape. */
export function toModelView(m: StoredModel): Model {
  const r = m.result;
  const s = m.spec;
  return {
    id: m.id,
    name: m.name,
    family: r.family as Family,
    outcome: r.spec.outcome,
    predictors: r.spec.predictors,
    datasetId: s.datasetId,
    years: s.years,
    seType: r.spec.seType as SeType,
    cluster: r.spec.cluster ? ("prefecture" as Cluster) : null,
    offset: r.spec.offset ?? null,
    exposure: r.spec.exposure ?? null,
    peer: (s.peer ?? []) as PeerTerm[],
    confidenceLevel: r.spec.confidenceLevel,
    n: r.n,
    dropped: r.dropped,
    converged: r.converged,
    iterations: r.iterations,
    warnings: r.warnings.map((w) => ({ code: w.code, message: w.message, ...(w.terms ? { terms: w.terms } : {}), ...(w.rows ? { rows: w.rows } : {}) })),
    logLikelihood: r.logLikelihood,
    aic: r.aic,
    bic: r.bic,
    deviance: r.deviance,
    pseudoR2: r.pseudoR2,
    alpha: r.alpha,
    alphaStdError: r.alphaStdError,
    theta: r.theta,
    thetaStdError: r.thetaStdError,
    lrTest: r.lrTest,
    coefficients: r.coefficients,
    marginalEffects: r.marginalEffects,
    vif: r.vif,
    covariance: r.covariance,
    fingerprint: m.fingerprint,
    createdAt: m.createdAt,
  };
}
