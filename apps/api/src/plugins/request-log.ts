import type { ApolloServerPlugin } from "@apollo/server";
import type { Context } from "../context.js";
import { isExpectedError, logUnexpected } from "../errors.js";

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
