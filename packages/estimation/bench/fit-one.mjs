// One size, one family, in its own process so that maxRSS is the peak of this fit alone.
// Usage: node --expose-gc bench/fit-one.mjs <n> <poisson|negbin2> <repeats> [threads]
// (threads: the fit's `threads` option; default GOVDIFFUSION_FIT_THREADS or the machine's cores)
// Prints one JSON line.
import { defaultFitThreads, fitCountModel } from "../dist/index.js";
import { PREDICTORS, syntheticNb2 } from "./data.mjs";

const [nArg, family, repeatsArg = "1", threadsArg] = process.argv.slice(2);
const n = Number(nArg);
const repeats = Number(repeatsArg);
const threads = threadsArg === undefined ? defaultFitThreads() : Number(threadsArg);
const data = syntheticNb2(n);
const spec = { family, outcome: "y", predictors: PREDICTORS, threads };

const gc = globalThis.gc ?? (() => {});
gc();
const before = process.memoryUsage();
const times = [];
let fit;
let after;
for (let r = 0; r < repeats; r++) {
  fit = undefined;
  gc();
  const t0 = process.hrtime.bigint();
  fit = fitCountModel(data, spec);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (r === 0) after = process.memoryUsage();
}
times.sort((a, b) => a - b);
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
console.log(
  JSON.stringify({
    n,
    family,
    repeats,
    threads,
    medianMs: times[Math.floor((times.length - 1) / 2)],
    minMs: times[0],
    converged: fit.converged,
    iterations: fit.iterations,
    alpha: fit.alpha,
    logLikelihood: fit.logLikelihood,
    rssBefore: before.rss,
    peakRss: maxRssBytes,
    // Peak RSS while fitting, above what the process held with the data loaded.
    peakRssDelta: Math.max(0, maxRssBytes - before.rss),
    // Retained right after the first fit (the result itself, plus garbage not yet collected).
    heapUsedDelta: after.heapUsed - before.heapUsed,
    arrayBuffersDelta: after.arrayBuffers - before.arrayBuffers,
  }),
);
