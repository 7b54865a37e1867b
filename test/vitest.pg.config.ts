// `npm run test:pg`: the end-to-end API suite again, on PostgreSQL. api-harness.ts creates a fresh
// database per suite on the TEST_PG_URL server (.ci/run provides one) and drops it afterwards.
// The CLI fit tests touch no database, so they are not repeated here; db-import-worker runs its
// PostgreSQL case (skipped by the default suite, which has no TEST_PG_URL).
import swc from "unplugin-swc";
import { defineConfig } from "vitest/config";

if (!process.env["TEST_PG_URL"]) {
  throw new Error("TEST_PG_URL is not set: e.g. TEST_PG_URL=postgresql://user:password@127.0.0.1:5432/postgres");
}

export default defineConfig({
  plugins: [swc.vite({ module: { type: "es6" } })],
  resolve: { alias: { graphql: "graphql/index.js" } }, // see vitest.config.ts
  test: {
    include: ["api*.test.ts", "db-import-worker.test.ts"],
    passWithNoTests: false,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
