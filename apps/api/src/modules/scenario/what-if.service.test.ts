import { describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "@govdiffusion/db";
import { fakeDataAccess, WHAT_IF_WORLD } from "../../testing.js";
import { MODEL_RECHECK_MS, WhatIfService, resultBytes } from "./what-if.service.js";

const { codes, x, y, frame, model } = WHAT_IF_WORLD; // 12 counties, one year, y on x (testing.ts)

function service(opts: { frameDelayMs?: number; cacheBytes?: { results: number; baselines: number } } = {}) {
  let frames = 0;
  let lookups = 0;
  let clock = 0;
  const stored = new Set([7]);
  const data = fakeDataAccess({
    models: {
      byId: async (id) => (stored.has(id) ? model : null),
      exists: async (id) => {
        lookups++;
        return stored.has(id);
      },
    },
    counties: { list: async () => codes.map((c, i) => ({ code: c, name: `county ${i}`, nameEn: "", kind: "county" as const, prefectureCode: frame.rows[i]!.prefectureCode })) },
    observations: { years: async () => [2019, 2020] },
    buildAnalysisFrame: async () => {
      frames++;
      if (opts.frameDelayMs) await new Promise((r) => setTimeout(r, opts.frameDelayMs));
      return frame;
    },
  });
  return {
    svc: new WhatIfService(data, { maxDraws: 500, ...(opts.cacheBytes ? { cacheBytes: opts.cacheBytes } : {}) }, () => clock),
    frames: () => frames,
    lookups: () => lookups,
    /** Deletes the model behind the service's back, as another server process would. */
    deleteElsewhere: (id: number) => stored.delete(id),
    advance: (ms: number) => (clock += ms),
  };
}

describe("WhatIfService", () => {
  it("SCALE on one prefecture changes only its rows; totals are sums; x×1.1 multiplies mu by exp(0.1·b·x)", async () => {
    const { svc } = service();
    const r = await svc.run(7, [{ indicator: "x", operation: "scale", value: 1.1, prefectureCodes: ["451000"] }]);
    const b = model.result.coefficients.find((c) => c.term === "x")!.estimate!;
    expect([...r.changedRows].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    r.outcome.rows.forEach((row, i) => {
      if (i < 6) expect(row.scenario.estimate / row.baseline.estimate).toBeCloseTo(Math.exp(b * 0.1 * x[i]!), 10);
      else expect(row.difference.estimate).toBe(0);
    });
    const sumB = r.outcome.rows.reduce((s, row) => s + row.baseline.estimate, 0);
    expect(r.outcome.baselineTotal.estimate).toBeCloseTo(sumB, 10);
    // Poisson fit with an intercept: fitted means sum to the observed total.
    expect(sumB).toBeCloseTo(y.reduce((s, v) => s + v, 0), 6);
    expect(r.countyNames.get(codes[0]!)).toBe("county 0");
  });

  it("prepares the baseline once per model and drops it on invalidate", async () => {
    const { svc, frames } = service();
    await svc.run(7, []);
    await Promise.all([svc.run(7, []), svc.run(7, [{ indicator: "x", operation: "add", value: 1 }])]);
    expect(frames()).toBe(1);
    svc.invalidate(7);
    await svc.run(7, []);
    expect(frames()).toBe(2);
  });

  it("caches results per (model, interventions, options): the same question returns the same object; invalidate drops them", async () => {
    const { svc } = service();
    const ask = [{ indicator: "x", operation: "scale" as const, value: 1.1 }];
    const a = await svc.run(7, ask);
    expect(await svc.run(7, ask)).toBe(a);
    const other = await svc.run(7, [{ indicator: "x", operation: "scale", value: 1.2 }]);
    expect(other).not.toBe(a);
    expect(other.outcome.scenarioTotal.estimate).toBeGreaterThan(a.outcome.scenarioTotal.estimate);
    const sim = await svc.run(7, ask, { uncertainty: "simulation", draws: 50, seed: 3 });
    expect(sim).not.toBe(a);
    expect(await svc.run(7, ask, { uncertainty: "simulation", draws: 50, seed: 3 })).toBe(sim);
    svc.invalidate(7);
    const again = await svc.run(7, ask);
    expect(again).not.toBe(a);
    expect(again.outcome.scenarioTotal.estimate).toBe(a.outcome.scenarioTotal.estimate);
    // errors are not cached
    await expect(svc.run(7, [{ indicator: "y", operation: "set", value: 1 }])).rejects.toBeInstanceOf(ValidationError);
    await expect(svc.run(7, [{ indicator: "y", operation: "set", value: 1 }])).rejects.toBeInstanceOf(ValidationError);
  });

  it("a model deleted by another process is refused once MODEL_RECHECK_MS has passed; existence is looked up once per interval", async () => {
    const { svc, lookups, deleteElsewhere, advance } = service();
    const ask = [{ indicator: "x", operation: "scale" as const, value: 1.1 }];
    const a = await svc.run(7, ask);
    await Promise.all([svc.run(7, ask), svc.run(7, ask), svc.run(7, [])]);
    expect(lookups()).toBe(1);
    deleteElsewhere(7);
    advance(MODEL_RECHECK_MS - 1);
    expect(await svc.run(7, ask)).toBe(a); // still trusted within the interval
    advance(1);
    await expect(svc.run(7, ask)).rejects.toMatchObject({ field: "modelId", reason: "UNKNOWN_MODEL" });
    expect(lookups()).toBe(2);
    // nothing of the deleted model is kept: the next question looks again, and fails again
    await expect(svc.run(7, [])).rejects.toMatchObject({ field: "modelId", reason: "UNKNOWN_MODEL" });
    expect(lookups()).toBe(3);
  });

  it("asking about an unknown model does not stop another model's result being cached", async () => {
    const { svc } = service({ frameDelayMs: 30 });
    const ask = [{ indicator: "x", operation: "scale" as const, value: 1.1 }];
    const first = svc.run(7, ask); // preparing model 7's baseline for 30 ms
    await new Promise((r) => setTimeout(r, 10));
    await expect(svc.run(8, ask)).rejects.toMatchObject({ reason: "UNKNOWN_MODEL" });
    const a = await first;
    expect(await svc.run(7, ask)).toBe(a);
  });

  it("names the offending field", async () => {
    const { svc } = service();
    const field = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return [(e as ValidationError).field, (e as ValidationError).reason];
      }
      return "no error";
    };
    expect(await field(svc.run(8, []))).toEqual(["modelId", "UNKNOWN_MODEL"]);
    expect(await field(svc.run(8, [], {}, "input."))).toEqual(["input.modelId", "UNKNOWN_MODEL"]);
    expect(await field(svc.run(7, [{ indicator: "y", operation: "set", value: 1 }]))).toEqual(["interventions[0].indicator", "UNKNOWN_INDICATOR"]);
    expect(await field(svc.run(7, [{ indicator: "x", operation: "set", value: 1, countyCodes: ["999999"] }]))).toEqual(["interventions[0].countyCodes[0]", "UNKNOWN_COUNTY"]);
    expect(await field(svc.run(7, [], { uncertainty: "simulation", draws: 501 }))).toEqual(["options.draws", "OUT_OF_RANGE"]);
    expect(await field(svc.run(7, [], { confidenceLevel: 1 }))).toEqual(["options.confidenceLevel", "OUT_OF_RANGE"]);
    expect(await field(svc.run(7, [], { year: 2018 }))).toEqual(["options.year", "UNKNOWN_YEAR"]);
    expect(await field(svc.run(7, [{ indicator: "x", operation: "scale", value: -1 }], {}, "input."))).toEqual(["input.interventions[0].value", "OUT_OF_RANGE"]);
  });

  it("an unknown model from prepare() is NotFound internally, bad input at the API", async () => {
    const { svc } = service();
    await expect(svc.prepared(8, null)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("WhatIfService caches are bounded by bytes", () => {
  it("results: many new questions never hold more than the budget; the most recent are kept", async () => {
    const { svc } = service({ cacheBytes: { results: 60_000, baselines: 1_000_000 } });
    const ask = (i: number) => svc.run(7, [{ indicator: "x", operation: "scale", value: 1 + i / 1000 }]);
    const one = await ask(0);
    const perResult = resultBytes(one, `7:${JSON.stringify([[{ indicator: "x", operation: "scale", value: 1 }], {}])}`);
    expect(perResult).toBeGreaterThan(12 * 1100); // 12 rows
    for (let i = 1; i <= 50; i++) {
      await ask(i);
      expect(svc.cachedBytes().results).toBeLessThanOrEqual(60_000);
    }
    expect(svc.cachedBytes().resultCount).toBe(Math.floor(60_000 / perResult));
    expect(await ask(50)).toBe(await ask(50)); // the latest is still a hit (the same object)
    expect(await ask(0)).not.toBe(one); // the first was dropped: computed again
  });

  it("baselines: sized once prepared; one larger than the budget is not kept (prepared again next time)", async () => {
    const small = service({ cacheBytes: { results: 1_000_000, baselines: 1_000_000 } });
    await small.svc.run(7, []);
    const { baselines, baselineCount } = small.svc.cachedBytes();
    expect(baselineCount).toBe(1);
    expect(baselines).toBeGreaterThan(64 * 1024); // the real size replaced the pending estimate
    expect(baselines).toBeLessThan(1_000_000);
    const tight = service({ cacheBytes: { results: 1_000_000, baselines: 66_000 } }); // the pending estimate (64 KiB) fits, the prepared size (~69.5 kB) does not
    await tight.svc.run(7, []);
    await tight.svc.run(7, [{ indicator: "x", operation: "add", value: 1 }]);
    expect(tight.svc.cachedBytes().baselines).toBeLessThanOrEqual(66_000);
    expect(tight.frames()).toBe(2);
  });
});
