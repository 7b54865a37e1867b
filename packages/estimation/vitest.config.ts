import { defineConfig } from "vitest/config";

// Simulation and robustness tests take seconds; CI runs every workspace's tests at once on two
// cores, so the 5 s default fails them on load alone (a time limit is not what they assert).
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 60_000,
  },
});
