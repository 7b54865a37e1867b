import type http from "node:http";

/**
 * The few HTTP pieces the API needs (body with a size limit, CORS, plain replies), on node:http
 * directly. The server ran on Express before; its router, body parser, cors middleware and ETag
 * hashing took ~40% of the CPU of a cached whatIf request (profile in apps/api/README.md, Speed).
 */

export class HttpError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
  ) {}
}

/**
 * The request body as UTF-8 text (a leading byte-order mark dropped), or an HttpError: 413 once it
 * passes `limit` bytes (the rest is discarded, and the reply closes the connection so a huge upload
 * stops), 400 when the client goes away mid-body (nobody is there to read the reply).
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<string | HttpError> {
  const tooLarge = new HttpError(413, "PAYLOAD_TOO_LARGE", `request body exceeds ${limit} bytes`);
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) {
    req.resume();
    return Promise.resolve(tooLarge);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        req.resume();
        resolve(tooLarge);
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => {
      const text = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
      resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    });
    req.once("error", () => resolve(ABORTED));
  });
}

/** A body cut short by the client (ECONNRESET, "aborted"): answered, never logged as a server error. */
export const ABORTED = new HttpError(400, "BAD_REQUEST", "request aborted before its body was complete");

/** The charset parameter of a Content-Type, lower case, or undefined. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? "");
  return m ? m[1]!.toLowerCase() : undefined;
}

/** application/json, or any +json type, with or without parameters. */
export function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const semi = contentType.indexOf(";");
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === "application/json" || type.endsWith("+json");
}

/**
 * CORS for an allowed origin (`true`: any): the origin is echoed back (with Vary: Origin) rather
 * than "*", so caches keep one answer per origin. Credentials are not allowed (no cookies here:
 * API keys travel in the Authorization header, which a preflight must list). Answers a preflight (OPTIONS) itself and returns true then; a request from an
 * origin not allowed gets no Access-Control-* header and the browser blocks it.
 */
export function applyCors(req: http.IncomingMessage, res: http.ServerResponse, allowed: string[] | true): boolean {
  const origin = req.headers.origin;
  res.setHeader("vary", "Origin");
  const ok = origin !== undefined && (allowed === true || allowed.includes(origin));
  if (ok) {
    res.setHeader("access-control-allow-origin", origin);
    // So front-ends can read them: the id to quote in a support request, and whether a what-if came from the cache.
    res.setHeader("access-control-expose-headers", "x-request-id, x-what-if-cache");
  }
  if (req.method !== "OPTIONS") return false;
  if (ok) {
    res.setHeader("access-control-allow-methods", "GET,POST,OPTIONS");
    const requested = req.headers["access-control-request-headers"];
    if (requested) {
      res.setHeader("access-control-allow-headers", requested);
      res.appendHeader("vary", "Access-Control-Request-Headers");
    }
    res.setHeader("access-control-max-age", "600");
  }
  res.statusCode = 204;
  res.setHeader("content-length", "0");
  res.end();
  return true;
}

export function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** An error outside GraphQL execution (body too large, malformed JSON), in the GraphQL response shape clients parse. */
export function sendJsonError(res: http.ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  // After a 413 the rest of the body is not wanted: close rather than read it all to keep the connection.
  if (status === 413) res.setHeader("connection", "close");
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
