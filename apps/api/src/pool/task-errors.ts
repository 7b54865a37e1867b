import { ConflictError, ImportError, NotFoundError, UnavailableError, ValidationError } from "@govdiffusion/db";
import { EstimationError } from "@govdiffusion/estimation";
import { GraphQLError } from "graphql";

/**
 * An error thrown by a task in a worker thread, as plain data. Structured cloning (postMessage)
 * keeps only the message of an Error subclass and turns it into a plain Error, so the classes the
 * services test with instanceof (ValidationError, NotFoundError, EstimationError, ...) and the
 * fields errors.ts maps (field, reason, code, column, line, extensions) would be lost.
 */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Own enumerable fields of the error (field, reason, code, column, rows, line, extensions, ...), JSON-safe. */
  props: Record<string, unknown>;
  cause?: SerializedError | { value: unknown };
}

/** Classes rebuilt with their own prototype on the receiving side, so instanceof and errors.ts see the same error. */
const CLASSES: Record<string, { prototype: Error }> = {
  ValidationError, NotFoundError, ConflictError, ImportError, EstimationError, GraphQLError, UnavailableError,
  Error, TypeError, RangeError, SyntaxError,
};

function plain(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return String(value);
  }
}

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: "Error", message: String(err), props: { thrown: plain(err) } };
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(err)) {
    // GraphQLError keeps its original error and AST nodes: not data, and rebuilt from message + extensions.
    if (k === "cause" || k === "originalError" || k === "nodes" || k === "source") continue;
    if (typeof v !== "function") props[k] = plain(v);
  }
  const out: SerializedError = { name: err.name, message: err.message, props };
  if (err.stack !== undefined) out.stack = err.stack;
  if (err.cause !== undefined) out.cause = err.cause instanceof Error ? serializeError(err.cause) : { value: plain(err.cause) };
  return out;
}

/** The error again, as an instance of the same class (by name) with the same fields; unknown classes become Error with that name. */
export function reviveError(s: SerializedError): Error {
  let err: Error;
  if (s.name === "GraphQLError") {
    err = new GraphQLError(s.message, { extensions: (s.props["extensions"] as Record<string, unknown> | undefined) ?? {} });
  } else {
    const cls = Object.hasOwn(CLASSES, s.name) ? CLASSES[s.name]! : Error;
    err = Object.create(cls.prototype) as Error;
    Object.defineProperty(err, "message", { value: s.message, writable: true, configurable: true });
    Object.assign(err, s.props);
    // A class the main thread does not know (e.g. a driver's error): its name is what errors.ts and logs go by.
    if (err.name !== s.name) Object.defineProperty(err, "name", { value: s.name, writable: true, configurable: true });
  }
  if (s.stack !== undefined) Object.defineProperty(err, "stack", { value: s.stack, writable: true, configurable: true });
  if (s.cause !== undefined) {
    const cause = "value" in s.cause ? s.cause.value : reviveError(s.cause);
    Object.defineProperty(err, "cause", { value: cause, writable: true, configurable: true });
  }
  return err;
}
