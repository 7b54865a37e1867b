import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { EstimationError } from "@govdiffusion/estimation";
import { ConflictError, ImportError, NotFoundError, ValidationError } from "@govdiffusion/db";
import { formatError, isExpectedError } from "./errors.js";

const wrap = (original: Error) => new GraphQLError(original.message, { originalError: original, path: ["q"] });
const fmt = (e: Error) => formatError({ message: e.message, path: ["q"], extensions: { code: "INTERNAL_SERVER_ERROR" } }, wrap(e));

describe("formatError", () => {
  it("maps domain errors to codes with the field and reason", () => {
    expect(fmt(new ValidationError("interventions[0].indicator", "nope", "UNKNOWN_INDICATOR")).extensions).toEqual({
      code: "BAD_USER_INPUT", field: "interventions[0].indicator", argument: "interventions", reason: "UNKNOWN_INDICATOR",
    });
    expect(fmt(new ValidationError("predictors", "bad")).extensions).toEqual({ code: "BAD_USER_INPUT", field: "predictors", argument: "predictors", reason: "INVALID" });
    expect(fmt(new NotFoundError("model 3 not found", "id")).extensions).toEqual({ code: "NOT_FOUND", field: "id" });
    expect(fmt(new NotFoundError("dataset 3 not found")).extensions).toEqual({ code: "NOT_FOUND" });
    expect(fmt(new ConflictError("exists")).extensions).toEqual({ code: "CONFLICT" });
    expect(fmt(new ImportError("input.csv", 7, "value", "not a number")).extensions).toEqual({
      code: "BAD_USER_INPUT", field: "input.csv", argument: "input", reason: "IMPORT", line: 7, column: "value",
    });
    expect(fmt(new EstimationError("SINGULAR_DESIGN", "collinear", { column: "x2" })).extensions).toEqual({
      code: "BAD_USER_INPUT", reason: "SINGULAR_DESIGN", column: "x2",
    });
    expect(fmt(new EstimationError("INVALID_INPUT", "bad")).extensions).toEqual({ code: "BAD_USER_INPUT", reason: "INVALID_INPUT" });
    expect(fmt(new EstimationError("NOT_CONVERGED", "no")).extensions).toEqual({ code: "ESTIMATION_FAILED", reason: "NOT_CONVERGED" });
  });

  it("masks unexpected errors: no message, no stack", () => {
    const e = new Error("SQLITE_ERROR: no such table: FittedModel at /srv/db.js:12");
    const out = fmt(e);
    expect(out).toEqual({ message: "Internal server error", path: ["q"], extensions: { code: "INTERNAL_SERVER_ERROR" } });
    expect(isExpectedError(wrap(e))).toBe(false);
    expect(isExpectedError(wrap(new ValidationError("x", "y")))).toBe(true);
  });

  it("keeps GraphQL errors that carry a code, dropping any stacktrace; UNAUTHORIZED → FORBIDDEN", () => {
    const out = formatError({ message: "Invalid API key", extensions: { code: "UNAUTHENTICATED", stacktrace: ["x"] } }, new GraphQLError("Invalid API key"));
    expect(out).toEqual({ message: "Invalid API key", extensions: { code: "UNAUTHENTICATED" } });
    expect(formatError({ message: "no", extensions: { code: "UNAUTHORIZED" } }, new GraphQLError("no")).extensions).toEqual({ code: "FORBIDDEN" });
  });
});
