import { unwrapResolverError } from "@apollo/server/errors";
import { unavailableReason, type UnavailableReason } from "@govdiffusion/db";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import type { Logger } from "./logger.js";

/**
 * Every `extensions.code` the API answers with, and the HTTP statuses it comes with. The Errors
 * table of apps/api/README.md lists the same codes and statuses (errors.test.ts checks both ways,
 * and that every code the source emits is listed). errorStatusPlugin (plugins/error-status.ts)
 * sets the status of codes marked `sets`; the other statuses come from where the error is raised
 * (Apollo, auth.ts, http.ts, plugins).
 */
export const ERROR_CODES = {
  BAD_USER_INPUT: { statuses: [200, 400] },
  NOT_FOUND: { statuses: [200] },
  CONFLICT: { statuses: [200] },
  ESTIMATION_FAILED: { statuses: [200] },
  UNAUTHENTICATED: { statuses: [401] },
  FORBIDDEN: { statuses: [403] },
  GRAPHQL_VALIDATION_FAILED: { statuses: [400] },
  GRAPHQL_PARSE_FAILED: { statuses: [400] },
  OPERATION_RESOLUTION_FAILURE: { statuses: [400] },
  PERSISTED_QUERY_NOT_FOUND: { statuses: [200] },
  BAD_REQUEST: { statuses: [400, 405] },
  PAYLOAD_TOO_LARGE: { statuses: [413] },
  UNSUPPORTED_MEDIA_TYPE: { statuses: [415] },
  RATE_LIMITED: { statuses: [429] },
  SERVICE_UNAVAILABLE: { statuses: [503], sets: 503 },
  INTERNAL_SERVER_ERROR: { statuses: [200, 500] },
} as const satisfies Record<string, { statuses: readonly number[]; sets?: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

const UNAVAILABLE_MESSAGES: Record<UnavailableReason, string> = {
  UNREACHABLE: "The database is unreachable; retry later",
  READ_ONLY: "The store is read-only: changes are refused until it is writable again (reads still work); retry later",
};

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
  // GraphQL's and Apollo's own errors are not domain errors, even when named alike (Apollo's
  // ValidationError, for unknown fields and arguments, is GRAPHQL_VALIDATION_FAILED).
  if (!(err instanceof Error) || err instanceof GraphQLError) return undefined;
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
    default: {
      // Database unreachable or read-only: the request may succeed later (HTTP 503, see errorStatusPlugin).
      const reason = unavailableReason(err);
      if (!reason) return undefined;
      return { code: "SERVICE_UNAVAILABLE", message: UNAVAILABLE_MESSAGES[reason], extensions: { reason, retryable: true } };
    }
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

/** True when the error says the database is unreachable or read-only (SERVICE_UNAVAILABLE). */
export function isUnavailableError(error: unknown): boolean {
  return mapDomainError(unwrapResolverError(error))?.code === "SERVICE_UNAVAILABLE";
}
