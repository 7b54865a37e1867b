/**
 * Observation import (long: county_code,year,indicator,value; wide: county_code,year,<indicator>…).
 * One transaction per file: all rows or none. Rows are validated while streaming and written in
 * multi-row INSERTs of BATCH_ROWS, so memory stays bounded (only a numeric key per row is kept, to
 * report duplicates with their line).
 */
import { PEER_TERMS } from "../analysis-frame.js";
import type { Db, DbTx } from "../create-db.js";
import { providerOf } from "../create-db.js";
import { ConflictError, ImportError, ValidationError, toDomainError } from "../errors.js";
import type { ImportSummary } from "../types.js";
import { CsvReader, field, parseNumber, parseYear, type CsvRecord, type CsvSource } from "./csv.js";
import { assertNoDependentModels, syntheticAfterWrite } from "./replace.js";
import { BATCH_ROWS, LONG_TX, insertRows, lockForImport } from "./sql.js";

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

/** Thrown inside the transaction to roll it back when the content turns out to be unchanged. */
class Unchanged extends Error {
  constructor(readonly rows: number) {
    super("unchanged");
  }
}

const KEY_YEAR_SPAN = 201; // years 1900..2100

export async function importObservations(db: Db, input: CsvSource, opts: ObservationImportOptions): Promise<ImportSummary> {
  const format = opts.format ?? "long";
  if (format !== "long" && format !== "wide") throw new ValidationError("format", `format must be long or wide, not "${format as string}"`);
  if (!opts.dataset) throw new ValidationError("dataset", "a dataset name is required");
  const provider = providerOf(db);
  const reader = new CsvReader(input, opts.file);

  // Counties are reference data (changed only by importCounties); indicators are read inside the
  // transaction, after the lock, because a concurrent import may have just created one.
  const countyCodes = (await db.county.findMany({ select: { code: true }, orderBy: { code: "asc" } })).map((c) => c.code);
  const countyIndex = new Map(countyCodes.map((c, i) => [c, i]));
  const newIndicators = new Set<string>();

  const stats = { rows: 0, counties: new Set<string>(), years: new Set<number>(), indicators: new Set<string>() };
  let result: ImportSummary | undefined;
  try {
    await db.$transaction(async (tx) => {
      await lockForImport(tx, provider, opts.dataset);
      const indicatorIndex = new Map((await tx.indicator.findMany({ select: { key: true } })).map((r, i) => [r.key, i]));
      const existing = await tx.dataset.findUnique({ where: { name: opts.dataset } });
      // A dataset created by an account import has no observations yet: they are added, not replaced.
      const hasObservations = existing !== null && (await tx.observation.findFirst({ where: { datasetId: existing.id }, select: { year: true } })) !== null;
      if (existing && hasObservations && !opts.replace) {
        const { checksum, rows } = await reader.hashAndCount();
        if (checksum === existing.checksum) throw new Unchanged(rows);
        throw new ConflictError(
          `dataset "${opts.dataset}" already exists with different content (checksum ${existing.checksum.slice(0, 12)}…); import under another name or replace it`,
        );
      }
      let datasetId: number;
      if (existing) {
        if (hasObservations) await tx.observation.deleteMany({ where: { datasetId: existing.id } });
        datasetId = existing.id;
      } else {
        const ds = await tx.dataset.create({
          data: {
            name: opts.dataset, source: opts.source ?? `import of ${opts.file}`,
            provenance: opts.provenance ?? `Imported from ${opts.file} with govdiffusion import.`,
            synthetic: opts.synthetic ?? false, checksum: "pending",
          },
        });
        datasetId = ds.id;
      }

      const ensureIndicator = async (key: string, rec: CsvRecord, column: string): Promise<number> => {
        if ((PEER_TERMS as readonly string[]).includes(key)) {
          throw new ImportError(opts.file, rec.line, column, `"${key}" is a derived peer term (computed from the outcome by the analysis), not an importable indicator`);
        }
        const known = indicatorIndex.get(key);
        if (known !== undefined) return known;
        if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(key)) throw new ImportError(opts.file, rec.line, column, `bad indicator key "${key}" (letters, digits, _)`);
        if (!opts.createIndicators) {
          throw new ImportError(opts.file, rec.line, column, `unknown indicator "${key}" (import with --create-indicators to create it)`);
        }
        // ON CONFLICT DO NOTHING: an import into another dataset may create the same key concurrently
        // (on PostgreSQL the insert waits for that transaction and then does nothing).
        const ph = provider === "postgres" ? "$1,$2,$3,$4,$5" : "?,?,?,?,?";
        await tx.$executeRawUnsafe(
          `INSERT INTO "Indicator" ("key","label","unit","description","role") VALUES (${ph}) ON CONFLICT ("key") DO NOTHING`,
          key, key, "", `Created by the import of ${opts.file} into dataset "${opts.dataset}".`, "determinant",
        );
        indicatorIndex.set(key, indicatorIndex.size);
        newIndicators.add(key);
        return indicatorIndex.get(key)!;
      };
      const county = (rec: CsvRecord, i: number): number => {
        const code = field(rec, i);
        const idx = countyIndex.get(code);
        if (idx === undefined) throw new ImportError(opts.file, rec.line, "county_code", `unknown county code "${code}"`);
        return idx;
      };

      const seen = new Set<number>();
      let batch: unknown[][] = [];
      const flush = async () => {
        await insertRows(tx, provider, "Observation", ["datasetId", "countyCode", "year", "indicatorKey", "value"], batch);
        batch = [];
      };
      const add = async (rec: CsvRecord, c: number, year: number, key: string, kIdx: number, value: number, column: string) => {
        // A numeric key (county, year, indicator) is far smaller than a string key for 1e6 rows.
        const k = (c * KEY_YEAR_SPAN + (year - 1900)) * 1_000_000 + kIdx;
        if (seen.has(k)) {
          throw new ImportError(opts.file, rec.line, column, `duplicate value for county ${countyCodes[c]}, year ${year}, indicator ${key}`);
        }
        seen.add(k);
        const code = countyCodes[c]!;
        stats.counties.add(code);
        stats.years.add(year);
        stats.indicators.add(key);
        batch.push([datasetId, code, year, key, value]);
        if (batch.length >= BATCH_ROWS) await flush();
      };

      const records = reader.records();
      const firstRec = await records.next();
      const rest = async function* () {
        if (!firstRec.done) yield firstRec.value;
        yield* records;
      };
      if (format === "long") {
        const ix = reader.require(["county_code", "year", "indicator", "value"]);
        for await (const rec of rest()) {
          stats.rows++;
          const c = county(rec, ix["county_code"]!);
          const year = parseYear(opts.file, rec, ix["year"]!);
          const key = field(rec, ix["indicator"]!);
          const kIdx = await ensureIndicator(key, rec, "indicator");
          const value = parseNumber(opts.file, rec, ix["value"]!, "value");
          await add(rec, c, year, key, kIdx, value, "value");
        }
      } else {
        const ix = reader.require(["county_code", "year"]);
        const valueCols = reader.header.map((h, i) => ({ h, i })).filter(({ i }) => i !== ix["county_code"] && i !== ix["year"]);
        if (valueCols.length === 0) throw new ImportError(opts.file, reader.headerLine, null, "no indicator columns after county_code,year");
        const headerRec: CsvRecord = { fields: reader.header, line: reader.headerLine };
        const keyIdx: number[] = [];
        for (const { h } of valueCols) keyIdx.push(await ensureIndicator(h, headerRec, h));
        for await (const rec of rest()) {
          stats.rows++;
          const c = county(rec, ix["county_code"]!);
          const year = parseYear(opts.file, rec, ix["year"]!);
          for (let j = 0; j < valueCols.length; j++) {
            const { h, i } = valueCols[j]!;
            const s = field(rec, i);
            if (s === "" || s === "NA") continue; // wide files mark missing cells as empty or NA
            await add(rec, c, year, h, keyIdx[j]!, parseNumber(opts.file, rec, i, h), h);
          }
        }
      }
      await flush();
      const checksum = reader.digest();
      if (existing && hasObservations && checksum === existing.checksum) throw new Unchanged(stats.rows);
      let meta = {};
      if (existing) {
        // Checked after the content is known, so that re-importing identical content stays a no-op.
        if (hasObservations) await assertNoDependentModels(tx, existing);
        const synthetic = syntheticAfterWrite(existing, opts.synthetic);
        meta = hasObservations
          ? { synthetic, source: opts.source ?? `import of ${opts.file}`, provenance: opts.provenance ?? `Imported from ${opts.file} with govdiffusion import.` }
          : { synthetic, ...(opts.source !== undefined ? { source: opts.source } : {}), ...(opts.provenance !== undefined ? { provenance: opts.provenance } : {}) };
      }
      await tx.dataset.update({ where: { id: datasetId }, data: { ...meta, checksum, importedAt: new Date() } });
      result = summary(datasetId, stats, false);
    }, LONG_TX);
  } catch (err) {
    if (err instanceof Unchanged) {
      const ds = await db.dataset.findUnique({ where: { name: opts.dataset } });
      return { ...(await unchangedSummary(db, ds!.id)), rows: err.rows };
    }
    throw toDomainError(err, `dataset "${opts.dataset}"`);
  }
  return result!;
}

function summary(
  datasetId: number | null,
  s: { rows: number; counties: Set<string>; years: Set<number>; indicators: Set<string> },
  unchanged: boolean,
): ImportSummary {
  return { datasetId, rows: s.rows, counties: s.counties.size, years: s.years.size, indicators: s.indicators.size, unchanged };
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
