import cluster from "node:cluster";
import type http from "node:http";
import { HeaderMap } from "@apollo/server";
import { GraphQLError } from "graphql";
import pg from "pg";
import {
  RateLimiterCluster, RateLimiterClusterMaster, RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract,
} from "rate-limiter-flexible";
import { authenticate } from "./auth.js";
import type { ApiConfig } from "./config.js";
import type { Logger } from "./logger.js";

/**
 * Per-client rate limiting (rate-limiter-flexible). Every GraphQL request costs 1 point when it
 * arrives, before its body is read, and once its cost is known (plugins/query-cost.ts) one more
 * point per COST_PER_POINT of cost: a plain what-if costs 1 point, the whole county graph 25, a
 * 1,000-draw simulation what-if 12. A client is its API key (the principal id) when the request
 * carries a valid one, else its remote address.
 */
export const COST_PER_POINT = 1000;

/** Extra points an operation of this cost is charged once it is costed (the first point was charged on arrival). */
export const pointsForCost = (cost: number): number => Math.floor(Math.max(0, cost) / COST_PER_POINT);

export type RateLimitSettings = Pick<ApiConfig, "rateLimit" | "rateLimitWindowSeconds" | "databaseUrl">;

export interface ClientLimiter {
  /** Charges `points` to `client`: undefined when within its budget, else the seconds until it may ask again. */
  charge(client: string, points: number): Promise<number | undefined>;
  close(): Promise<void>;
}

const isPostgres = (url: string): boolean => /^postgres(ql)?:\/\//.test(url);

/** One warning per minute at most while the store fails (every request would log otherwise). */
const STORE_WARNING_INTERVAL_MS = 60_000;
/** After the Postgres table could not be created, try again at most this often (requests pass meanwhile). */
const STORE_RETRY_MS = 5_000;
const TABLE = "govdiffusion_rate_limit";

/**
 * The primary process of a cluster (GOVDIFFUSION_WORKERS > 1) on SQLite keeps the shared budget
 * that the workers' RateLimiterCluster ask over IPC. With PostgreSQL the table is shared instead.
 */
export function startRateLimitPrimary(config: RateLimitSettings): void {
  if (config.rateLimit > 0 && !isPostgres(config.databaseUrl)) new RateLimiterClusterMaster();
}

/**
 * The store: a table in the PostgreSQL database, so every process and replica shares one budget;
 * else the primary over IPC in a cluster worker; else this process's memory. Undefined when
 * GOVDIFFUSION_RATE_LIMIT is 0 (off). A store that fails (database down, primary not answering)
 * lets requests through and logs a warning: the limiter must not turn an outage into refusals.
 */
export function createClientLimiter(config: RateLimitSettings, log: Logger): ClientLimiter | undefined {
  if (config.rateLimit <= 0) return undefined;
  // The budget is part of the key: servers configured differently on one database (a rolling
  // deploy that changes the limit) count separately instead of reading each other's counters.
  const opts = { points: config.rateLimit, duration: config.rateLimitWindowSeconds, keyPrefix: `govdiffusion:${config.rateLimit}/${config.rateLimitWindowSeconds}s` };
  let pool: pg.Pool | undefined;
  let store: () => Promise<RateLimiterAbstract>;

  if (isPostgres(config.databaseUrl)) {
    const url = new URL(config.databaseUrl);
    const schemaName = url.searchParams.get("schema") ?? undefined; // Prisma's ?schema=, which pg itself ignores
    pool = new pg.Pool({ connectionString: config.databaseUrl, max: 2, connectionTimeoutMillis: 2000 });
    pool.on("error", (err) => log.warn({ err }, "rate limiter: idle PostgreSQL connection failed"));
    const p = pool;
    let ready: Promise<RateLimiterAbstract> | undefined;
    let failedAt = 0;
    store = () => {
      if (!ready) {
        if (Date.now() - failedAt < STORE_RETRY_MS) return Promise.reject(new Error("rate limit table not created yet"));
        ready = new Promise<RateLimiterAbstract>((resolve, reject) => {
          const limiter: RateLimiterPostgres = new RateLimiterPostgres(
            { ...opts, storeClient: p, storeType: "pool", tableName: TABLE, ...(schemaName ? { schemaName } : {}), clearExpiredByTimeout: true },
            (err?: Error) => (err ? reject(err) : resolve(limiter)),
          );
        });
        ready.catch(() => {
          ready = undefined;
          failedAt = Date.now();
        });
      }
      return ready;
    };
  } else if (cluster.isWorker) {
    const limiter = new RateLimiterCluster({ ...opts, timeoutMs: 2000 });
    store = () => Promise.resolve(limiter);
  } else {
    const limiter = new RateLimiterMemory(opts);
    store = () => Promise.resolve(limiter);
  }

  let warnedAt = -Infinity;
  return {
    async charge(client, points) {
      try {
        await (await store()).consume(client, points);
        return undefined;
      } catch (err) {
        if (err instanceof RateLimiterRes) return Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        if (Date.now() - warnedAt >= STORE_WARNING_INTERVAL_MS) {
          warnedAt = Date.now();
          log.warn({ err }, "rate limiter store failed: requests are not limited until it works again");
        }
        return undefined;
      }
    },
    async close() {
      await pool?.end();
    },
  };
}

/**
 * The second charge, once the operation is costed (queryCostPlugin's afterCost): 1 point per
 * COST_PER_POINT of cost; over budget → RATE_LIMITED (429) before anything executes.
 */
export function chargeForCost(limiter: ClientLimiter, config: RateLimitSettings) {
  return async (cost: number, ctx: { clientKey?: string }): Promise<void> => {
    const points = pointsForCost(cost);
    const wait = points > 0 && ctx.clientKey ? await limiter.charge(ctx.clientKey, points) : undefined;
    if (wait !== undefined) throw rateLimitedError(config, wait);
  };
}

/** The caller's budget: its API key when it sends a valid one, else its address. */
export function clientOf(req: http.IncomingMessage, config: Pick<ApiConfig, "apiKeyHashes" | "readKeyHashes">): string {
  try {
    const principal = authenticate(req.headers.authorization, config.apiKeyHashes, config.readKeyHashes);
    if (principal) return `key:${principal.id}`;
  } catch {
    // A wrong key: the request is refused with 401 later; it is charged to its address meanwhile.
  }
  return `ip:${req.socket.remoteAddress ?? "unknown"}`;
}

const message = (config: RateLimitSettings, retryAfter: number): string =>
  `rate limit exceeded: this client may spend ${config.rateLimit} points per ${config.rateLimitWindowSeconds} s` +
  ` (GOVDIFFUSION_RATE_LIMIT; 1 per request plus 1 per ${COST_PER_POINT} of query cost); retry after ${retryAfter} s`;

/** The 429 answer before GraphQL runs, in the GraphQL response shape. */
export function sendRateLimited(res: http.ServerResponse, config: RateLimitSettings, retryAfter: number): void {
  const body = JSON.stringify({ errors: [{ message: message(config, retryAfter), extensions: { code: "RATE_LIMITED", retryAfter } }] });
  res.writeHead(429, {
    "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), "retry-after": String(retryAfter),
  });
  res.end(body);
}

/** The same refusal from inside the GraphQL pipeline (the cost-based charge): Apollo sets the status and header. */
export function rateLimitedError(config: RateLimitSettings, retryAfter: number): GraphQLError {
  // Apollo merges extensions.http (status, and headers as a HeaderMap) into the response; some
  // library's type augmentation declares those headers as a plain record, hence the wider type.
  const extensions: Record<string, unknown> = {
    code: "RATE_LIMITED", retryAfter, http: { status: 429, headers: new HeaderMap([["retry-after", String(retryAfter)]]) },
  };
  return new GraphQLError(message(config, retryAfter), { extensions });
}
