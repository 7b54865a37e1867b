/**
 * Domain errors of @govdiffusion/db. Callers (API error mapper, CLI) match on `name`, never on
 * Prisma error classes; `toDomainError` is the one place that translates driver/Prisma errors.
 */
export class NotFoundError extends Error {
  /** The argument that named the missing record (e.g. "modelId"), when a caller knows it. */
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.name = "NotFoundError";
    this.field = field;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConflictError";
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Bad input: `field` is the argument path (e.g. "input.predictors[2]"), `reason` a machine-readable code. */
export class ValidationError extends Error {
  readonly field: string;
  readonly reason: string;
  constructor(field: string, message: string, reason = "INVALID", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ValidationError";
    this.field = field;
    this.reason = reason;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** Bad import input; the message reads `FILE:LINE: column COLUMN: problem` (or `FILE:LINE: problem` when no column applies); `line` is 1-based, `column` the header name. */
export class ImportError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: string | null;
  readonly problem: string;
  constructor(file: string, line: number, column: string | null, problem: string) {
    super(`${file}:${line}${column === null ? "" : `: column ${column}`}: ${problem}`);
    this.name = "ImportError";
    this.file = file;
    this.line = line;
    this.column = column;
    this.problem = problem;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

export function isDomainError(err: unknown): err is NotFoundError | ConflictError | ValidationError | ImportError {
  return (
    err instanceof NotFoundError || err instanceof ConflictError || err instanceof ValidationError || err instanceof ImportError
  );
}

/**
 * Translate Prisma/driver errors into domain errors (P2002 unique → Conflict, P2025 missing →
 * NotFound, P2003 foreign key → Validation). Anything else is returned unchanged.
 */
export function toDomainError(err: unknown, what = "record"): unknown {
  if (isDomainError(err)) return err;
  const e = err as { code?: unknown; meta?: Record<string, unknown>; message?: unknown };
  if (e && typeof e === "object" && typeof e.code === "string") {
    const target = e.meta?.["target"] ?? e.meta?.["modelName"];
    switch (e.code) {
      case "P2002":
        return new ConflictError(`${what} already exists${target ? ` (${JSON.stringify(target)})` : ""}`);
      case "P2025":
        return new NotFoundError(`${what} not found`);
      case "P2003":
        return new ValidationError(String(e.meta?.["field_name"] ?? e.meta?.["constraint"] ?? "reference"), `${what} refers to a missing record`);
    }
  }
  return err;
}

/** Run `fn`, translating Prisma errors (see toDomainError). */
export async function translate<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toDomainError(err, what);
  }
}

/** Why the database cannot serve a request right now (not the caller's fault; retrying may work). */
export type UnavailableReason = "UNREACHABLE" | "READ_ONLY";

/** The database is unreachable or refuses writes. The API answers HTTP 503 SERVICE_UNAVAILABLE (retryable). */
export class UnavailableError extends Error {
  readonly reason: UnavailableReason;
  constructor(reason: UnavailableReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UnavailableError";
    this.reason = reason;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

// Prisma: P1001 can't reach, P1002 timed out, P1008 operation timed out, P1017 server closed the
// connection, P2024 connection-pool timeout; P1003 database missing (dropped or not yet created).
const PRISMA_UNREACHABLE = new Set(["P1001", "P1002", "P1003", "P1008", "P1017", "P2024"]);
// Driver adapter error kinds (@prisma/driver-adapter-utils) that mean "no usable connection".
const ADAPTER_UNREACHABLE = new Set([
  "DatabaseNotReachable", "DatabaseDoesNotExist", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "TlsConnectionError",
]);
// Node socket errors (pg without the adapter, e.g. COPY through pg-copy-streams).
const SOCKET_UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EPIPE", "EAI_AGAIN"]);

/** A PostgreSQL SQLSTATE or SQLite result code: unreachable, read-only, or neither. */
function classifyDriverCode(code: string): UnavailableReason | undefined {
  // PostgreSQL: 25006 read_only_sql_transaction (default_transaction_read_only, hot standby).
  if (code === "25006") return "READ_ONLY";
  // 08xxx connection exceptions; 57P01-57P03 admin/crash shutdown, cannot connect now; 53300 too many connections; 3D000 no such database.
  if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code) || code === "53300" || code === "3D000") return "UNREACHABLE";
  // SQLite: the file was deleted or renamed under an open connection: writes would go nowhere.
  if (code === "SQLITE_READONLY_DBMOVED") return "UNREACHABLE";
  // SQLITE_READONLY and its other extended codes (…_DIRECTORY, …_CANTINIT, …_ROLLBACK).
  if (code.startsWith("SQLITE_READONLY")) return "READ_ONLY";
  // File cannot be opened, I/O error (file removed under a WAL database, disk gone), disk full, busy past the timeout.
  if (code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_IOERR") || code === "SQLITE_FULL" || code.startsWith("SQLITE_BUSY")) {
    return "UNREACHABLE";
  }
  if (PRISMA_UNREACHABLE.has(code) || SOCKET_UNREACHABLE.has(code)) return "UNREACHABLE";
  return undefined;
}

/**
 * The one classifier of infrastructure failures: whether `err` (a Prisma error, a driver-adapter
 * error, a raw pg or better-sqlite3 error, anything wrapping one in `cause`) says the database is
 * unreachable or read-only. Undefined for everything else (bugs, constraint violations, bad SQL).
 */
export function unavailableReason(err: unknown): UnavailableReason | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === null || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    if (e instanceof UnavailableError) return e.reason;
    const o = e as { code?: unknown; originalCode?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
    for (const code of [o.originalCode, o.code]) {
      const reason = typeof code === "string" ? classifyDriverCode(code) : undefined;
      if (reason) return reason;
    }
    if (typeof o.kind === "string" && ADAPTER_UNREACHABLE.has(o.kind)) return "UNREACHABLE";
    if (typeof o.message === "string" && /Connection terminated|terminating connection due to administrator command|the database system is (starting up|shutting down|in recovery)|Client has encountered a connection error/i.test(o.message)) {
      return "UNREACHABLE";
    }
    queue.push(o.cause, o.meta?.driverAdapterError);
  }
  return undefined;
}
