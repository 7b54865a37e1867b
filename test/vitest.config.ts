import swc from "unplugin-swc";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // SWC instead of esbuild so decorator metadata survives if a test touches type-graphql classes.
  plugins: [swc.vite({ module: { type: "es6" } })],
  // The workspace packages resolve to their real paths (not node_modules), so Vite transforms them
  // and would pick graphql's index.mjs while Apollo (externalised) gets index.js: two copies and
  // "Cannot use GraphQLSchema from another module or realm" (STYLE pitfall 4). Use Node's choice.
  resolve: { alias: { graphql: "graphql/index.js" } },
  test: {
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    passWithNoTests: false,
    // These tests spawn the built CLI and start servers: slower than unit tests on a shared 2-core box.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
