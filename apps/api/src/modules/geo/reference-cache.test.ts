import type { County, Prefecture, Repositories } from "@govdiffusion/db";
import { describe, expect, it } from "vitest";
import { ReferenceCache } from "./reference-cache.js";

const county = (code: string): County => ({ code, name: code, nameEn: code, kind: "county", prefectureCode: "451000" });

function repos(fail = { now: false }) {
  const calls = { prefectures: 0, counties: 0 };
  const r = {
    prefectures: { list: async (): Promise<Prefecture[]> => { calls.prefectures++; return [{ code: "451000", name: "百色市", nameEn: "Baise" }]; } },
    counties: {
      list: async (): Promise<County[]> => {
        calls.counties++;
        if (fail.now) throw new Error("database down");
        return [county("451002"), county("451003")];
      },
    },
  } as unknown as Repositories;
  return { r, calls };
}

describe("ReferenceCache", () => {
  it("reads once within the TTL (concurrent callers share the read), again after it", async () => {
    let t = 0;
    const { r, calls } = repos();
    const cache = new ReferenceCache(r, 1000, () => t);
    await Promise.all([cache.counties(), cache.prefectures(), cache.county("451002")]);
    expect(calls).toEqual({ prefectures: 1, counties: 1 });
    t = 999;
    expect(await cache.county("451003")).toEqual(county("451003"));
    expect(await cache.county("459999")).toBeNull();
    expect(calls.counties).toBe(1);
    t = 1001;
    await cache.counties();
    expect(calls.counties).toBe(2);
  });

  it("does not keep a failed read", async () => {
    const fail = { now: true };
    const { r, calls } = repos(fail);
    const cache = new ReferenceCache(r);
    await expect(cache.counties()).rejects.toThrow("database down");
    fail.now = false;
    expect(await cache.counties()).toHaveLength(2);
    expect(calls.counties).toBe(2);
  });
});
