/**
 * Errors the API services throw. The mapper in errors.ts recognises errors by `name` (plus their
 * fields), so the same-named classes of @govdiffusion/db map identically.
 */

/** Bad input from the caller: `field` is the argument path, e.g. "input.predictors" or "interventions[0].indicator". */
export class ValidationError extends Error {
  constructor(
    readonly field: string,
    message: string,
    /** Machine-readable reason, e.g. UNKNOWN_INDICATOR, OUT_OF_RANGE, SINGULAR_DESIGN. */
    readonly reason: string = "INVALID",
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ValidationError";
  }
}

export class NotFoundError extends Error {
  constructor(readonly entity: string, readonly id: string | number, readonly field?: string) {
    super(`${entity} ${JSON.stringify(id)} not found`);
    this.name = "NotFoundError";
  }
}
