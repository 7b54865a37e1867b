import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import cors from "cors";
import express, { type NextFunction, type Request, type Response } from "express";
import { authenticate, requirePrincipal } from "./auth.js";
import type { ApiConfig } from "./config.js";
import { createLoaders, createServices, type Context, type Services } from "./context.js";
import type { DataAccess } from "./data-access.js";
import { formatError } from "./errors.js";
import { createLogger, type Logger } from "./logger.js";
import { localGraphiQL } from "./plugins/graphiql.js";
import { queryCostPlugin } from "./plugins/query-cost.js";
import { requestLogPlugin } from "./plugins/request-log.js";
import { getSchema } from "./schema.js";

export interface ApiServer {
  app: express.Express;
  httpServer: http.Server;
  apollo: ApolloServer<Context>;
  services: Services;
  log: Logger;
  /** Listens on config.port/config.host unless overridden (port 0 = any free port). */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  /** Stops accepting connections, lets in-flight requests finish, then closes the database. */
  stop(): Promise<void>;
}

/**
 * Limits on what one query may ask for: depth, aliases, tokens, directives (graphql-armor) and a
 * cost that multiplies by expected list sizes (plugins/query-cost.ts). The full county graph
 * (every county with prefecture, neighbours, all observations and adoptions) costs ~24,000.
 */
export const LIMITS = { maxDepth: 10, maxAliases: 15, maxTokens: 4000, maxCost: 50000, maxDirectives: 20 } as const;

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export async function createApiServer(opts: { config: ApiConfig; data: DataAccess; log?: Logger }): Promise<ApiServer> {
  const { config, data } = opts;
  const log = opts.log ?? createLogger(config.logLevel);
  const services = createServices(data, config);
  const app = express();
  app.disable("x-powered-by");
  const httpServer = http.createServer(app);

  const armor = new ApolloArmor({
    maxDepth: { n: LIMITS.maxDepth },
    maxAliases: { n: LIMITS.maxAliases },
    // Armor's token limit throws from a plugin hook, which Apollo answers with HTTP 500: graphql's own
    // parser limit (parseOptions below) refuses the same documents as GRAPHQL_PARSE_FAILED with 400.
    maxTokens: { enabled: false },
    maxDirectives: { n: LIMITS.maxDirectives },
    // Armor's cost ignores list sizes (nested neighbour lists grow ~6x per level): queryCostPlugin instead.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: !config.graphiql },
  }).protect();

  const apollo = new ApolloServer<Context>({
    schema: await getSchema(),
    formatError,
    introspection: config.graphiql,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    // The entrypoint (govdiffusion serve) owns SIGTERM/SIGINT and calls stop() itself.
    stopOnTerminationSignals: false,
    validationRules: armor.validationRules,
    parseOptions: { maxTokens: LIMITS.maxTokens },
    logger: log,
    plugins: [
      // graphql-armor is CommonJS, so its types name the CJS build of @apollo/server; the objects are the same at runtime.
      ...(armor.plugins as unknown as ApolloServerPlugin<Context>[]),
      queryCostPlugin<Context>(LIMITS.maxCost),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // The default cache-control plugin hooks every field resolution; nothing here sets cache hints.
      ApolloServerPluginCacheControlDisabled(),
      config.graphiql ? localGraphiQL("/graphql") : ApolloServerPluginLandingPageDisabled(),
      requestLogPlugin(),
      { async serverWillStart() { return { async serverWillStop() { await data.close(); } }; } },
    ],
  });
  await apollo.start();

  app.use((req, res, next) => {
    const given = req.get("x-request-id");
    const id = given && REQUEST_ID.test(given) ? given : randomUUID();
    res.locals["requestId"] = id;
    res.setHeader("x-request-id", id);
    next();
  });
  app.get("/healthz", (_req, res) => {
    res.type("text/plain").send("ok");
  });
  app.get("/readyz", async (_req, res) => {
    try {
      await data.ping();
      res.type("text/plain").send("ok");
    } catch (err) {
      log.warn({ err }, "readiness check failed");
      res.status(503).type("text/plain").send("database unreachable");
    }
  });
  app.use(
    "/graphql",
    cors({ origin: config.corsOrigins === true ? true : config.corsOrigins, maxAge: 600 }),
    express.json({ limit: config.bodyLimitBytes }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<Context> => {
        const requestId = String(res.locals["requestId"] ?? randomUUID());
        const principal = authenticate(req.get("authorization"), config.apiKeyHashes, config.readKeyHashes);
        if (config.requireKeyForReads) requirePrincipal(principal);
        return {
          requestId,
          principal,
          services,
          loaders: createLoaders(data, services.reference),
          log: log.child({ reqId: requestId, ...(principal ? { principal: principal.id } : {}) }),
        };
      },
    }),
  );
  // Body-parser failures (too large, malformed JSON) answered as GraphQL-shaped JSON, never an HTML stack page.
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { status?: number; type?: string; message?: string };
    const status = typeof e.status === "number" && e.status >= 400 && e.status < 500 ? e.status : 500;
    const code = status === 413 ? "PAYLOAD_TOO_LARGE" : status < 500 ? "BAD_REQUEST" : "INTERNAL_SERVER_ERROR";
    const message =
      status === 413 ? `request body exceeds ${config.bodyLimitBytes} bytes`
      : status < 500 ? (e.message ?? "bad request")
      : "Internal server error";
    if (status >= 500) log.error({ err, reqId: res.locals["requestId"] }, "unhandled HTTP error");
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  });

  if (config.apiKeyHashes.length === 0) log.warn("GOVDIFFUSION_API_KEYS is empty: every mutation will be refused");

  let stopped: Promise<void> | undefined;
  return {
    app, httpServer, apollo, services, log,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        httpServer.once("error", reject);
        httpServer.listen(port, host, () => {
          httpServer.off("error", reject);
          const addr = httpServer.address() as AddressInfo;
          const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
          resolve({ url: `http://${shownHost}:${addr.port}/graphql`, port: addr.port });
        });
      });
    },
    stop() {
      // apollo.stop() drains the HTTP server (in-flight requests finish) and then closes the database.
      stopped ??= apollo.stop();
      return stopped;
    },
  };
}
