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
 * timingSafeEqual, so equal-length comparisons leak nothing about the key.
 */
export function authenticate(authorization: string | undefined, keyHashes: readonly Buffer[]): Principal | null {
  if (authorization === undefined || authorization.trim() === "") return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) throw unauthenticated("Malformed Authorization header: expected \"Bearer <API key>\"");
  const presented = hashApiKey(m[1]!);
  let matched = -1;
  // Compare against every key (no early exit) so timing does not reveal which index matched.
  keyHashes.forEach((h, i) => {
    if (timingSafeEqual(h, presented) && matched < 0) matched = i;
  });
  if (matched < 0) throw unauthenticated("Invalid API key");
  return { kind: "api-key", id: `key-${matched + 1}` };
}

/** Enforced for reads when GOVDIFFUSION_REQUIRE_KEY_FOR_READS is on. */
export function requirePrincipal(principal: Principal | null): void {
  if (!principal) throw unauthenticated("This server requires an API key for every request: send Authorization: Bearer <key>");
}

/** type-graphql @Authorized(): an anonymous caller gets UNAUTHENTICATED (401), not type-graphql's UNAUTHORIZED. */
export const authChecker: AuthChecker<Context> = ({ context }) => {
  if (!context.principal) throw unauthenticated("This operation needs an API key: send Authorization: Bearer <key>");
  return true;
};
