/**
 * Starts the BUILT API (@govdiffusion/api dist) over real HTTP on port 0 against a throwaway database:
 * a temporary SQLite file, or, when TEST_PG_URL is set, a fresh PostgreSQL database created on that
 * server and dropped afterwards. The database is migrated and seeded with the Guangxi default.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { createServer, loadConfig, type ApiServer } from "@govdiffusion/api";
import { createDb, ensureDatabase } from "@govdiffusion/db";

export const API_KEY = "test-key-0123456789abcdef";
export const OTHER_KEY = "another-key-0123456789abcdef";
/** A read-only key: configured (GOVDIFFUSION_READ_KEYS) only where a test passes it. */
export const READ_KEY = "read-only-key-0123456789abcdef";

export interface TestDatabase { url: string; drop(): Promise<void> }

async function pgAdmin<T>(adminUrl: string, fn: (q: (sql: string) => Promise<unknown>) => Promise<T>): Promise<T> {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn((sql) => client.query(sql));
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const pgUrl = process.env["TEST_PG_URL"];
  if (pgUrl) {
    const name = `govdiffusion_${label}_${process.pid}_${randomBytes(3).toString("hex")}`;
    await pgAdmin(pgUrl, (q) => q(`CREATE DATABASE "${name}"`));
    const u = new URL(pgUrl);
    u.pathname = `/${name}`;
    return {
      url: u.toString(),
      drop: () => pgAdmin(pgUrl, (q) => q(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), `govdiffusion-${label}-`));
  return { url: `file:${path.join(dir, "test.db")}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunningApi {
  server: ApiServer;
  base: string;
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts a server on the given database with extra environment (e.g. GOVDIFFUSION_REQUIRE_KEY_FOR_READS). */
export async function startApi(url: string, env: Record<string, string> = {}): Promise<RunningApi> {
  const config = loadConfig({
    PORT: "0",
    DATABASE_URL: url,
    GOVDIFFUSION_API_KEYS: `${API_KEY},${OTHER_KEY}`,
    GOVDIFFUSION_CORS_ORIGINS: "http://allowed.example",
    GOVDIFFUSION_BODY_LIMIT_BYTES: "200000",
    GOVDIFFUSION_MAX_IMPORT_BYTES: "100000",
    LOG_LEVEL: process.env["TEST_LOG_LEVEL"] ?? "silent",
    ...env,
  });
  const server = await createServer({ config, db: createDb({ url }) });
  const { port } = await server.listen(0, "127.0.0.1");
  const base = `http://127.0.0.1:${port}`;
  return { server, base, endpoint: `${base}/graphql`, stop: () => server.stop() };
}

export async function seededDatabase(label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(label);
  await ensureDatabase({ url: db.url, seed: true });
  return db;
}

export interface GqlResponse<T = any> {
  status: number;
  headers: Headers;
  data: T;
  errors: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] | undefined;
}

export async function gql<T = any>(
  endpoint: string,
  query: string,
  variables: Record<string, unknown> = {},
  opts: { key?: string; authorization?: string; headers?: Record<string, string> } = {},
): Promise<GqlResponse<T>> {
  const headers: Record<string, string> = { "content-type": "application/json", ...opts.headers };
  if (opts.key) headers["authorization"] = `Bearer ${opts.key}`;
  if (opts.authorization) headers["authorization"] = opts.authorization;
  const res = await fetch(endpoint, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: T; errors?: GqlResponse["errors"] };
  return { status: res.status, headers: res.headers, data: body.data as T, errors: body.errors };
}

/** The first error's extensions, for asserting code/field/reason. */
export const ext = (r: GqlResponse): Record<string, any> => r.errors?.[0]?.extensions ?? {};

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
}

const cliBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../apps/cli/bin/govdiffusion.js");

/**
 * `govdiffusion serve --port 0` as a child process (the BUILT CLI) with extra environment; resolves
 * once it prints its URL. Every other stdout line (the JSON log) goes to `onLine`.
 */
export function spawnServe(env: Record<string, string>, onLine: (line: string) => void = () => {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [cliBin, "serve", "--port", "0"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /^govdiffusion API listening on (http:\/\/\S+)$/.exec(line);
      if (m) resolve({ child, url: m[1]!, stderr: () => stderr });
      else onLine(line);
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)));
  });
}
