import type { Db, Provider } from "../create-db.js";

type Tx = Pick<Db, "$executeRawUnsafe">;

/** Multi-row INSERT with bound parameters (`?` for SQLite, `$n` for PostgreSQL). */
export async function insertRows(
  tx: Tx, provider: Provider, table: string, columns: readonly string[], rows: readonly unknown[][],
): Promise<number> {
  if (rows.length === 0) return 0;
  const params: unknown[] = [];
  const tuples: string[] = [];
  let n = 0;
  for (const row of rows) {
    const ph = row.map(() => (provider === "postgres" ? `$${++n}` : "?"));
    tuples.push(`(${ph.join(",")})`);
    params.push(...row);
  }
  const sql = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(",")}) VALUES ${tuples.join(",")}`;
  return tx.$executeRawUnsafe(sql, ...params);
}

/** Rows per INSERT statement: large enough to amortise round trips, well under parameter limits. */
export const BATCH_ROWS = 500;

/** Interactive transaction limits for long imports (the default 5 s would abort a large file). */
export const LONG_TX = { maxWait: 10 * 60_000, timeout: 30 * 60_000 } as const;

/**
 * First statement of every import transaction: takes the write lock up front so that two imports
 * (in this process or another) run one after the other instead of failing half-way.
 * - PostgreSQL: a transaction-scoped advisory lock per dataset name, so an import that finds the
 *   dataset missing cannot race another one creating it (it waits and then sees it).
 * - SQLite: a no-op UPDATE turns the deferred BEGIN into a write transaction at once; a writer that
 *   first read and then tried to upgrade could fail with SQLITE_BUSY instead of waiting (busy_timeout).
 */
export async function lockForImport(tx: Pick<Db, "$executeRawUnsafe" | "$queryRawUnsafe">, provider: Provider, name: string): Promise<void> {
  if (provider === "postgres") {
    await tx.$queryRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext($1))::text AS locked`, datasetLockKey(name));
  } else {
    await tx.$executeRawUnsafe(`UPDATE "Dataset" SET "name" = "name" WHERE 0 = 1`);
  }
}

/** Key of the PostgreSQL advisory lock that serialises writes into dataset `name` (Prisma and raw connections alike). */
export function datasetLockKey(name: string): string {
  return `govdiffusion:dataset:${name}`;
}
