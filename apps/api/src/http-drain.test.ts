import { once } from "node:events";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { trackConnections } from "./http-drain.js";
import { serverOptions, DEFAULT_HTTP_TIMEOUTS } from "./http-timeouts.js";

let server: http.Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server = undefined;
});

/** A server whose answers wait for `release()` (work in flight), with the drain tracker. */
async function start() {
  server = http.createServer(serverOptions(DEFAULT_HTTP_TIMEOUTS));
  const drain = trackConnections(server);
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  server.on("request", (req, res) => {
    req.resume();
    req.on("end", () => void released.then(() => res.end("answered")));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { drain, release, port: (server.address() as AddressInfo).port };
}

/** A raw connection, so the test decides when the request bytes go out. */
async function connect(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  await once(socket, "connect");
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => (text += d));
  const closed = once(socket, "close").then(() => text);
  return { socket, closed };
}

const REQUEST = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

describe("trackConnections().drain", () => {
  it("a connection accepted before the drain whose request comes after is answered (Connection: close), not reset", async () => {
    const { drain, release, port } = await start();
    const c = await connect(port);
    await new Promise((r) => setTimeout(r, 50)); // accepted by the server, nothing sent yet
    const drained = drain.drain(5_000);
    await new Promise((r) => setTimeout(r, 50));
    c.socket.write(REQUEST);
    await new Promise((r) => setTimeout(r, 50));
    expect(drain.inFlight).toBe(1);
    release();
    const text = await c.closed; // the server closes it after the answer
    expect(text).toMatch(/^HTTP\/1.1 200 OK\r\n/);
    expect(text.toLowerCase()).toContain("connection: close");
    expect(text).toMatch(/answered$/);
    expect(await drained).toEqual({ cut: 0 });
  });

  it("closes an idle keep-alive connection at once, refuses new connections, and counts what the grace period cuts", async () => {
    const { drain, release, port } = await start();
    release();
    const idle = await connect(port);
    idle.socket.write(REQUEST);
    await new Promise((r) => setTimeout(r, 100)); // answered, kept alive
    const stuck = await connect(port);
    stuck.socket.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345"); // half a body, never the rest
    await new Promise((r) => setTimeout(r, 50));
    const drained = drain.drain(300);
    expect(await idle.closed).toMatch(/^HTTP\/1.1 200 OK/); // its one answer, then closed by the server
    await new Promise((r) => setTimeout(r, 50));
    const refused = await new Promise<string>((resolve) => net.connect(port, "127.0.0.1").on("error", (e: NodeJS.ErrnoException) => resolve(e.code!)).on("connect", () => resolve("connected")));
    expect(refused).toBe("ECONNREFUSED");
    expect(await drained).toEqual({ cut: 1 });
    expect(await stuck.closed).toBe("");
  });
});
