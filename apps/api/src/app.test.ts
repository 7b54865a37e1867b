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
    expect(((await malformed.json()) as any).errors[0].extensions.code).toBe("BAD_REQUEST");
  });

  it("CSRF: a simple (non-JSON) POST is refused", async () => {
    const res = await fetch(endpoint, { method: "POST", headers: { "content-type": "text/plain" }, body: '{"query":"{ __typename }"}' });
    expect(res.status).toBe(400);
  });
});
