// Prisma CLI config for the SQLite schema (run as: prisma <cmd> --config prisma.sqlite.config.ts).
// JS engine + driver adapter so the CLI never downloads a native engine (STYLE.md pitfall 17).
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

// The schema's env("DATABASE_URL") must hold a URL of this provider even for `prisma generate`:
// when it is missing or invalid the CLI cannot read the generator's engineType, assumes the classic
// engine and tries to download it (offline failure). So pin a provider-valid URL for this process.
const url = process.env.DATABASE_URL !== undefined && /^file:/.test(process.env.DATABASE_URL) ? process.env.DATABASE_URL : "file:./dev.db";
process.env.DATABASE_URL = url;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("..", "..", "prisma", "sqlite", "schema.prisma"),
  migrations: { path: path.join("..", "..", "prisma", "sqlite", "migrations") },
  adapter: async () => new PrismaBetterSQLite3({ url: url }),
});
