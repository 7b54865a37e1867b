import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { authenticate } from "./auth.js";
import { hashApiKey } from "./config.js";

const keys = [hashApiKey("first-key-0123456789"), hashApiKey("second-key-0123456789")];
const codeOf = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GraphQLError);
    return [(e as GraphQLError).extensions["code"], (e as GraphQLError).extensions["http"]];
  }
  return "no error";
};

describe("authenticate", () => {
  it("no header → anonymous", () => {
    expect(authenticate(undefined, keys)).toBeNull();
    expect(authenticate("  ", keys)).toBeNull();
  });
  it("a configured key → its principal (case-insensitive scheme)", () => {
    expect(authenticate("Bearer first-key-0123456789", keys)).toEqual({ kind: "api-key", id: "key-1", role: "write" });
    expect(authenticate("bearer second-key-0123456789", keys)).toEqual({ kind: "api-key", id: "key-2", role: "write" });
  });
  it("a wrong key, a prefix of a key, or another scheme → UNAUTHENTICATED with HTTP 401", () => {
    const expected = ["UNAUTHENTICATED", { status: 401 }];
    expect(codeOf(() => authenticate("Bearer wrong", keys))).toEqual(expected);
    expect(codeOf(() => authenticate("Bearer first-key-012345678", keys))).toEqual(expected);
    expect(codeOf(() => authenticate("Basic Zm9vOmJhcg==", keys))).toEqual(expected);
    expect(codeOf(() => authenticate("Bearer a b", keys))).toEqual(expected);
    expect(codeOf(() => authenticate("Bearer first-key-0123456789", []))).toEqual(expected);
  });
  it("a read-only key → a read principal; not accepted when only write keys are configured", () => {
    const readKeys = [hashApiKey("reader-key-0123456789")];
    expect(authenticate("Bearer reader-key-0123456789", keys, readKeys)).toEqual({ kind: "api-key", id: "read-key-1", role: "read" });
    expect(authenticate("Bearer first-key-0123456789", keys, readKeys)).toEqual({ kind: "api-key", id: "key-1", role: "write" });
    expect(codeOf(() => authenticate("Bearer reader-key-0123456789", keys))).toEqual(["UNAUTHENTICATED", { status: 401 }]);
  });
});
