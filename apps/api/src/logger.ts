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
  return destination ? pino(options, destination) : pino(options);
}
