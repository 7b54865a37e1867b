// Warm fit times of two builds in one process, alternating, for changes too small for the
// one-process-per-fit bench to see (its noise at 1e3-1e4 is tens of percent).
// Usage: node bench/small.mjs <other-dist-dir> [sizes, default 1000,10000] [fits each]
// e.g. git worktree add /tmp/before <commit> && (cd /tmp/before/packages/estimation && npx tsc -p tsconfig.build.json)
//      node bench/small.mjs /tmp/before/packages/estimation/dist 1000,10000 200
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { PREDICTORS, syntheticNb2 } from "./data.mjs";

const [otherDir, sizesArg = "1000,10000", repsArg] = process.argv.slice(2);
if (otherDir === undefined) throw new Error("usage: node bench/small.mjs <other-dist-dir> [sizes] [fits each]");
const other = await import(pathToFileURL(resolve(otherDir, "index.js")).href);
const ours = await import("../dist/index.js");
for (const n of sizesArg.split(",").map(Number)) {
  const data = syntheticNb2(n);
  const reps = Number(repsArg ?? (n >= 1e5 ? 10 : 200));
  for (const family of ["negbin2", "poisson"]) {
    const times = { other: [], ours: [] };
    for (let r = 0; r < reps; r++) {
      for (const [key, m] of [["other", other], ["ours", ours]]) {
        const t0 = performance.now();
        m.fitCountModel(data, { family, outcome: "y", predictors: PREDICTORS });
        times[key].push(performance.now() - t0);
      }
    }
    const stats = (a) => {
      a.sort((x, y) => x - y);
      return `min ${a[0].toFixed(2)} median ${a[Math.floor(a.length / 2)].toFixed(2)}`;
    };
    console.log(`n=${n} ${family}: other ${stats(times.other)} ms; this tree ${stats(times.ours)} ms`);
  }
}
