import { defineConfig } from "vitest/config";

export default defineConfig({
  // Unit tests of the CLI modules; the spawned-binary tests live in the root test/ workspace.
  test: { include: ["src/**/*.test.ts"], passWithNoTests: false },
});
