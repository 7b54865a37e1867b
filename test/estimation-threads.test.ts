/**
 * The multi-threaded NB2 fit nested in a worker thread, as the API runs fits inside its pool's
 * workers: the fit's own row-pass workers start from there, the fit's Atomics.wait is allowed
 * there, and the result is bit for bit the single-threaded one. Uses the built package (dist).
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { fitCountModel, fitThreadStats, type FitResult, type ModelSpec } from "@govdiffusion/estimation";
import { describe, expect, it } from "vitest";

const estimationUrl = pathToFileURL(createRequire(import.meta.url).resolve("@govdiffusion/estimation")).href;

/** 80,000 rows (above the 65,536-row threshold for threaded passes), three predictors, overdispersed. */
function data(n: number): Record<string, Float64Array> {
  let s = 12345;
  const u = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) + 0.5) / 2 ** 32;
  const cols = { y: new Float64Array(n), a: new Float64Array(n), b: new Float64Array(n), c: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const a = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    const b = u() < 0.3 ? 1 : 0;
    const c = 3 * u();
    cols.a[i] = a;
    cols.b[i] = b;
    cols.c[i] = c;
    // Gamma-mixed Poisson (NB2 with alpha = 1): an exponential frailty times the mean.
    const mu = Math.exp(0.5 + 0.3 * a - 0.4 * b + 0.1 * c) * -Math.log(u());
    let k = 0;
    for (let t = -Math.log(u()); t < mu; t += -Math.log(u())) k++;
    cols.y[i] = k;
  }
  return cols;
}

/** Paths where the two results differ, numbers compared with Object.is. */
function bitDifferences(a: unknown, b: unknown, path = "$", out: string[] = []): string[] {
  if (typeof a === "number" || typeof b === "number") {
    if (!Object.is(a, b)) out.push(`${path}: ${String(a)} vs ${String(b)}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    a.forEach((v, i) => bitDifferences(v, b[i], `${path}[${i}]`, out));
    if (a.length !== b.length) out.push(`${path}: length`);
  } else if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      bitDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out);
    }
  } else if (a !== b) out.push(`${path}: ${String(a)} vs ${String(b)}`);
  return out;
}

describe("NB2 fit with threads inside a worker thread", () => {
  it("starts its own row-pass workers there and matches the one-thread fit bit for bit", async () => {
    const table = data(80_000);
    const spec: ModelSpec = { family: "negbin2", outcome: "y", predictors: ["a", "b", "c"] };
    const worker = new Worker(
      `(async () => {
        const { parentPort, workerData } = require("node:worker_threads");
        const { fitCountModel, fitThreadStats } = await import(workerData.url);
        const fit = fitCountModel(workerData.table, { ...workerData.spec, threads: 3 });
        parentPort.postMessage({ fit, stats: fitThreadStats() });
      })();`,
      { eval: true, workerData: { url: estimationUrl, table, spec } },
    );
    const answer = new Promise<{ fit: FitResult; stats: ReturnType<typeof fitThreadStats> }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`worker exited with ${code} before answering`)));
    });
    const { fit, stats } = await answer;
    await worker.terminate();
    // The nested fit sent its passes to two workers of its own.
    expect(stats.workers).toBe(2);
    expect(stats.jobs).toBeGreaterThan(20);
    const reference = fitCountModel(table, { ...spec, threads: 1 });
    expect(reference.converged).toBe(true);
    expect(reference.alpha).toBeGreaterThan(0.5);
    expect(bitDifferences(fit, reference)).toEqual([]);
  });
});
