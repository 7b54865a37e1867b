import { availableParallelism } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { EstimationError } from "../errors.js";
import { fitCountModel } from "../fit.js";
import { negbinDraw, testRng } from "../test-support/simulate.js";
import type { FitResult, ModelSpec, Table } from "../types.js";
import { makeGlmData, runRowPass } from "./common.js";
import { rowPass, type RowPassSpec } from "./kernels.js";
import { BLOCKED_MIN_ROWS, defaultFitThreads, ROW_BLOCK, rowThreads } from "./row-threads.js";

/** Large enough for the blocked (threaded) passes, with a last block that is not full. */
const N = BLOCKED_MIN_ROWS + 3 * ROW_BLOCK + 123;

/** Overdispersed counts with m normal predictors, frequency weights 1..3 and an exposure. */
function bigData(n: number, m: number, seed: number): Table {
  const rng = testRng(seed);
  const cols: Record<string, Float64Array> = { y: new Float64Array(n), w: new Float64Array(n), pop: new Float64Array(n) };
  for (let j = 0; j < m; j++) cols[`x${j}`] = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let eta = 0.3;
    for (let j = 0; j < m; j++) {
      const v = rng.normal() * (1 + (j % 3));
      cols[`x${j}`]![i] = v;
      eta += (j % 2 === 0 ? 0.2 : -0.15) * v / (1 + (j % 3)) / Math.sqrt(1 + m / 8);
    }
    const pop = 50 + 1000 * rng.uniform();
    cols.pop![i] = pop;
    cols.w![i] = 1 + Math.floor(3 * rng.uniform());
    cols.y![i] = negbinDraw(rng, Math.exp(eta + Math.log(pop / 500)), 0.4);
  }
  return cols;
}

/** Paths where a and b differ, numbers compared with Object.is (so -0 !== 0 and NaN === NaN). */
function bitDifferences(a: unknown, b: unknown, path = "$", out: string[] = []): string[] {
  if (typeof a === "number" || typeof b === "number") {
    if (!Object.is(a, b)) out.push(`${path}: ${String(a)} vs ${String(b)}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: length ${a.length} vs ${b.length}`);
    else a.forEach((v, i) => bitDifferences(v, b[i], `${path}[${i}]`, out));
  } else if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) bitDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
  } else if (a !== b) out.push(`${path}: ${String(a)} vs ${String(b)}`);
  return out;
}

const fitWith = (data: Table, spec: ModelSpec, threads: number): FitResult => fitCountModel(data, { ...spec, threads });

afterEach(() => {
  rowThreads().callerTakesPart = true;
});

describe("row passes on worker threads", () => {
  const nb: ModelSpec = { family: "negbin2", outcome: "y", predictors: ["x0", "x1", "x2", "x3", "x4"], exposure: "pop", weights: "w" };
  const data = bigData(N, 5, 11);

  it("workers alone give the calling thread's results bit for bit (NB2, exposure, weights)", () => {
    const one = fitWith(data, nb, 1);
    expect(one.converged).toBe(true);
    expect(one.alpha).toBeGreaterThan(0.3);
    const pool = rowThreads();
    pool.callerTakesPart = false;
    const before = pool.workerBlocks;
    const two = fitWith(data, nb, 2);
    // Every block of every pass of that fit ran on the worker.
    expect(pool.workerBlocks - before).toBeGreaterThan(20 * Math.ceil(N / ROW_BLOCK));
    expect(bitDifferences(two, one)).toEqual([]);
  });

  it("1, 2 and 3 threads agree bit for bit, with every SE type's passes", () => {
    for (const seType of ["oim", "expected", "hc1"] as const) {
      const spec: ModelSpec = { ...nb, seType };
      const one = fitWith(data, spec, 1);
      const jobs = rowThreads().jobs;
      const three = fitWith(data, spec, 3);
      expect(rowThreads().jobs).toBeGreaterThan(jobs);
      const two = fitWith(data, spec, 2);
      expect(bitDifferences(three, one)).toEqual([]);
      expect(bitDifferences(two, one)).toEqual([]);
    }
  });

  it("Poisson and more than 24 columns (the non-unrolled passes) agree bit for bit", () => {
    const wide = bigData(N, 26, 12);
    const spec: ModelSpec = { family: "poisson", outcome: "y", predictors: Array.from({ length: 26 }, (_, j) => `x${j}`) };
    const one = fitWith(wide, spec, 1);
    rowThreads().callerTakesPart = false;
    const three = fitWith(wide, spec, 3);
    expect(one.converged).toBe(true);
    expect(bitDifferences(three, one)).toEqual([]);
  });

  it("a blocked pass adds per-block sums in block order, exactly as the single-threaded loop", () => {
    const cols = bigData(N, 3, 13);
    const p = 4;
    const x = new Float64Array(N * p);
    for (let i = 0; i < N; i++) {
      x[i * p] = 1;
      for (let j = 0; j < 3; j++) x[i * p + 1 + j] = (cols[`x${j}`] as Float64Array)[i]!;
    }
    const spec: RowPassSpec = { name: "test-ll", eta: "compute", gram: true, cross: true, code: "wt = wi * mi; r = wi * (yi - mi); c = r * ei; s0 += wi * (yi * ei - mi);" };
    const beta = [0.2, 0.1, -0.1, 0.05];
    const byLoop = { g: new Float64Array(p), h: new Float64Array(p * p), g2: new Float64Array(p), acc: new Float64Array(3) };
    const d = makeGlmData(x, p, cols.y as Float64Array, cols.w as Float64Array, null);
    const { pass } = rowPass(p, spec, false, false);
    for (let start = 0; start < N; start += ROW_BLOCK) {
      pass(x, start, Math.min(N, start + ROW_BLOCK), d.y, d.w, null, null, beta, d.eta, d.mu, [], byLoop.g, byLoop.h, p, byLoop.g2, byLoop.acc);
    }
    for (const threads of [1, 2, 3]) {
      const t = makeGlmData(x, p, cols.y as Float64Array, cols.w as Float64Array, null, threads);
      const g = new Float64Array(p);
      const h = new Float64Array(p * p);
      const g2 = new Float64Array(p);
      const acc = runRowPass(t, spec, beta, [], g, h, p, g2);
      expect(bitDifferences([...g, ...h, ...g2, ...acc, ...t.mu], [...byLoop.g, ...byLoop.h, ...byLoop.g2, ...byLoop.acc, ...d.mu])).toEqual([]);
    }
  });

  it("workers that died between fits cost nothing but their share: same results, no wait", async () => {
    const one = fitWith(data, nb, 1);
    fitWith(data, nb, 3); // makes sure two workers exist
    await rowThreads().terminateWorkers();
    // Posting to a dead worker is a no-op and it never claims a block, so the caller does them all
    // (whether or not the exit events have been handled yet).
    expect(bitDifferences(fitWith(data, nb, 3), one)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 50)); // lets the exit events arrive
    const blocks = rowThreads().workerBlocks;
    expect(bitDifferences(fitWith(data, nb, 3), one)).toEqual([]);
    expect(rowThreads().workerBlocks).toBe(blocks);
  });

  it("small fits run on the calling thread: no job reaches a worker", () => {
    const small = bigData(BLOCKED_MIN_ROWS - 1, 3, 14);
    const pool = rowThreads();
    const jobs = pool.jobs;
    const fit = fitWith(small, { family: "negbin2", outcome: "y", predictors: ["x0", "x1", "x2"] }, 4);
    expect(fit.converged).toBe(true);
    expect(pool.jobs).toBe(jobs);
  });
});

describe("thread settings", () => {
  it("threads must be a whole number from 1 to 64", () => {
    const data = { y: [1, 0, 3, 2, 5], x: [0.1, 0.5, 0.2, 0.9, 0.4] };
    for (const threads of [0, 1.5, 65, Number.NaN]) {
      let error: unknown;
      try {
        fitCountModel(data, { family: "poisson", outcome: "y", predictors: ["x"], threads });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EstimationError);
      expect((error as EstimationError).code).toBe("INVALID_INPUT");
      expect((error as EstimationError).column).toBe("threads");
      expect((error as EstimationError).message).toMatch(/^threads must be a whole number from 1 to 64/);
    }
  });

  it("GOVDIFFUSION_FIT_THREADS sets the default; unset means os.availableParallelism()", () => {
    expect(defaultFitThreads({ GOVDIFFUSION_FIT_THREADS: "3" })).toBe(3);
    expect(defaultFitThreads({ GOVDIFFUSION_FIT_THREADS: " 1 " })).toBe(1);
    expect(defaultFitThreads({})).toBe(Math.min(64, availableParallelism()));
    for (const bad of ["0", "two", "2.5", "65"]) {
      expect(() => defaultFitThreads({ GOVDIFFUSION_FIT_THREADS: bad })).toThrow(`GOVDIFFUSION_FIT_THREADS must be an integer from 1 to 64, got "${bad}"`);
    }
  });
});
