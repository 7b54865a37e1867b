import swc from "unplugin-swc";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // SWC instead of esbuild so decorator metadata survives if a test touches type-graphql classes.
  plugins: [swc.vite({ module: { type: "es6" } })],
  test: {
    include: ["**/*.test.ts"],
    // PostgreSQL suites run only under `npm run test:pg` (vitest.pg.config.ts) with TEST_PG_URL.
    exclude: ["**/node_modules/**", "**/*.pg.test.ts"],
    passWithNoTests: false,
    // These tests spawn the built CLI and start servers: slower than unit tests on a shared 2-core box.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
