import { unwrapResolverError } from "@apollo/server/errors";
import type { GraphQLFormattedError } from "graphql";
import type { Logger } from "./logger.js";

type Mapped = { code: string; extensions?: Record<string, unknown>; message?: string };

interface NamedError extends Error {
  field?: unknown; reason?: unknown; code?: unknown; column?: unknown; rows?: unknown;
  file?: unknown; line?: unknown;
}

/**
 * Domain errors → GraphQL codes. Recognised by `name` so that classes of the same name from
 * @govdiffusion/db, @govdiffusion/estimation all map alike.
 */
export function mapDomainError(err: unknown): Mapped | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as NamedError;
  switch (e.name) {
    case "ValidationError": {
      const field = typeof e.field === "string" ? e.field : undefined;
      return {
        code: "BAD_USER_INPUT",
        extensions: { ...(field ? { field, argument: field.split(/[.[]/, 1)[0] } : {}), reason: typeof e.reason === "string" ? e.reason : "INVALID" },
      };
    }
    case "ImportError":
      return {
        code: "BAD_USER_INPUT",
        extensions: {
          field: "input.csv", argument: "input", reason: "IMPORT",
          ...(e.line !== undefined ? { line: e.line } : {}), ...(e.column !== undefined ? { column: e.column } : {}),
        },
      };
    case "NotFoundError":
      return { code: "NOT_FOUND", extensions: typeof e.field === "string" ? { field: e.field } : {} };
    case "ConflictError":
      return { code: "CONFLICT" };
    case "EstimationError":
      if (e.code === "NOT_CONVERGED") return { code: "ESTIMATION_FAILED", extensions: { reason: "NOT_CONVERGED" } };
      return {
        code: "BAD_USER_INPUT",
        extensions: { reason: e.code, ...(typeof e.column === "string" ? { column: e.column } : {}) },
      };
    default:
      return undefined;
  }
}

/** True for errors the client may see as they are (domain errors and GraphQLErrors with a code). */
export function isExpectedError(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (mapDomainError(original)) return true;
  const code = (original as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === "string" && code !== "INTERNAL_SERVER_ERROR";
}

/**
 * Apollo formatError: known errors keep their message with a code; anything else is masked as
 * INTERNAL_SERVER_ERROR (the request-log plugin logs it with the request id and stack).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const mapped = mapDomainError(original);
  if (mapped) {
    return {
      message: mapped.message ?? formatted.message,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: mapped.code, ...mapped.extensions },
    };
  }
  const code = formatted.extensions?.code;
  // type-graphql's AuthorizationError (a role check failed) → Apollo's FORBIDDEN.
  if (code === "UNAUTHORIZED") return { ...formatted, extensions: { code: "FORBIDDEN" } };
  if (typeof code === "string" && code !== "INTERNAL_SERVER_ERROR") {
    const { stacktrace: _drop, ...ext } = formatted.extensions ?? {};
    return { ...formatted, extensions: ext };
  }
  return {
    message: "Internal server error",
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  };
}

/** Logs an unexpected error in full (stack included) on the server side. */
export function logUnexpected(log: Logger, error: unknown, path?: readonly (string | number)[]): void {
  log.error({ err: unwrapResolverError(error), path }, "unhandled error");
}
