import { pino, type Logger } from "pino";

export type { Logger };

/** JSON logs on stdout; credentials never reach the log. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: "govdiffusion-api" },
    redact: {
      paths: ["req.headers.authorization", 'req.headers["x-api-key"]', "headers.authorization", "authorization"],
      censor: "[redacted]",
    },
  };
  // Asynchronous writes to stdout (sonic-boom; flushed when the process exits): with the default
  // synchronous ones, one "graphql request" line per request cost ~14% of the requests served at
  // LOG_LEVEL=info (apps/api/README.md, Speed).
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }));
}
