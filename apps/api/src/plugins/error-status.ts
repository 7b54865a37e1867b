import type { ApolloServerPlugin } from "@apollo/server";
import { ERROR_CODES } from "../errors.js";

/**
 * Sets the HTTP status of responses carrying an error whose code sets one (ERROR_CODES `sets`:
 * SERVICE_UNAVAILABLE → 503 with Retry-After), so load balancers and clients see a retryable
 * failure instead of HTTP 200. Codes are read after formatError, which is where database errors
 * get theirs; Apollo itself only takes statuses from errors raised with `extensions.http`.
 */
export function errorStatusPlugin<T extends object>(): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== "single") return;
          let status: number | undefined;
          for (const e of response.body.singleResult.errors ?? []) {
            const entry = ERROR_CODES[e.extensions?.["code"] as keyof typeof ERROR_CODES] as { sets?: number } | undefined;
            if (entry?.sets !== undefined && (status === undefined || entry.sets > status)) status = entry.sets;
          }
          if (status === undefined) return;
          response.http.status = status;
          if (status === 503) response.http.headers.set("retry-after", "5");
        },
      };
    },
  };
}
