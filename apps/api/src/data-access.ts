import type {
  AnalysisFrame, AnalysisFrameRequest, ImportSummary, Observation, Repositories, StoredModelSpec,
} from "@govdiffusion/db";

/** What the services need from @govdiffusion/db, bound to one database handle. */
export interface DataAccess {
  repos: Repositories;
  buildAnalysisFrame(req: AnalysisFrameRequest): Promise<AnalysisFrame>;
  fingerprintModel(spec: StoredModelSpec, frame: AnalysisFrame): string;
  importObservations(input: ImportObservationsInput): Promise<ImportSummary>;
  /**
   * Observations of several counties in one query (County.indicators batched per request), in
   * repos.observations.forCounty's order (dataset, year, indicator) within each county.
   */
  observationsForCounties(countyCodes: readonly string[], opts: { year?: number; datasetId?: number }): Promise<Observation[]>;
  /** Throws when the database is unreachable (readiness). */
  ping(): Promise<void>;
  /** Whether a write would succeed now (readiness: false when the store is read-only). */
  isWritable(): Promise<boolean>;
  close(): Promise<void>;
}

export interface ImportObservationsInput {
  csv: string;
  format: "long" | "wide";
  dataset: { name: string; source: string; provenance: string; synthetic: boolean };
  createIndicators: boolean;
}
