import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setImmediate as nextTurn } from "node:timers/promises";
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import { authenticate, requirePrincipal } from "./auth.js";
import type { ApiConfig } from "./config.js";
import { createLoaders, createServices, type Context, type Services } from "./context.js";
import type { DataAccess } from "./data-access.js";
import { formatError } from "./errors.js";
import { applyCors, charsetOf, HttpError, isJson, readBody, sendJsonError, sendText } from "./http.js";
import { createLogger, type Logger } from "./logger.js";
import { localGraphiQL } from "./plugins/graphiql.js";
import { queryCostPlugin } from "./plugins/query-cost.js";
import { requestLogPlugin } from "./plugins/request-log.js";
import { whatIfResponseCache } from "./plugins/what-if-response-cache.js";
import type { WorkPool } from "./pool/work-pool.js";
import { getSchema } from "./schema.js";

export interface ApiServer {
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
/**
 * Decoding a 20 MB body, JSON.parse, and the GraphQL pipeline up to handing it to the work pool
 * each take 20-50 ms of this thread: above this size each gets its own event-loop turn, so other
 * requests (/healthz) get in between.
 */
const LARGE_BODY_CHARS = 1_000_000;

/** `work`: the worker-thread pool for heavy tasks, owned (destroyed on stop) by the server; without it they run in this thread. */
export async function createApiServer(opts: { config: ApiConfig; data: DataAccess; log?: Logger; work?: WorkPool }): Promise<ApiServer> {
  const { config, data, work } = opts;
  const log = opts.log ?? createLogger(config.logLevel);
  const services = createServices(data, config, work);
  const httpServer = http.createServer();

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
      whatIfResponseCache(services.whatIf),
      // After the drain (in-flight requests, and so their pool tasks, are done): the pool, then the database.
      { async serverWillStart() { return { async serverWillStop() { await work?.destroy(); await data.close(); } }; } },
    ],
  });
  await apollo.start();

  const makeContext = (req: http.IncomingMessage, requestId: string): Context => {
    const principal = authenticate(req.headers.authorization, config.apiKeyHashes, config.readKeyHashes);
    if (config.requireKeyForReads) requirePrincipal(principal);
    return {
      requestId,
      principal,
      services,
      loaders: createLoaders(data, services.reference),
      whatIfModels: [],
      log: log.child({ reqId: requestId, ...(principal ? { principal: principal.id } : {}) }),
    };
  };
  httpServer.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const given = req.headers["x-request-id"];
    const requestId = typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader("x-request-id", requestId);
    handle(req, res, requestId).catch((err: unknown) => {
      log.error({ err, reqId: requestId }, "unhandled HTTP error");
      if (!res.headersSent) sendJsonError(res, 500, "INTERNAL_SERVER_ERROR", "Internal server error");
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const pathname = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? "GET";
    if (pathname === "/healthz" && (method === "GET" || method === "HEAD")) return sendText(res, 200, "ok");
    if (pathname === "/readyz" && (method === "GET" || method === "HEAD")) {
      try {
        await data.ping();
        return sendText(res, 200, "ok");
      } catch (err) {
        log.warn({ err, reqId: requestId }, "readiness check failed");
        return sendText(res, 503, "database unreachable");
      }
    }
    if (pathname !== "/graphql" && pathname !== "/graphql/") return sendText(res, 404, "not found");

    if (applyCors(req, res, config.corsOrigins)) return; // a preflight, answered
    let body: unknown;
    if (method === "POST") {
      const text = await readBody(req, config.bodyLimitBytes);
      if (text instanceof HttpError) return sendJsonError(res, text.status, text.code, text.message);
      const charset = charsetOf(req.headers["content-type"]);
      if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
        return sendJsonError(res, 415, "UNSUPPORTED_MEDIA_TYPE", `request bodies must be UTF-8, got charset=${charset}`);
      }
      if (isJson(req.headers["content-type"])) {
        const large = text.length > LARGE_BODY_CHARS;
        if (large) await nextTurn();
        try {
          body = text === "" ? {} : JSON.parse(text);
        } catch (err) {
          return sendJsonError(res, 400, "BAD_REQUEST", `malformed JSON body: ${(err as Error).message}`);
        }
        if (large) await nextTurn();
      } else {
        body = text; // Apollo refuses it: CSRF prevention, or "POST requests must have content-type application/json"
      }
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: method.toUpperCase(), headers, search: q < 0 ? "" : url.slice(q), body },
      context: async () => makeContext(req, requestId),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") {
      res.setHeader("content-length", Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  if (config.apiKeyHashes.length === 0) log.warn("GOVDIFFUSION_API_KEYS is empty: every mutation will be refused");

  let stopped: Promise<void> | undefined;
  return {
    httpServer, apollo, services, log,
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
      // apollo.stop() drains the HTTP server (in-flight requests finish, including those waiting
      // for the work pool), then destroys the pool and closes the database.
      stopped ??= apollo.stop();
      return stopped;
    },
  };
}
