import type { ApolloServerPlugin } from "@apollo/server";
import type { Context } from "../context.js";
import { isExpectedError, isUnavailableError, logUnexpected } from "../errors.js";

/** One log line per operation (name, duration, error codes); unexpected errors logged in full with the request id. */
export function requestLogPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      let errorCodes: string[] = [];
      return {
        async didEncounterErrors({ errors }) {
          for (const e of errors) {
            if (!isExpectedError(e)) logUnexpected(contextValue.log, e, e.path);
            // Not a bug, but operators need to see it: the database is down or read-only.
            else if (isUnavailableError(e)) contextValue.log.warn({ err: e.originalError ?? e, path: e.path }, "database unavailable");
          }
        },
        async willSendResponse({ operationName, response }) {
          if (response.body.kind === "single") {
            errorCodes = (response.body.singleResult.errors ?? []).map((e) => String(e.extensions?.code ?? "UNKNOWN"));
          }
          contextValue.log.info(
            { operationName, ms: Math.round((performance.now() - started) * 100) / 100, errors: errorCodes.length > 0 ? errorCodes : undefined },
            "graphql request",
          );
        },
      };
    },
  };
}
