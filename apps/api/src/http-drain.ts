import type http from "node:http";
import net from "node:net";

/**
 * Graceful shutdown of a node:http server: nothing received goes unanswered.
 *
 * Why not Apollo's drain plugin (stoppable and http-terminator work the same way): at stop it
 * ends every connection with no request *counted*, and a request is counted only once Node has
 * parsed it. A connection accepted while the event loop was busy (a fit, an import) has its
 * request still unread in the socket: it was ended, the request then ran and its answer went into
 * the closed socket (issue 8: SIGTERM with 4 requests in flight answered 1). Apollo's plugin also
 * cuts everything after a fixed 10 s.
 *
 * The rule here is Go's `http.Server.Shutdown`: stop listening (after accepting the connections
 * already completed by the kernel); connections that are idle
 * *between* requests are closed at once; a new connection that has not sent its first request yet
 * gets NEW_CONNECTION_WAIT_MS to send it; every request received is answered, with
 * `Connection: close` so the client does not reuse the connection; once no connection is left the
 * drain is over. After the grace period the rest is destroyed and counted.
 */

/** A turn of the event loop this short, with no new connection, means the listen backlog is empty. */
export const QUIET_TURN_MS = 2;

/** How long a connection accepted before the shutdown has to send its first request (Go: 5 s). */
export const NEW_CONNECTION_WAIT_MS = 5_000;

interface ConnectionState {
  /** Requests received on it and not answered yet (more than one only with pipelining). */
  active: number;
  /** Requests answered on it: 0 means it has not sent a complete request yet. */
  served: number;
  /** The responses not finished yet. */
  responses: Set<http.ServerResponse>;
}

export interface HttpDrain {
  /** Requests received and not yet answered (queued work included: it holds a response open). */
  readonly inFlight: number;
  /**
   * Stops accepting, answers what was received, closes connections as they fall idle. Resolves
   * when none is left, or after `graceMs` with the connections destroyed and `cut` = the requests
   * that were still unanswered.
   */
  drain(graceMs: number): Promise<{ cut: number }>;
}

/** Track the server's connections and requests; call before adding the server's own `request` listener. */
export function trackConnections(server: http.Server): HttpDrain {
  const connections = new Map<net.Socket, ConnectionState>();
  let inFlight = 0;
  let accepted = 0;
  let draining = false;
  let onEmpty: (() => void) | undefined;

  /** After its last answer: end (FIN after the data), not destroy, which could reset before the client read it. */
  const closeIfIdle = (socket: net.Socket, state: ConnectionState) => {
    if (state.active === 0 && state.served > 0) socket.end();
  };

  server.on("connection", (socket: net.Socket) => {
    const state: ConnectionState = { active: 0, served: 0, responses: new Set() };
    connections.set(socket, state);
    accepted++;
    socket.once("close", () => {
      connections.delete(socket);
      if (draining && connections.size === 0) onEmpty?.();
    });
    if (draining) waitForFirstRequest(socket, state);
  });

  // Registered before the application's listener, so the header is set before anything is written.
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    const state = connections.get(socket);
    inFlight++;
    if (state) {
      state.active++;
      state.responses.add(res);
    }
    if (draining) res.setHeader("connection", "close");
    res.once("close", () => {
      inFlight--;
      if (!state) return;
      state.active--;
      state.responses.delete(res);
      state.served++;
      // A response started before the drain may have said keep-alive: close the connection here.
      if (draining) setImmediate(() => closeIfIdle(socket, state));
    });
  });

  function waitForFirstRequest(socket: net.Socket, state: ConnectionState): void {
    const timer = setTimeout(() => {
      if (state.active === 0) socket.destroy();
    }, NEW_CONNECTION_WAIT_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  }

  return {
    get inFlight() {
      return inFlight;
    },
    async drain(graceMs) {
      if (draining) throw new Error("drain() called twice");
      draining = true;
      const deadline = Date.now() + graceMs;
      // Connections the kernel completed while the event loop was busy (a fit, an import) wait in
      // the listen backlog, and closing the listener would reset them. So accept (and answer) what
      // comes until a turn of the event loop is quick and brings no new connection: then the
      // backlog is empty, and closing refuses later clients cleanly.
      const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
      await turn(); // the rest of the current turn, which may or may not have polled the listener
      while (Date.now() < deadline) {
        const seen = accepted;
        const start = Date.now();
        await turn();
        if (accepted === seen && Date.now() - start <= QUIET_TURN_MS) break;
      }
      // net.Server's close, not http.Server's: that one also stops Node's header/request timeout
      // checks, which must keep running for the connections still open.
      if (server.listening) net.Server.prototype.close.call(server);
      for (const [socket, state] of connections) {
        if (state.active > 0) {
          // Answered first, then closed: the client must not send another request on it.
          for (const res of state.responses) if (!res.headersSent) res.setHeader("connection", "close");
          continue;
        }
        if (state.served > 0) socket.destroy(); // idle keep-alive
        else waitForFirstRequest(socket, state);
      }
      const empty = new Promise<void>((resolve) => {
        if (connections.size === 0) resolve();
        else onEmpty = resolve;
      });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
      });
      const outcome = await Promise.race([empty, timedOut]);
      clearTimeout(timer);
      let cut = 0;
      if (outcome === "timeout") {
        cut = inFlight;
        for (const socket of connections.keys()) socket.destroy();
      }
      return { cut };
    },
  };
}
