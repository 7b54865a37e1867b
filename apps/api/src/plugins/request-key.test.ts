import { describe, expect, it } from "vitest";
import { requestKey } from "./request-key.js";

describe("requestKey", () => {
  it("keys operation name and variables; no key for non-finite numbers or a string too long for any cache", () => {
    expect(requestKey("Q", { a: 1, s: "x" })).toBe('Q\u0000{"a":1,"s":"x"}');
    expect(requestKey(null, { v: Infinity })).toBeUndefined();
    // An importDataset CSV: never escaped into a key (that took 60-270 ms of the event loop for 20 MB).
    expect(requestKey("Import", { input: { name: "d", csv: "county_code,year\n".repeat(300) } })).toBeUndefined();
  });
});
