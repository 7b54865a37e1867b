/**
 * Domain types and the repository contract of @govdiffusion/db. Callers (api, cli) use these and
 * never Prisma types. JSON columns (spec, result, interventions) are stored as text.
 */
import type { FitResult, ModelSpec, ScenarioOutcome, Table } from "@govdiffusion/estimation";

export type CountyKind = "district" | "county_level_city" | "county" | "autonomous_county";
export type IndicatorRole = "outcome" | "determinant" | "descriptive" | "derived";

export interface Prefecture { code: string; name: string; nameEn: string }
export interface County { code: string; name: string; nameEn: string; kind: CountyKind; prefectureCode: string }
export interface Indicator { key: string; label: string; unit: string; description: string; role: IndicatorRole }
export interface Dataset {
  id: number; name: string; source: string; provenance: string; synthetic: boolean;
  importedAt: Date; checksum: string; observationCount: number;
}
export interface Observation { datasetId: number; countyCode: string; year: number; indicator: string; value: number }
export interface AdoptionPoint { countyCode: string; year: number; count: number; cumulative: number }

/** What a stored model was fitted on; the fingerprint hashes this plus the data. */
export interface StoredModelSpec extends ModelSpec {
  datasetId: number;
  years: number[];
  peer: PeerTerm[];
}
export type PeerTerm = "peer_neighbors" | "peer_siblings" | "peer_neighbors_share";

export interface StoredModel {
  id: number; name: string; spec: StoredModelSpec; result: FitResult; fingerprint: string; createdAt: Date;
}
export interface StoredScenario {
  id: number; modelId: number; name: string; interventions: unknown; options: unknown;
  result: ScenarioOutcome; createdAt: Date;
}

export interface AnalysisFrameRequest {
  datasetId: number;
  years: number[];
  outcome: string;
  predictors: string[];
  peer?: PeerTerm[];
  /** Extra columns to carry (offset/exposure/weights). */
  extra?: string[];
}
export interface AnalysisFrame {
  /** One entry per kept county-year, in the same order as the columns of `table`. */
  rows: { countyCode: string; prefectureCode: string; year: number }[];
  /** Columns: outcome, predictors, peer terms, extra, plus "prefecture" (string) for clustering. */
  table: Table;
  dropped: { countyCode: string; year: number; missing: string[] }[];
}

export interface ImportSummary {
  /** `rows`: CSV data rows of the file (header excluded; a wide row counts once), also when `unchanged`. */
  datasetId: number | null; rows: number; counties: number; years: number; indicators: number;
  /** true when identical content (checksum) was already imported and nothing was written. */
  unchanged: boolean;
}

/** The repository surface the API and CLI use (implemented in src/repositories/*.ts, built by createRepositories(db)). */
export interface Repositories {
  prefectures: { list(): Promise<Prefecture[]> };
  counties: {
    list(filter?: { prefectureCode?: string; kind?: CountyKind }): Promise<County[]>;
    byCodes(codes: readonly string[]): Promise<County[]>;
    /** Shared-border neighbours for each code (DataLoader batch). */
    neighbors(codes: readonly string[]): Promise<Map<string, string[]>>;
  };
  indicators: { list(): Promise<Indicator[]>; byKeys(keys: readonly string[]): Promise<Indicator[]> };
  datasets: {
    list(): Promise<Dataset[]>;
    byId(id: number): Promise<Dataset | null>;
    byName(name: string): Promise<Dataset | null>;
    /** Deletes the dataset and its observations/accounts only. */
    delete(id: number): Promise<boolean>;
  };
  observations: {
    /** Values of one county (all indicators), optionally one year; datasetId defaults to all. */
    forCounty(countyCode: string, opts?: { year?: number; datasetId?: number }): Promise<Observation[]>;
    years(datasetId: number): Promise<number[]>;
  };
  adoptions: {
    /** Yearly new accounts and cumulative count per county, from account records. */
    series(countyCodes: readonly string[], opts?: { datasetId?: number }): Promise<AdoptionPoint[]>;
  };
  models: {
    create(input: { name: string; spec: StoredModelSpec; result: FitResult; fingerprint: string }): Promise<StoredModel>;
    byId(id: number): Promise<StoredModel | null>;
    byFingerprint(fingerprint: string): Promise<StoredModel | null>;
    /** Whether the model is stored, without reading (and parsing) its result. */
    exists(id: number): Promise<boolean>;
    list(): Promise<StoredModel[]>;
    /** Also deletes its scenarios. */
    delete(id: number): Promise<boolean>;
  };
  scenarios: {
    create(input: { modelId: number; name: string; interventions: unknown; options: unknown; result: ScenarioOutcome }): Promise<StoredScenario>;
    byId(id: number): Promise<StoredScenario | null>;
    list(filter?: { modelId?: number }): Promise<StoredScenario[]>;
    delete(id: number): Promise<boolean>;
  };
}
