import { describe, expect, it } from "vitest";
import { decodeWorkerConfig, encodeWorkerConfig } from "./cluster.js";
import { hashApiKey, loadConfig } from "./config.js";

describe("worker configuration", () => {
  it("round-trips through the environment variable, key hashes included (never the keys)", () => {
    const config = loadConfig({
      GOVDIFFUSION_API_KEYS: "aaaaaaaaaaaaaaaa", GOVDIFFUSION_READ_KEYS: "rrrrrrrrrrrrrrrr", GOVDIFFUSION_CORS_ORIGINS: "*", GOVDIFFUSION_WORKERS: "2",
    }, "/srv");
    const text = encodeWorkerConfig(config);
    expect(text).not.toContain("aaaaaaaaaaaaaaaa");
    const back = decodeWorkerConfig(text);
    expect(back).toEqual(config);
    expect(back.apiKeyHashes[0]!.equals(hashApiKey("aaaaaaaaaaaaaaaa"))).toBe(true);
    expect(back.readKeyHashes[0]!.equals(hashApiKey("rrrrrrrrrrrrrrrr"))).toBe(true);
  });
});
