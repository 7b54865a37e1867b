import swc from "unplugin-swc";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // SWC instead of esbuild: esbuild drops decorator metadata, which type-graphql needs (STYLE pitfall 1).
  plugins: [swc.vite({ module: { type: "es6" } })],
  // Node resolves "graphql" to its CommonJS index.js (no "exports" map) while Vite would pick index.mjs:
  // two copies, and instanceof GraphQLError fails across them (STYLE pitfall 4). Use Node's choice.
  resolve: { alias: { graphql: "graphql/index.js" } },
  test: { include: ["src/**/*.test.ts"], setupFiles: ["./test-setup.ts"], testTimeout: 30_000 },
});
