import { once } from "node:events";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiServer, type ApiServer } from "./app.js";
import { hashApiKey } from "./config.js";
import { fakeDataAccess, memoryLogger, testConfig } from "./testing.js";

let server: ApiServer;
let endpoint: string;
let base: string;
let healthy = true;
const { log, lines } = memoryLogger();

beforeAll(async () => {
  const data = fakeDataAccess({
    prefectures: { list: async () => [{ code: "451000", name: "百色市", nameEn: "Baise" }] },
    counties: { list: async () => [] },
    ping: async () => {
      if (!healthy) throw new Error("connection refused");
    },
  });
  server = await createApiServer({
    config: { ...testConfig, graphiql: true, apiKeyHashes: [hashApiKey("k".repeat(20))], bodyLimitBytes: 5000, corsOrigins: ["http://ui.example"] },
    data,
    log,
  });
  const { port } = await server.listen(0, "127.0.0.1");
  base = `http://127.0.0.1:${port}`;
  endpoint = `${base}/graphql`;
});
afterAll(() => server.stop());

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(endpoint, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("HTTP plumbing", () => {
  it("/healthz is always ok; /readyz follows the database", async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    healthy = false;
    const r = await fetch(`${base}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.text()).toBe("database unreachable");
    healthy = true;
  });

  it("GraphiQL is inlined: no script or stylesheet from another host", async () => {
    const res = await fetch(endpoint, { headers: { accept: "text/html" } });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain("govdiffusion API");
    expect(html).not.toMatch(/<script[^>]+src=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link[^>]+href=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/https?:\/\/[^"'\s]*(cdn|unpkg|jsdelivr)/i);
  });

  it("logs one JSON line per request with the request id, never the Authorization header", async () => {
    const res = await post({ query: "query Named { prefectures { code } }" }, { authorization: `Bearer ${"k".repeat(20)}`, "x-request-id": "req-abc" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { prefectures: [{ code: "451000" }] } });
    const line = lines.find((l) => l["reqId"] === "req-abc" && l["msg"] === "graphql request");
    expect(line).toMatchObject({ operationName: "Named", principal: "key-1" });
    expect(JSON.stringify(lines)).not.toContain("k".repeat(20));
  });

  it("depth, alias and body-size limits", async () => {
    const aliases = await (await post({ query: `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: prefectures { code }`).join(" ")} }` })).json() as any;
    expect(aliases.errors[0].message).toMatch(/aliases/i);
    let sel = "code";
    for (let i = 0; i < 14; i++) sel = `neighbors { ${sel} }`;
    const deep = await (await post({ query: `{ counties { ${sel} } }` })).json() as any;
    expect(deep.errors[0].message).toMatch(/depth/i);
    const big = await post({ query: "{ __typename }", variables: { pad: "x".repeat(6000) } });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ errors: [{ message: "request body exceeds 5000 bytes", extensions: { code: "PAYLOAD_TOO_LARGE" } }] });
    const malformed = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(malformed.status).toBe(400);
    const m = ((await malformed.json()) as any).errors[0];
    expect(m.extensions.code).toBe("BAD_REQUEST");
    expect(m.message).toMatch(/^malformed JSON body: /);
  });

  it("CORS: a preflight from an allowed origin gets methods, the requested headers and max-age; a request gets the origin echoed", async () => {
    const pre = await fetch(endpoint, {
      method: "OPTIONS",
      headers: { origin: "http://ui.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("http://ui.example");
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET,POST,OPTIONS");
    expect(pre.headers.get("access-control-allow-headers")).toBe("content-type,authorization");
    expect(pre.headers.get("access-control-max-age")).toBe("600");
    expect(pre.headers.get("vary")).toBe("Origin, Access-Control-Request-Headers");
    const other = await fetch(endpoint, { method: "OPTIONS", headers: { origin: "http://other.example", "access-control-request-method": "POST" } });
    expect(other.status).toBe(204);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    expect(other.headers.get("access-control-allow-methods")).toBeNull();
    const res = await post({ query: "{ __typename }" }, { origin: "http://ui.example" });
    expect(res.headers.get("access-control-allow-origin")).toBe("http://ui.example");
    expect(res.headers.get("access-control-expose-headers")).toBe("x-request-id, x-what-if-cache");
    expect(await res.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("a body over the limit without Content-Length (chunked) is refused as well; unknown paths get 404", async () => {
    const big = "x".repeat(6000);
    const stream = new ReadableStream({
      start(c) {
        const enc = new TextEncoder();
        c.enqueue(enc.encode(`{"query":"{ __typename }","variables":{"pad":"`));
        for (let i = 0; i < 6; i++) c.enqueue(enc.encode(big.slice(i * 1000, (i + 1) * 1000)));
        c.enqueue(enc.encode(`"}}`));
        c.close();
      },
    });
    const res = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
    // the connection stays usable for the next request
    expect((await post({ query: "{ __typename }" })).status).toBe(200);
    const nf = await fetch(`${base}/nope`);
    expect(nf.status).toBe(404);
    expect(nf.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a UTF-8 byte-order mark is accepted; another charset gets 415; a 413 closes the connection", async () => {
    const bom = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: '\uFEFF{"query":"{ __typename }"}' });
    expect(await bom.json()).toEqual({ data: { __typename: "Query" } });
    const utf16 = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json; charset=utf-16le" }, body: "{}" });
    expect(utf16.status).toBe(415);
    expect(((await utf16.json()) as any).errors[0].extensions.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    const big = await post({ query: "{ __typename }", variables: { pad: "x".repeat(6000) } });
    expect(big.status).toBe(413);
    expect(big.headers.get("connection")).toBe("close");
  });

  it("a client that goes away mid-body is not logged as a server error", async () => {
    const { port } = new URL(endpoint);
    const socket = net.connect(Number(port), "127.0.0.1");
    await once(socket, "connect");
    socket.write("POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nx-request-id: gone-1\r\n\r\n{\"query\":");
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(lines.filter((l) => l["reqId"] === "gone-1" && (l["level"] as number) >= 50)).toEqual([]);
    expect((await post({ query: "{ __typename }" })).status).toBe(200);
  });

  it("CSRF: a simple (non-JSON) POST is refused", async () => {
    const res = await fetch(endpoint, { method: "POST", headers: { "content-type": "text/plain" }, body: '{"query":"{ __typename }"}' });
    expect(res.status).toBe(400);
  });
});
