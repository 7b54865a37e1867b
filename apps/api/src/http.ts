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

/** The request body as text, or a 413 HttpError once it passes `limit` bytes (the rest is discarded, unread). */
export function readBody(req: http.IncomingMessage, limit: number): Promise<string | HttpError> {
  const tooLarge = new HttpError(413, "PAYLOAD_TOO_LARGE", `request body exceeds ${limit} bytes`);
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) {
    req.resume();
    return Promise.resolve(tooLarge);
  }
  return new Promise((resolve, reject) => {
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
    req.once("end", () => resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

/** application/json, or any +json type, with or without parameters. */
export function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const semi = contentType.indexOf(";");
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === "application/json" || type.endsWith("+json");
}

/**
 * CORS for an allowed origin (`true`: any): the origin is echoed back, never "*", so browsers may
 * send credentials. Answers a preflight (OPTIONS) itself and returns true then; a request from an
 * origin not allowed gets no Access-Control-* header and the browser blocks it.
 */
export function applyCors(req: http.IncomingMessage, res: http.ServerResponse, allowed: string[] | true): boolean {
  const origin = req.headers.origin;
  res.setHeader("vary", "Origin");
  const ok = origin !== undefined && (allowed === true || allowed.includes(origin));
  if (ok) res.setHeader("access-control-allow-origin", origin);
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
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
