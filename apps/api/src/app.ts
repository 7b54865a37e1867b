import { randomUUID } from "node:crypto";
import http from "node:http";
import type net from "node:net";
import type { AddressInfo } from "node:net";
import { setImmediate as nextTurn } from "node:timers/promises";
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { authenticate, requirePrincipal } from "./auth.js";
import { DEFAULT_MAX_COST, type ApiConfig } from "./config.js";
import { createLoaders, createServices, type Context, type Services } from "./context.js";
import type { DataAccess } from "./data-access.js";
import { formatError } from "./errors.js";
import { applyCors, charsetOf, HttpError, isJson, readBody, sendJsonError, sendText } from "./http.js";
import { trackConnections } from "./http-drain.js";
import { serverOptions } from "./http-timeouts.js";
import { jsonTooDeep, searchJsonTooDeep } from "./json-depth.js";
import { createLogger, type Logger } from "./logger.js";
import { controlCharactersPlugin } from "./plugins/control-characters.js";
import { errorStatusPlugin } from "./plugins/error-status.js";
import { limitHeapGrowth } from "./memory.js";
import { localGraphiQL } from "./plugins/graphiql.js";
import { queryCostPlugin } from "./plugins/query-cost.js";
import { chargeForCost, clientOf, createClientLimiter, sendRateLimited } from "./rate-limit.js";
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
  /** Serves a connection accepted by another process (the cluster primary), instead of listen(). */
  serveConnection(socket: net.Socket): void;
  /**
   * Stops accepting connections, answers every request received, closes idle connections, then
   * closes the database. Requests still unanswered after config.timeouts.shutdownGraceMs are cut:
   * logged, and stop() then rejects with a ShutdownCutError (after closing the database).
   */
  stop(): Promise<void>;
}

/** stop() had to cut requests still in flight when the grace period ended. */
export class ShutdownCutError extends Error {
  constructor(
    /** Requests cut (in one process), or workers that cut some (cluster primary). */
    readonly cut: number,
    message = `${cut} request(s) still in flight at the end of the shutdown grace period were cut`,
  ) {
    super(message);
    this.name = "ShutdownCutError";
  }
}

/**
 * Limits on what one query may ask for: depth, aliases, tokens, directives (graphql-armor) and a
 * cost that multiplies by expected list sizes (plugins/query-cost.ts). The full county graph
 * (every county with prefecture, neighbours, all observations and adoptions) costs ~24,000.
 */
export const LIMITS = {
  maxDepth: 10, maxAliases: 15, maxTokens: 4000, maxCost: DEFAULT_MAX_COST, maxDirectives: 20,
  /** Introspection (__schema/__type) depth, fragments flattened: graphql-js's standard introspection query (GraphiQL's) is 15. */
  maxIntrospectionDepth: 15,
  /** Nesting of arrays/objects in a JSON request body or GET variables; deeper is refused with 400 before GraphQL runs. */
  maxJsonDepth: 64,
} as const;

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
  const httpServer = http.createServer(serverOptions(config.timeouts));
  // Before the request listener below: it sees every request first (http-drain.ts).
  const drain = trackConnections(httpServer);
  const limiter = createClientLimiter(config, log);
  limitHeapGrowth(config.heapGrowingPercent); // process-wide; see memory.ts

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
    validationRules: [
      ...armor.validationRules,
      // Armor's maxDepth skips __schema subtrees; this one counts them (fragments flattened, as
      // introspection queries are written), so deep introspection is refused too.
      maxDepthRule({
        n: LIMITS.maxIntrospectionDepth, ignoreIntrospection: false, flattenFragments: true, exposeLimits: true,
        propagateOnRejection: false, onReject: [(ctx, err) => ctx?.reportError(err)],
      }),
    ],
    parseOptions: { maxTokens: LIMITS.maxTokens },
    logger: log,
    plugins: [
      // graphql-armor is CommonJS, so its types name the CJS build of @apollo/server; the objects are the same at runtime.
      ...(armor.plugins as unknown as ApolloServerPlugin<Context>[]),
      controlCharactersPlugin<Context>(),
      queryCostPlugin<Context>(config.maxCost, {
        simulation: { defaultDraws: Math.min(1000, config.maxDraws), maxDraws: config.maxDraws, baselineRows: (id, year) => services.whatIf.baselineRows(id, year) },
        // The arrival point was charged in handle(); the cost adds points (rate-limit.ts).
        ...(limiter ? { afterCost: chargeForCost(limiter, config) } : {}),
      }),
      errorStatusPlugin<Context>(),
      // The default cache-control plugin hooks every field resolution; nothing here sets cache hints.
      ApolloServerPluginCacheControlDisabled(),
      config.graphiql ? localGraphiQL("/graphql") : ApolloServerPluginLandingPageDisabled(),
      requestLogPlugin(),
      whatIfResponseCache(services.whatIf),
      // After the drain (in-flight requests, and so their pool tasks, are done): the pool, the limiter, then the database.
      { async serverWillStart() { return { async serverWillStop() { await work?.destroy(); await limiter?.close(); await data.close(); } }; } },
    ],
  });
  await apollo.start();

  const makeContext = (req: http.IncomingMessage, requestId: string, clientKey?: string): Context => {
    const principal = authenticate(req.headers.authorization, config.apiKeyHashes, config.readKeyHashes);
    if (config.requireKeyForReads) requirePrincipal(principal);
    return {
      requestId,
      principal,
      services,
      loaders: createLoaders(data, services.reference),
      whatIfModels: [],
      ...(clientKey ? { clientKey } : {}),
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
      } catch (err) {
        log.warn({ err, reqId: requestId }, "readiness check failed");
        return sendText(res, 503, "database unreachable");
      }
      try {
        if (await data.isWritable()) return sendText(res, 200, "ok");
        return sendText(res, 503, "database read-only: reads work, every change is refused");
      } catch (err) {
        log.warn({ err, reqId: requestId }, "readiness write check failed");
        return sendText(res, 503, "database unreachable");
      }
    }
    if (pathname !== "/graphql" && pathname !== "/graphql/") return sendText(res, 404, "not found");

    if (applyCors(req, res, config.corsOrigins)) return; // a preflight, answered
    const clientKey = limiter && clientOf(req, config);
    if (limiter && clientKey) {
      const wait = await limiter.charge(clientKey, 1);
      if (wait !== undefined) return sendRateLimited(res, config, wait);
    }
    let body: unknown;
    if (method === "POST") {
      const text = await readBody(req, config.bodyLimitBytes);
      if (text instanceof HttpError) return sendJsonError(res, text.status, text.code, text.message);
      const charset = charsetOf(req.headers["content-type"]);
      if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
        return sendJsonError(res, 415, "UNSUPPORTED_MEDIA_TYPE", `request bodies must be UTF-8, got charset=${charset}`);
      }
      if (isJson(req.headers["content-type"])) {
        if (jsonTooDeep(text, LIMITS.maxJsonDepth)) {
          return sendJsonError(res, 400, "BAD_REQUEST", `JSON body nested deeper than ${LIMITS.maxJsonDepth} levels`);
        }
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
    if (method === "GET" && q >= 0 && searchJsonTooDeep(url.slice(q), LIMITS.maxJsonDepth)) {
      return sendJsonError(res, 400, "BAD_REQUEST", `JSON in the query string nested deeper than ${LIMITS.maxJsonDepth} levels`);
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: method.toUpperCase(), headers, search: q < 0 ? "" : url.slice(q), body },
      context: async () => makeContext(req, requestId, clientKey),
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
  let timeoutChecks = false;
  return {
    httpServer, apollo, services, log,
    serveConnection(socket) {
      if (!timeoutChecks) {
        // Node starts checking the request and headers timeouts on "listening", which a server
        // fed its connections never emits by itself.
        timeoutChecks = true;
        httpServer.emit("listening");
      }
      httpServer.emit("connection", socket);
    },
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
      stopped ??= (async () => {
        // Every request answered first: apollo.stop() refuses operations from its first moment.
        const { cut } = await drain.drain(config.timeouts.shutdownGraceMs);
        if (cut > 0) log.error({ cut, graceMs: config.timeouts.shutdownGraceMs }, "shutdown grace period over: requests still in flight were cut");
        await apollo.stop(); // its serverWillStop destroys the work pool, then closes the database
        if (cut > 0) throw new ShutdownCutError(cut);
      })();
      return stopped;
    },
  };
}
