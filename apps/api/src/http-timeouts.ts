import type http from "node:http";

/**
 * The HTTP server's timeouts and the shutdown grace period, in milliseconds. Node's defaults
 * (keep-alive 5 s, request 300 s, checked every 30 s) are wrong for a server behind a load
 * balancer and too lax for a slow client; these are set on purpose (apps/api/README.md, Limits
 * and operations).
 */
export interface HttpTimeouts {
  /** SIGTERM/SIGINT: how long in-flight requests may take to finish before they are cut. */
  shutdownGraceMs: number;
  /** Time to receive a whole request (headers and body); 408 after. Not a limit on the work. */
  requestTimeoutMs: number;
  /** Time to receive the headers of a request, from its first byte (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /**
   * How long an idle keep-alive connection stays open. Longer than the idle timeout of the load
   * balancer in front (AWS ALB 60 s, nginx `keepalive_timeout` 60 s), so that the balancer, not
   * the server, closes idle connections: otherwise it can send a request on a connection the
   * server is closing at that instant, and answer its client 502.
   */
  keepAliveTimeoutMs: number;
}

/** The fixed part: headers come in one packet from any real client. */
export const HEADERS_TIMEOUT_MS = 20_000;

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  shutdownGraceMs: 30_000,
  requestTimeoutMs: 60_000,
  headersTimeoutMs: HEADERS_TIMEOUT_MS,
  keepAliveTimeoutMs: 65_000,
};

/**
 * GOVDIFFUSION_SHUTDOWN_GRACE_SECONDS (default 30), GOVDIFFUSION_REQUEST_TIMEOUT_SECONDS (60),
 * GOVDIFFUSION_KEEP_ALIVE_TIMEOUT_SECONDS (65), with config.ts's integer parser (which collects
 * the problems).
 */
export function loadHttpTimeouts(int: (name: string, def: number, min: number, max: number) => number): HttpTimeouts {
  const s = 1000;
  const requestTimeoutMs = int("GOVDIFFUSION_REQUEST_TIMEOUT_SECONDS", DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs / s, 1, 3600) * s;
  return {
    shutdownGraceMs: int("GOVDIFFUSION_SHUTDOWN_GRACE_SECONDS", DEFAULT_HTTP_TIMEOUTS.shutdownGraceMs / s, 1, 3600) * s,
    requestTimeoutMs,
    headersTimeoutMs: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs),
    keepAliveTimeoutMs: int("GOVDIFFUSION_KEEP_ALIVE_TIMEOUT_SECONDS", DEFAULT_HTTP_TIMEOUTS.keepAliveTimeoutMs / s, 1, 3600) * s,
  };
}

/**
 * Options for http.createServer. Node checks the request and headers timeouts on an interval
 * (default 30 s, so a 20 s limit could take 50 s): once a second here.
 */
export function serverOptions(t: HttpTimeouts): http.ServerOptions {
  return {
    requestTimeout: t.requestTimeoutMs,
    headersTimeout: t.headersTimeoutMs,
    keepAliveTimeout: t.keepAliveTimeoutMs,
    connectionsCheckingInterval: 1_000,
  };
}
