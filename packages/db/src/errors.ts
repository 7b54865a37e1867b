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
