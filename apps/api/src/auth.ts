import { timingSafeEqual } from "node:crypto";
import { GraphQLError } from "graphql";
import type { AuthChecker } from "type-graphql";
import { hashApiKey } from "./config.js";
import type { Context, Principal } from "./context.js";

const unauthenticated = (message: string): GraphQLError =>
  new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });

/**
 * Reads `Authorization: Bearer <key>`. No header → anonymous (null). A malformed header or a key
 * that matches none of the configured ones → UNAUTHENTICATED (HTTP 401), thrown from the context
 * function so the whole request is refused. Keys are compared as sha256 digests with
 * timingSafeEqual, so equal-length comparisons leak nothing about the key. A key of `keyHashes`
 * may write ("key-N"); one of `readKeyHashes` may only read ("read-key-N").
 */
export function authenticate(authorization: string | undefined, keyHashes: readonly Buffer[], readKeyHashes: readonly Buffer[] = []): Principal | null {
  if (authorization === undefined || authorization.trim() === "") return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) throw unauthenticated("Malformed Authorization header: expected \"Bearer <API key>\"");
  const presented = hashApiKey(m[1]!);
  // Compare against every key (no early exit) so timing does not reveal which index matched.
  const indexIn = (hashes: readonly Buffer[]): number => {
    let matched = -1;
    hashes.forEach((h, i) => {
      if (timingSafeEqual(h, presented) && matched < 0) matched = i;
    });
    return matched;
  };
  const write = indexIn(keyHashes);
  const read = indexIn(readKeyHashes);
  if (write >= 0) return { kind: "api-key", id: `key-${write + 1}`, role: "write" };
  if (read >= 0) return { kind: "api-key", id: `read-key-${read + 1}`, role: "read" };
  throw unauthenticated("Invalid API key");
}

/** Enforced for reads when GOVDIFFUSION_REQUIRE_KEY_FOR_READS is on. */
export function requirePrincipal(principal: Principal | null): void {
  if (!principal) throw unauthenticated("This server requires an API key for every request: send Authorization: Bearer <key>");
}

/**
 * type-graphql @Authorized() (every mutation): an anonymous caller gets UNAUTHENTICATED (401), not
 * type-graphql's UNAUTHORIZED; a read-only key gets FORBIDDEN (403).
 */
export const authChecker: AuthChecker<Context> = ({ context }) => {
  if (!context.principal) throw unauthenticated("This operation needs an API key: send Authorization: Bearer <key>");
  if (context.principal.role !== "write") {
    throw new GraphQLError("This key is read-only (GOVDIFFUSION_READ_KEYS): mutations need a key from GOVDIFFUSION_API_KEYS", {
      extensions: { code: "FORBIDDEN", http: { status: 403 } },
    });
  }
  return true;
};
