/**
 * Second pass of an observation import: one transaction on a driver connection of its own
 * (better-sqlite3 or pg), opened for this import and closed after it, so it works the same from
 * the main thread or a worker thread. Through Prisma (500-row INSERTs of bound parameters) a row
 * cost ~40 µs; this path is at the raw driver's speed (figures: README, `npm run bench`).
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { SQLITE_BUSY_TIMEOUT_MS } from "../create-db.js";
import type { ParsedObservations } from "./observation-rows.js";
import { datasetLockKey } from "./sql.js";

/** What the transaction reads before deciding (after the lock). */
export interface DatasetState {
  existing: { id: number; name: string; synthetic: boolean; checksum: string } | null;
  hasObservations: boolean;
  /** All fitted models (to find those fitted on the dataset); only read when the dataset exists. */
  models: { id: number; name: string; spec: string }[];
}

/** What the transaction then does (decided by observations.ts; throws to refuse). */
export type WritePlan =
  | { unchanged: true }
  | {
      unchanged: false;
      /** null: create the dataset with `meta`; else write into it, replacing its observations when `replace`. */
      datasetId: number | null;
      replace: boolean;
      meta: { source?: string; provenance?: string; synthetic?: boolean };
    };

export interface BulkWrite {
  dataset: string;
  parsed: ParsedObservations;
  /** Description of indicators this import creates. */
  indicatorDescription: string;
  plan(state: DatasetState): WritePlan;
}

/** Result: the dataset written, or null when the plan said the content is unchanged. */
export type BulkResult = { datasetId: number } | null;

const OBSERVATION_COLUMNS = `"datasetId","countyCode","year","indicatorKey","value"`;

// ---------------------------------------------------------------- SQLite

/**
 * SQLite: waits for the write lock without blocking the thread (BEGIN IMMEDIATE retried with a
 * busy timeout of 0), then does everything synchronously until COMMIT, so the lock is never held
 * across an await (another connection of the same thread, e.g. Prisma's, could otherwise block
 * the thread on the lock this transaction holds).
 */
export async function writeSqlite(file: string, w: BulkWrite, opts: { readonly?: boolean } = {}): Promise<BulkResult> {
  // A client opened with ?mode=ro imports through a read-only connection too: the write fails as
  // SQLITE_READONLY (a 503 in the API) instead of bypassing the read-only setting.
  const conn = new Database(file, { timeout: 0, fileMustExist: true, readonly: opts.readonly ?? false });
  try {
    // The three foreign-key lookups per row cost ~20% of the insert time; the references are
    // checked once per distinct county and indicator instead (writeSqliteLocked).
    conn.pragma("foreign_keys = OFF");
    conn.pragma("cache_size = -65536"); // 64 MB of page cache for this connection's index updates
    await beginImmediate(conn);
    try {
      const result = writeSqliteLocked(conn, w);
      conn.exec(result ? "COMMIT" : "ROLLBACK");
      return result;
    } catch (err) {
      if (conn.inTransaction) conn.exec("ROLLBACK");
      throw err;
    }
  } finally {
    conn.close();
  }
}

async function beginImmediate(conn: Database.Database): Promise<void> {
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      conn.exec("BEGIN IMMEDIATE");
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== "SQLITE_BUSY" || Date.now() > deadline) throw err;
    }
    await sleep(wait);
  }
}

function writeSqliteLocked(conn: Database.Database, w: BulkWrite): BulkResult {
  const row = conn.prepare(`SELECT "id","name","synthetic","checksum" FROM "Dataset" WHERE "name" = ?`).get(w.dataset) as
    | { id: number; name: string; synthetic: number; checksum: string } | undefined;
  const existing = row ? { ...row, synthetic: row.synthetic !== 0 } : null;
  const hasObservations = existing !== null && conn.prepare(`SELECT 1 FROM "Observation" WHERE "datasetId" = ? LIMIT 1`).get(existing.id) !== undefined;
  const models = existing ? (conn.prepare(`SELECT "id","name","spec" FROM "FittedModel" ORDER BY "id"`).all() as DatasetState["models"]) : [];
  const plan = w.plan({ existing, hasObservations, models });
  if (plan.unchanged) return null;

  const { parsed } = w;
  const addIndicator = conn.prepare(`INSERT INTO "Indicator" ("key","label","unit","description","role") VALUES (?,?,?,?,?) ON CONFLICT ("key") DO NOTHING`);
  for (const key of parsed.newKeys) addIndicator.run(key, key, "", w.indicatorDescription, "determinant");
  // Foreign keys are off on this connection: check here, under the lock, that every county and
  // indicator the rows name exists (a few thousand keys, not a lookup per row).
  assertReferencesExist(conn, "County", "code", usedValues(parsed.countyCodes, parsed.county));
  assertReferencesExist(conn, "Indicator", "key", usedValues(parsed.keys, parsed.key));

  const now = new Date().toISOString().replace("Z", "+00:00"); // the format Prisma's SQLite adapter writes
  let datasetId: number;
  if (plan.datasetId === null) {
    const { source = "", provenance = "", synthetic = false } = plan.meta;
    datasetId = Number(
      conn.prepare(`INSERT INTO "Dataset" ("name","source","provenance","synthetic","importedAt","checksum") VALUES (?,?,?,?,?,?)`)
        .run(w.dataset, source, provenance, synthetic ? 1 : 0, now, parsed.checksum).lastInsertRowid,
    );
  } else {
    datasetId = plan.datasetId;
    if (plan.replace) conn.prepare(`DELETE FROM "Observation" WHERE "datasetId" = ?`).run(datasetId);
    const { source, provenance, synthetic } = plan.meta;
    conn.prepare(
      `UPDATE "Dataset" SET "source" = COALESCE(?, "source"), "provenance" = COALESCE(?, "provenance"),
         "synthetic" = COALESCE(?, "synthetic"), "importedAt" = ?, "checksum" = ? WHERE "id" = ?`,
    ).run(source ?? null, provenance ?? null, synthetic === undefined ? null : synthetic ? 1 : 0, now, parsed.checksum, datasetId);
  }

  const insert = conn.prepare(`INSERT INTO "Observation" (${OBSERVATION_COLUMNS}) VALUES (?,?,?,?,?)`);
  const { county, year, key, value, countyCodes, keys } = parsed;
  for (let i = 0; i < parsed.n; i++) insert.run(datasetId, countyCodes[county[i]!], year[i], keys[key[i]!], value[i]);
  return { datasetId };
}

function usedValues(names: readonly string[], idx: Int32Array): string[] {
  const used = new Uint8Array(names.length);
  for (let i = 0; i < idx.length; i++) used[idx[i]!] = 1;
  return names.filter((_, i) => used[i] === 1);
}

function assertReferencesExist(conn: Database.Database, table: string, column: string, values: readonly string[]): void {
  const present = new Set(conn.prepare(`SELECT "${column}" AS v FROM "${table}"`).pluck().all() as string[]);
  const missing = values.find((v) => !present.has(v));
  if (missing !== undefined) throw new Error(`import: ${table} "${missing}" no longer exists (deleted during the import)`);
}

// ---------------------------------------------------------------- PostgreSQL

/**
 * PostgreSQL: the same advisory lock as the Prisma-side imports, then COPY … FROM STDIN straight
 * into "Observation" (the constraints are checked by the server; a failure aborts the whole
 * transaction).
 */
export async function writePostgres(url: string, w: BulkWrite): Promise<BulkResult> {
  // The same connection string Prisma's pg adapter is given (createDb).
  const client = new pg.Client({ connectionString: url });
  // A connection lost mid-import also fails the query in flight (which rolls back and is reported);
  // without a listener the client's "error" event would end the process.
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query("BEGIN");
    try {
      const result = await writePostgresLocked(client, w);
      await client.query(result ? "COMMIT" : "ROLLBACK");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  } finally {
    await client.end().catch(() => undefined); // never hides the error that ended the import
  }
}

async function writePostgresLocked(client: pg.Client, w: BulkWrite): Promise<BulkResult> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [datasetLockKey(w.dataset)]);
  const found = await client.query<{ id: number; name: string; synthetic: boolean; checksum: string }>(
    `SELECT "id","name","synthetic","checksum" FROM "Dataset" WHERE "name" = $1`, [w.dataset],
  );
  const existing = found.rows[0] ?? null;
  const hasObservations = existing !== null && (await client.query(`SELECT 1 FROM "Observation" WHERE "datasetId" = $1 LIMIT 1`, [existing.id])).rowCount! > 0;
  const models = existing ? (await client.query<DatasetState["models"][number]>(`SELECT "id","name","spec" FROM "FittedModel" ORDER BY "id"`)).rows : [];
  const plan = w.plan({ existing, hasObservations, models });
  if (plan.unchanged) return null;

  const { parsed } = w;
  for (const key of parsed.newKeys) {
    // ON CONFLICT DO NOTHING: an import into another dataset may create the same key concurrently.
    await client.query(
      `INSERT INTO "Indicator" ("key","label","unit","description","role") VALUES ($1,$2,$3,$4,$5) ON CONFLICT ("key") DO NOTHING`,
      [key, key, "", w.indicatorDescription, "determinant"],
    );
  }
  // "importedAt" is a timestamp without time zone holding UTC (as Prisma writes it): an ISO text, not a Date (pg would send local time).
  const now = new Date().toISOString();
  let datasetId: number;
  if (plan.datasetId === null) {
    const { source = "", provenance = "", synthetic = false } = plan.meta;
    const created = await client.query<{ id: number }>(
      `INSERT INTO "Dataset" ("name","source","provenance","synthetic","importedAt","checksum") VALUES ($1,$2,$3,$4,$5::timestamptz AT TIME ZONE 'UTC',$6) RETURNING "id"`,
      [w.dataset, source, provenance, synthetic, now, parsed.checksum],
    );
    datasetId = created.rows[0]!.id;
  } else {
    datasetId = plan.datasetId;
    if (plan.replace) await client.query(`DELETE FROM "Observation" WHERE "datasetId" = $1`, [datasetId]);
    const { source, provenance, synthetic } = plan.meta;
    await client.query(
      `UPDATE "Dataset" SET "source" = COALESCE($1, "source"), "provenance" = COALESCE($2, "provenance"),
         "synthetic" = COALESCE($3, "synthetic"), "importedAt" = $4::timestamptz AT TIME ZONE 'UTC', "checksum" = $5 WHERE "id" = $6`,
      [source ?? null, provenance ?? null, synthetic ?? null, now, parsed.checksum, datasetId],
    );
  }
  await pipeline(Readable.from(copyText(datasetId, parsed)), client.query(copyFrom(`COPY "Observation" (${OBSERVATION_COLUMNS}) FROM STDIN`)));
  return { datasetId };
}

/** COPY text format, in chunks of about 1 MB. */
function* copyText(datasetId: number, p: ParsedObservations): Generator<string> {
  const codes = p.countyCodes.map(copyEscape);
  const keys = p.keys.map(copyEscape);
  const prefix = `${datasetId}\t`;
  let chunk = "";
  for (let i = 0; i < p.n; i++) {
    // String(number) is the shortest text that reads back as the same double.
    chunk += `${prefix}${codes[p.county[i]!]}\t${p.year[i]}\t${keys[p.key[i]!]}\t${p.value[i]}\n`;
    if (chunk.length >= 1 << 20) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}

/** Backslash, tab, newline and carriage return are special in COPY's text format. */
function copyEscape(s: string): string {
  return s.replace(/[\\\t\n\r]/g, (c) => ({ "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" })[c]!);
}
