/**
 * Observation import (long: county_code,year,indicator,value; wide: county_code,year,<indicator>…).
 * Two passes: the CSV is read and validated into typed columns (observation-rows.ts), then written
 * in one transaction on a driver connection of its own (bulk.ts: a prepared statement on SQLite,
 * COPY on PostgreSQL). All rows or none; an invalid file writes nothing and opens no transaction.
 */
import type { Db, DbTx } from "../create-db.js";
import { connectionTargetOf } from "../create-db.js";
import { ConflictError, UnavailableError, ValidationError, toDomainError } from "../errors.js";
import type { ImportSummary } from "../types.js";
import { writePostgres, writeSqlite, type BulkWrite, type DatasetState, type WritePlan } from "./bulk.js";
import { CsvReader, type CsvSource } from "./csv.js";
import { parseObservations } from "./observation-rows.js";
import { modelsReferencing, syntheticAfterWrite, throwIfModelsDepend } from "./replace.js";

export interface ObservationImportOptions {
  /** Label used in error messages, e.g. the file path. */
  file: string;
  /** Dataset name; created when missing. */
  dataset: string;
  format?: "long" | "wide";
  /** Create indicators that do not exist yet (label = key, role determinant) instead of failing. */
  createIndicators?: boolean;
  /**
   * When the dataset has observations with different content: false (default) → ConflictError;
   * true → its observations are replaced by the file's (other datasets untouched), its source and
   * provenance set from these options (or defaults naming the file). Refused when fitted models
   * depend on the dataset; see replace.ts for the synthetic flag rules.
   */
  replace?: boolean;
  source?: string;
  provenance?: string;
  /** New dataset: default false. Existing dataset: undefined keeps the flag (refused if it is synthetic). */
  synthetic?: boolean;
}

export async function importObservations(db: Db, input: CsvSource, opts: ObservationImportOptions): Promise<ImportSummary> {
  const format = opts.format ?? "long";
  if (format !== "long" && format !== "wide") throw new ValidationError("format", `format must be long or wide, not "${format as string}"`);
  if (!opts.dataset) throw new ValidationError("dataset", "a dataset name is required");
  const target = connectionTargetOf(db);
  if (target.provider === "sqlite" && target.file === ":memory:") {
    throw new ValidationError("DATABASE_URL", "observation imports need a database file: file::memory: is private to one connection");
  }
  if (target.provider === "sqlite" && target.readonly) {
    // Refused before the file is read: nothing an import does could be written.
    throw new UnavailableError("READ_ONLY", "the file is opened with ?mode=ro, so an import cannot write to this readonly database");
  }
  const reader = new CsvReader(input, opts.file);

  // Same content again, or other content without replace: answered without validating the file.
  // (Checked again inside the transaction, where it is decisive.)
  const stored = await db.dataset.findUnique({ where: { name: opts.dataset } });
  if (stored && !opts.replace && (await db.observation.findFirst({ where: { datasetId: stored.id }, select: { year: true } })) !== null) {
    const { checksum, rows } = await reader.hashAndCount();
    if (checksum === stored.checksum) return { ...(await unchangedSummary(db, stored.id)), rows };
    throw conflict(opts.dataset, stored.checksum);
  }

  // Counties are reference data (changed only by importCounties, never deleted); a key missing
  // here but created meanwhile by another import is inserted with ON CONFLICT DO NOTHING.
  const [counties, indicators] = await Promise.all([
    db.county.findMany({ select: { code: true }, orderBy: { code: "asc" } }),
    db.indicator.findMany({ select: { key: true }, orderBy: { key: "asc" } }),
  ]);
  const parsed = await parseObservations(reader, {
    file: opts.file, format, createIndicators: opts.createIndicators ?? false,
    countyCodes: counties.map((c) => c.code), indicatorKeys: indicators.map((i) => i.key),
  });
  const write: BulkWrite = {
    dataset: opts.dataset,
    parsed,
    indicatorDescription: `Created by the import of ${opts.file} into dataset "${opts.dataset}".`,
    plan: (state) => planWrite(state, parsed.checksum, opts),
  };
  let result;
  try {
    result = target.provider === "postgres" ? await writePostgres(target.url, write) : await writeSqlite(target.file, write, { readonly: target.readonly });
  } catch (err) {
    throw toDomainError(err, `dataset "${opts.dataset}"`);
  }
  if (result === null) {
    const ds = await db.dataset.findUniqueOrThrow({ where: { name: opts.dataset } });
    return { ...(await unchangedSummary(db, ds.id)), rows: parsed.rows };
  }
  return { datasetId: result.datasetId, rows: parsed.rows, ...parsed.distinct, unchanged: false };
}

function conflict(dataset: string, checksum: string): ConflictError {
  return new ConflictError(
    `dataset "${dataset}" already exists with different content (checksum ${checksum.slice(0, 12)}…); import under another name or replace it`,
  );
}

/**
 * What the transaction does, given what it found after taking the lock (throws to refuse):
 * identical content is always a no-op; other content for a dataset with observations needs
 * `replace`, no dependent models and a consistent synthetic flag (replace.ts).
 */
export function planWrite(state: DatasetState, checksum: string, opts: ObservationImportOptions): WritePlan {
  const { existing, hasObservations } = state;
  const defaults = { source: `import of ${opts.file}`, provenance: `Imported from ${opts.file} with govdiffusion import.` };
  if (!existing) {
    return {
      unchanged: false, datasetId: null, replace: false,
      meta: { source: opts.source ?? defaults.source, provenance: opts.provenance ?? defaults.provenance, synthetic: opts.synthetic ?? false },
    };
  }
  if (hasObservations) {
    if (checksum === existing.checksum) return { unchanged: true };
    if (!opts.replace) throw conflict(existing.name, existing.checksum);
    throwIfModelsDepend(existing, modelsReferencing(state.models, existing.id));
    const synthetic = syntheticAfterWrite(existing, opts.synthetic);
    return {
      unchanged: false, datasetId: existing.id, replace: true,
      meta: { synthetic, source: opts.source ?? defaults.source, provenance: opts.provenance ?? defaults.provenance },
    };
  }
  // A dataset created by an account import has no observations yet: they are added, not replaced.
  return {
    unchanged: false, datasetId: existing.id, replace: false,
    meta: { synthetic: syntheticAfterWrite(existing, opts.synthetic), source: opts.source, provenance: opts.provenance },
  };
}

/** Summary of what is already stored, for a re-import of identical content (nothing written). */
export async function unchangedSummary(db: DbTx | Db, datasetId: number): Promise<ImportSummary> {
  const [rows, counties, years, indicators] = await Promise.all([
    db.observation.count({ where: { datasetId } }),
    db.observation.findMany({ where: { datasetId }, distinct: ["countyCode"], select: { countyCode: true } }),
    db.observation.findMany({ where: { datasetId }, distinct: ["year"], select: { year: true } }),
    db.observation.findMany({ where: { datasetId }, distinct: ["indicatorKey"], select: { indicatorKey: true } }),
  ]);
  return { datasetId, rows, counties: counties.length, years: years.length, indicators: indicators.length, unchanged: true };
}
