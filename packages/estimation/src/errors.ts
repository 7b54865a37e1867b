export type EstimationErrorCode = "INVALID_INPUT" | "NOT_CONVERGED" | "SINGULAR_DESIGN";

/** Domain error of the estimation core; `column`/`rows` say what was wrong where that applies. */
export class EstimationError extends Error {
  readonly code: EstimationErrorCode;
  readonly column?: string;
  readonly rows?: number[];
  constructor(
    code: EstimationErrorCode,
    message: string,
    details: { column?: string; rows?: number[]; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "EstimationError";
    this.code = code;
    if (details.column !== undefined) this.column = details.column;
    if (details.rows !== undefined) this.rows = details.rows;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
