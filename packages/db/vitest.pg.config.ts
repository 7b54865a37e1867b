// The same database suite as vitest.config.ts, against PostgreSQL (TEST_PG_URL; a throwaway
// database per test file is created and dropped by src/testing/test-db.ts).
import { defineConfig } from "vitest/config";

if (!process.env["TEST_PG_URL"]) {
  throw new Error("TEST_PG_URL is not set: e.g. TEST_PG_URL=postgresql://govdiffusion:govdiffusion@127.0.0.1:5432/postgres");
}
process.env["GOVDIFFUSION_TEST_PROVIDER"] = "postgres";

export default defineConfig({
  test: {
    include: [
      "src/migrate.test.ts",
      "src/repositories/*.test.ts",
      "src/analysis-frame.test.ts",
      "src/import/*.test.ts",
      "src/seed/seed.test.ts",
    ],
    env: { GOVDIFFUSION_TEST_PROVIDER: "postgres" },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
