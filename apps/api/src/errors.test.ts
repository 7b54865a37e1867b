import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { EstimationError } from "@govdiffusion/estimation";
import { ConflictError, ImportError, NotFoundError, UnavailableError, ValidationError } from "@govdiffusion/db";
import { ERROR_CODES, formatError, isExpectedError, isUnavailableError } from "./errors.js";

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

describe("infrastructure failures → SERVICE_UNAVAILABLE (retryable)", () => {
  it("maps unreachable and read-only databases, whatever layer reported them; expected, not a bug", () => {
    const pgDown = Object.assign(new Error("Can't reach database server at 127.0.0.1:1"), {
      code: "P1001", meta: { driverAdapterError: { cause: { kind: "DatabaseNotReachable" } } },
    });
    expect(fmt(pgDown)).toEqual({
      message: "The database is unreachable; retry later", path: ["q"],
      extensions: { code: "SERVICE_UNAVAILABLE", reason: "UNREACHABLE", retryable: true },
    });
    const readOnly = Object.assign(new Error("attempt to write a readonly database"), { code: "SQLITE_READONLY" });
    expect(fmt(readOnly).message).toMatch(/^The store is read-only/);
    expect(fmt(readOnly).extensions).toEqual({ code: "SERVICE_UNAVAILABLE", reason: "READ_ONLY", retryable: true });
    expect(fmt(new UnavailableError("READ_ONLY", "x")).extensions?.["code"]).toBe("SERVICE_UNAVAILABLE");
    expect(isExpectedError(wrap(pgDown))).toBe(true);
    expect(isUnavailableError(wrap(pgDown))).toBe(true);
    expect(isUnavailableError(wrap(new Error("bug")))).toBe(false);
  });

  it("graphql's own errors keep their code even when named like a domain error (Apollo's ValidationError)", () => {
    class ApolloValidationError extends GraphQLError {
      constructor(message: string) {
        super(message, { extensions: { code: "GRAPHQL_VALIDATION_FAILED" } });
        this.name = "ValidationError";
      }
    }
    const e = new ApolloValidationError('Cannot query field "nope" on type "Query".');
    expect(formatError({ message: e.message, extensions: { code: "GRAPHQL_VALIDATION_FAILED" } }, e)).toEqual({
      message: e.message, extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
    });
  });
});

describe("the Errors table of README.md lists every code with its HTTP statuses", () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const readme = readFileSync(path.join(here, "../README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Errors"), readme.indexOf("\n## ", readme.indexOf("## Errors") + 1));
  const table = new Map(
    [...section.matchAll(/^\| `([A-Z_]+)` \| ([0-9, ]+) \|/gm)].map((m) => [m[1]!, m[2]!.split(",").map((x) => Number(x.trim()))]),
  );

  it("README → code and code → README, with the same statuses", () => {
    expect(table.size).toBeGreaterThan(10);
    const fromCode = new Map(Object.entries(ERROR_CODES).map(([code, e]) => [code, [...e.statuses]]));
    expect(Object.fromEntries(table)).toEqual(Object.fromEntries(fromCode));
  });

  it("every code the source raises is in ERROR_CODES", () => {
    const files = (readdirSync(here, { recursive: true }) as string[]).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    const raised = new Set<string>();
    for (const f of files) {
      const text = readFileSync(path.join(here, f), "utf8");
      for (const m of text.matchAll(/code: "([A-Z_]+)"|(?:HttpError|sendJsonError)\((?:res, )?\d+, "([A-Z_]+)"/g)) raised.add((m[1] ?? m[2])!);
    }
    expect(raised.size).toBeGreaterThan(8);
    expect([...raised].filter((c) => !(c in ERROR_CODES))).toEqual([]);
  });
});
