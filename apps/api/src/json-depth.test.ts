import { describe, expect, it } from "vitest";
import { jsonTooDeep, searchJsonTooDeep } from "./json-depth.js";

const nested = (n: number) => "[".repeat(n) + "1" + "]".repeat(n);

describe("jsonTooDeep", () => {
  it("counts the nesting of arrays and objects, the outermost being level 1", () => {
    expect(jsonTooDeep(nested(64), 64)).toBe(false);
    expect(jsonTooDeep(nested(65), 64)).toBe(true);
    expect(jsonTooDeep(`{"variables":{"x":${nested(62)}}}`, 64)).toBe(false);
    expect(jsonTooDeep(`{"variables":{"x":${nested(63)}}}`, 64)).toBe(true);
    expect(jsonTooDeep(`{"a":{"b":{"c":1}},"d":[[2]]}`, 3)).toBe(false);
    expect(jsonTooDeep(`{"a":{"b":{"c":{}}}}`, 3)).toBe(true);
  });

  it("ignores brackets inside strings, escaped quotes and backslashes included", () => {
    const s = JSON.stringify({ q: "[[[[[{{{{ \"[[[[\" \\\\", csv: "a,b\n[[[[[[[[[[\n" });
    expect(jsonTooDeep(s, 1)).toBe(false);
    expect(jsonTooDeep(JSON.stringify({ q: "x\\" }) + nested(3), 2)).toBe(true);
  });

  it("a 3,000-deep body of 6 KB, and GET parameters", () => {
    const body = `{"query":"{ __typename }","variables":{"x":${nested(3000)}}}`;
    expect(body.length).toBeLessThan(6100);
    expect(jsonTooDeep(body, 64)).toBe(true);
    expect(searchJsonTooDeep(`?query=%7B__typename%7D&variables=${encodeURIComponent(`{"x":${nested(100)}}`)}`, 64)).toBe(true);
    expect(searchJsonTooDeep(`?query=%7B__typename%7D&variables=${encodeURIComponent(`{"x":[1]}`)}`, 64)).toBe(false);
    expect(searchJsonTooDeep("", 64)).toBe(false);
  });
});
