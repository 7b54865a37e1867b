// Prisma CLI config for the PostgreSQL schema (run as: prisma <cmd> --config prisma.postgres.config.ts).
// JS engine + driver adapter so the CLI never downloads a native engine (STYLE.md pitfall 17).
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

// The schema's env("DATABASE_URL") must hold a URL of this provider even for `prisma generate`:
// when it is missing or invalid the CLI cannot read the generator's engineType, assumes the classic
// engine and tries to download it (offline failure). So pin a provider-valid URL for this process.
const url = process.env.DATABASE_URL !== undefined && /^postgres(ql)?:\/\//.test(process.env.DATABASE_URL) ? process.env.DATABASE_URL : "postgresql://localhost:5432/govdiffusion";
process.env.DATABASE_URL = url;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("..", "..", "prisma", "postgres", "schema.prisma"),
  migrations: { path: path.join("..", "..", "prisma", "postgres", "migrations") },
  adapter: async () =>
    new PrismaPg({ connectionString: url }),
});
