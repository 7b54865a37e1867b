import type {
  AnalysisFrame, AnalysisFrameRequest, ImportSummary, Repositories, StoredModelSpec,
} from "@govdiffusion/db";

/** What the services need from @govdiffusion/db, bound to one database handle. */
export interface DataAccess {
  repos: Repositories;
  buildAnalysisFrame(req: AnalysisFrameRequest): Promise<AnalysisFrame>;
  fingerprintModel(spec: StoredModelSpec, frame: AnalysisFrame): string;
  importObservations(input: ImportObservationsInput): Promise<ImportSummary>;
  /** Throws when the database is unreachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface ImportObservationsInput {
  csv: string;
  format: "long" | "wide";
  dataset: { name: string; source: string; provenance: string; synthetic: boolean };
  createIndicators: boolean;
}
