/**
 * Imports of reference data (counties, adjacency) and of account records. Each file is validated
 * completely and written in one transaction (all or nothing). These files are small (hundreds to
 * thousands of rows), so rows are collected before writing.
 */
import { createHash } from "node:crypto";
import { providerOf, type Db } from "../create-db.js";
import { ConflictError, ImportError, ValidationError, toDomainError } from "../errors.js";
import type { CountyKind, ImportSummary } from "../types.js";
import { CsvReader, field, parseNumber, type CsvSource } from "./csv.js";
import { assertNoDependentModels } from "./replace.js";
import { BATCH_ROWS, LONG_TX, lockForImport } from "./sql.js";

export const COUNTY_KINDS: readonly CountyKind[] = ["district", "county_level_city", "county", "autonomous_county"];
const CODE = /^\d{6}$/;
const ACCOUNT_YEAR_MIN = 2000;

/**
 * counties.csv: code,name_zh,name_en,prefecture_code,prefecture_zh,prefecture_en,kind (extra columns
 * ignored). Upserts prefectures and counties by code (counties not in the file are kept: a file may
 * add or correct a few); `unchanged` when every row already equals the stored one.
 */
export async function importCounties(db: Db, input: CsvSource, opts: { file: string }): Promise<ImportSummary> {
  const reader = new CsvReader(input, opts.file);
  const counties: { code: string; nameZh: string; nameEn: string; kind: string; prefectureCode: string }[] = [];
  const prefectures = new Map<string, { name: string; nameEn: string }>();
  const lineOf = new Map<string, number>();
  let ix: Record<string, number> | undefined;
  for await (const rec of reader.records()) {
    ix ??= reader.require(["code", "name_zh", "name_en", "prefecture_code", "prefecture_zh", "prefecture_en", "kind"]);
    const code = field(rec, ix["code"]!);
    if (!CODE.test(code)) throw new ImportError(opts.file, rec.line, "code", `bad county code "${code}" (six digits, GB/T 2260)`);
    if (lineOf.has(code)) throw new ImportError(opts.file, rec.line, "code", `duplicate county code ${code} (first on line ${lineOf.get(code)})`);
    lineOf.set(code, rec.line);
    const prefectureCode = field(rec, ix["prefecture_code"]!);
    if (!CODE.test(prefectureCode)) throw new ImportError(opts.file, rec.line, "prefecture_code", `bad prefecture code "${prefectureCode}"`);
    const kind = field(rec, ix["kind"]!);
    if (!(COUNTY_KINDS as readonly string[]).includes(kind)) {
      throw new ImportError(opts.file, rec.line, "kind", `unknown kind "${kind}" (use ${COUNTY_KINDS.join(", ")})`);
    }
    const nameZh = field(rec, ix["name_zh"]!);
    if (!nameZh) throw new ImportError(opts.file, rec.line, "name_zh", "empty name");
    counties.push({ code, nameZh, nameEn: field(rec, ix["name_en"]!), kind, prefectureCode });
    prefectures.set(prefectureCode, { name: field(rec, ix["prefecture_zh"]!), nameEn: field(rec, ix["prefecture_en"]!) });
  }
  if (!ix) reader.require(["code"]);
  let unchanged = false;
  try {
    await db.$transaction(async (tx) => {
      // Stored rows equal to the file's → report unchanged and write nothing (like dataset re-imports).
      const storedP = new Map((await tx.prefecture.findMany({ where: { code: { in: [...prefectures.keys()] } } })).map((p) => [p.code, p]));
      const storedC = new Map((await tx.county.findMany({ where: { code: { in: counties.map((c) => c.code) } } })).map((c) => [c.code, c]));
      unchanged =
        [...prefectures].every(([code, p]) => storedP.get(code)?.name === p.name && storedP.get(code)?.nameEn === p.nameEn) &&
        counties.every((c) => {
          const s = storedC.get(c.code);
          return s !== undefined && s.nameZh === c.nameZh && s.nameEn === c.nameEn && s.kind === c.kind && s.prefectureCode === c.prefectureCode;
        });
      if (unchanged) return;
      for (const [code, p] of prefectures) await tx.prefecture.upsert({ where: { code }, create: { code, ...p }, update: p });
      for (const c of counties) await tx.county.upsert({ where: { code: c.code }, create: c, update: c });
    }, LONG_TX);
  } catch (err) {
    throw toDomainError(err, "county");
  }
  return { datasetId: null, rows: counties.length, counties: counties.length, years: 0, indicators: 0, unchanged };
}

/**
 * adjacency.csv: code_a,code_b[,shared_m] (without shared_m, stored lengths are kept). Each pair is stored once (codeA < codeB); pairs already
 * stored are updated, others kept; `unchanged` when every pair is stored with the same length.
 */
export async function importAdjacency(db: Db, input: CsvSource, opts: { file: string }): Promise<ImportSummary> {
  const reader = new CsvReader(input, opts.file);
  const known = new Set((await db.county.findMany({ select: { code: true } })).map((c) => c.code));
  const pairs = new Map<string, { codeA: string; codeB: string; sharedBorderM: number | null }>();
  const lineOf = new Map<string, number>();
  let ix: Record<string, number> | undefined;
  let lengthCol = -1;
  for await (const rec of reader.records()) {
    if (!ix) {
      ix = reader.require(["code_a", "code_b"]);
      lengthCol = reader.header.indexOf("shared_m");
    }
    const a = field(rec, ix["code_a"]!);
    const b = field(rec, ix["code_b"]!);
    if (!known.has(a)) throw new ImportError(opts.file, rec.line, "code_a", `unknown county code "${a}"`);
    if (!known.has(b)) throw new ImportError(opts.file, rec.line, "code_b", `unknown county code "${b}"`);
    if (a === b) throw new ImportError(opts.file, rec.line, "code_b", `a county cannot border itself (${a})`);
    const [codeA, codeB] = a < b ? [a, b] : [b, a];
    const key = `${codeA}|${codeB}`;
    if (lineOf.has(key)) throw new ImportError(opts.file, rec.line, "code_b", `duplicate pair ${codeA}-${codeB} (first on line ${lineOf.get(key)})`);
    lineOf.set(key, rec.line);
    let sharedBorderM: number | null = null;
    if (lengthCol >= 0 && field(rec, lengthCol) !== "") {
      sharedBorderM = parseNumber(opts.file, rec, lengthCol, "shared_m");
      if (sharedBorderM < 0) throw new ImportError(opts.file, rec.line, "shared_m", "border length cannot be negative");
    }
    pairs.set(key, { codeA, codeB, sharedBorderM });
  }
  if (!ix) reader.require(["code_a", "code_b"]);
  let unchanged = false;
  try {
    await db.$transaction(async (tx) => {
      const stored = new Map((await tx.countyAdjacency.findMany()).map((p) => [`${p.codeA}|${p.codeB}`, p.sharedBorderM]));
      // Without a shared_m column the file says nothing about lengths: stored lengths are kept.
      unchanged = [...pairs].every(([key, p]) => stored.has(key) && (lengthCol < 0 || stored.get(key) === p.sharedBorderM));
      if (unchanged) return;
      for (const p of pairs.values()) {
        await tx.countyAdjacency.upsert({
          where: { codeA_codeB: { codeA: p.codeA, codeB: p.codeB } }, create: p, update: lengthCol < 0 ? {} : { sharedBorderM: p.sharedBorderM },
        });
      }
    }, LONG_TX);
  } catch (err) {
    throw toDomainError(err, "adjacency");
  }
  const counties = new Set([...pairs.values()].flatMap((p) => [p.codeA, p.codeB]));
  return { datasetId: null, rows: pairs.size, counties: counties.size, years: 0, indicators: 0, unchanged };
}

export interface AccountImportOptions {
  file: string;
  dataset: string;
  /** When the dataset already has different account records: false → ConflictError, true → replace them. */
  replace?: boolean;
  source?: string;
  provenance?: string;
  synthetic?: boolean;
}

export interface AccountInput { name: string; countyCode: string; agency: string; registeredOn: Date }

/** Canonical checksum of a set of account records (order-independent), to recognise re-imports. */
export function accountsChecksum(rows: readonly AccountInput[]): string {
  const lines = rows.map((r) => JSON.stringify([r.countyCode, r.registeredOn.toISOString().slice(0, 10), r.agency, r.name])).sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

/**
 * accounts.csv: name,county_code,agency,registered_on (YYYY-MM-DD). Goes into dataset `dataset`
 * (created when missing; its observations are kept). Duplicate records (same name, county, agency
 * and date) and dates before 2000 or in the future are refused. Identical records (same set, any order) →
 * unchanged; different records where some exist → ConflictError unless `replace`.
 */
export async function importAccounts(db: Db, input: CsvSource, opts: AccountImportOptions): Promise<ImportSummary> {
  if (!opts.dataset) throw new ValidationError("dataset", "a dataset name is required");
  const reader = new CsvReader(input, opts.file);
  const known = new Set((await db.county.findMany({ select: { code: true } })).map((c) => c.code));
  const rows: AccountInput[] = [];
  const lineOf = new Map<string, number>();
  let ix: Record<string, number> | undefined;
  for await (const rec of reader.records()) {
    ix ??= reader.require(["name", "county_code", "agency", "registered_on"]);
    const name = field(rec, ix["name"]!);
    if (!name) throw new ImportError(opts.file, rec.line, "name", "empty account name");
    const countyCode = field(rec, ix["county_code"]!);
    if (!known.has(countyCode)) throw new ImportError(opts.file, rec.line, "county_code", `unknown county code "${countyCode}"`);
    const d = field(rec, ix["registered_on"]!);
    const date = new Date(`${d}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== d) {
      throw new ImportError(opts.file, rec.line, "registered_on", `bad date "${d}" (expected YYYY-MM-DD)`);
    }
    // Government WeChat accounts exist since 2012; a date before 2000 or after today is a typo.
    if (date.getUTCFullYear() < ACCOUNT_YEAR_MIN) {
      throw new ImportError(opts.file, rec.line, "registered_on", `implausible date "${d}" (before ${ACCOUNT_YEAR_MIN})`);
    }
    if (date.getTime() > Date.now()) throw new ImportError(opts.file, rec.line, "registered_on", `date "${d}" is in the future`);
    const agency = field(rec, ix["agency"]!);
    const key = JSON.stringify([name, countyCode, agency, d]);
    const first = lineOf.get(key);
    if (first !== undefined) {
      throw new ImportError(opts.file, rec.line, "name", `duplicate account record (same name, county, agency and date as line ${first})`);
    }
    lineOf.set(key, rec.line);
    rows.push({ name, countyCode, agency, registeredOn: date });
  }
  if (!ix) reader.require(["name", "county_code", "agency", "registered_on"]);
  return writeAccounts(db, rows, { ...opts, checksum: reader.digest() });
}

/** Shared by importAccounts and the seed: all-or-nothing write of a dataset's account records. */
export async function writeAccounts(
  db: Db, rows: readonly AccountInput[], opts: Omit<AccountImportOptions, "file"> & { file?: string; checksum: string },
): Promise<ImportSummary> {
  const sum = accountsChecksum(rows);
  const counties = new Set(rows.map((r) => r.countyCode)).size;
  const years = new Set(rows.map((r) => r.registeredOn.getUTCFullYear())).size;
  try {
    return await db.$transaction(async (tx) => {
      await lockForImport(tx, providerOf(db), opts.dataset);
      let ds = await tx.dataset.findUnique({ where: { name: opts.dataset } });
      if (ds) {
        const existing = await tx.accountRecord.findMany({ where: { datasetId: ds.id } });
        if (existing.length > 0) {
          if (accountsChecksum(existing) === sum) {
            return { datasetId: ds.id, rows: existing.length, counties, years, indicators: 0, unchanged: true };
          }
          if (!opts.replace) {
            throw new ConflictError(`dataset "${opts.dataset}" already has different account records; import under another name or replace them`);
          }
          // Yearly adoption counts derive from these records, so a fitted model may rest on them.
          await assertNoDependentModels(tx, ds);
          await tx.accountRecord.deleteMany({ where: { datasetId: ds.id } });
        }
      } else {
        ds = await tx.dataset.create({
          data: {
            name: opts.dataset, source: opts.source ?? `import of ${opts.file ?? "account records"}`,
            provenance: opts.provenance ?? `Imported from ${opts.file ?? "account records"} with govdiffusion import.`,
            synthetic: opts.synthetic ?? false, checksum: opts.checksum,
          },
        });
      }
      const id = ds.id;
      for (let i = 0; i < rows.length; i += BATCH_ROWS) {
        // createMany (not raw SQL) so DateTime is stored in Prisma's own format on both providers.
        await tx.accountRecord.createMany({ data: rows.slice(i, i + BATCH_ROWS).map((r) => ({ datasetId: id, ...r })) });
      }
      return { datasetId: id, rows: rows.length, counties, years, indicators: 0, unchanged: false };
    }, LONG_TX);
  } catch (err) {
    throw toDomainError(err, `dataset "${opts.dataset}"`);
  }
}
