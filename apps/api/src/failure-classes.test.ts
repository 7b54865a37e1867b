import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiServer, type ApiServer } from "./app.js";
import { fakeDataAccess, memoryLogger, testConfig } from "./testing.js";

let server: ApiServer;
let endpoint: string;
let base: string;
let failure: Error | undefined;
let writable = true;
const { log, lines } = memoryLogger();

beforeAll(async () => {
  const data = fakeDataAccess({
    prefectures: {
      list: async () => {
        if (failure) throw failure;
        return [{ code: "451000", name: "百色市", nameEn: "Baise" }];
      },
    },
    counties: { list: async () => [] },
    isWritable: async () => writable,
  });
  server = await createApiServer({ config: testConfig, data, log });
  const { port } = await server.listen(0, "127.0.0.1");
  base = `http://127.0.0.1:${port}`;
  endpoint = `${base}/graphql`;
});
afterAll(() => server.stop());

const post = (body: string) => fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body });
const errorLines = () => lines.filter((l) => (l["level"] as number) >= 50);

describe("failure classes", () => {
  it("a database failure from any layer is 503 SERVICE_UNAVAILABLE with Retry-After, logged at warn; a bug stays a masked 200/500", async () => {
    const shapes: Error[] = [
      Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }),
      Object.assign(new Error("Can't reach database server"), { code: "P1001" }),
      new Error("Connection terminated unexpectedly"),
      Object.assign(new Error("unable to open database file"), { code: "SQLITE_CANTOPEN" }),
    ];
    for (const e of shapes) {
      failure = e;
      const r = await post(JSON.stringify({ query: "{ prefectures { code } }" }));
      expect(r.status).toBe(503);
      expect(r.headers.get("retry-after")).toBe("5");
      expect(await r.json()).toEqual({
        errors: [{ message: "The database is unreachable; retry later", locations: [{ line: 1, column: 3 }], path: ["prefectures"], extensions: { code: "SERVICE_UNAVAILABLE", reason: "UNREACHABLE", retryable: true } }],
        data: null,
      });
    }
    expect(errorLines()).toEqual([]);
    expect(lines.filter((l) => l["msg"] === "database unavailable")).toHaveLength(shapes.length);

    failure = new Error("a bug");
    const bug = await post(JSON.stringify({ query: "{ prefectures { code } }" }));
    expect(bug.status).toBe(200);
    expect(((await bug.json()) as any).errors[0].extensions).toEqual({ code: "INTERNAL_SERVER_ERROR" });
    expect(errorLines()).toHaveLength(1);
    failure = undefined;
  });

  it("/readyz: 503 naming the read-only state when a write would fail", async () => {
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    writable = false;
    const r = await fetch(`${base}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.text()).toBe("database read-only: reads work, every change is refused");
    writable = true;
  });

  it("JSON nested 65 deep is a 400 before GraphQL runs; 64 is fine", async () => {
    const before = lines.length;
    const at = (n: number) => `{"query":"{ __typename }","variables":{"x":${"[".repeat(n - 2)}1${"]".repeat(n - 2)}}}`;
    expect((await post(at(64))).status).toBe(200);
    const r = await post(at(65));
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ errors: [{ message: "JSON body nested deeper than 64 levels", extensions: { code: "BAD_REQUEST" } }] });
    expect(lines.slice(before).filter((l) => (l["level"] as number) >= 40)).toEqual([]);
  });
});
