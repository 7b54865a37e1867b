// npm run bench [-- --sizes 1e3,1e4] [-- --no-external]
// Fits NB2 and Poisson on seeded synthetic data (8 predictors) at each size, each fit in its own
// child process (bench/fit-one.mjs) so peak RSS belongs to that fit alone. When R (MASS) and
// /usr/bin/python3 with statsmodels are present, fits the same data there in the same run (only
// the fit is timed, after reading the CSV) and prints the ratios.
import { execFileSync } from "node:child_process";
import { availableParallelism, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PREDICTORS, syntheticNb2 } from "./data.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const sizesArg = valueOf("--sizes") ?? "1e3,1e4,1e5,1e6";
const sizes = sizesArg.split(",").map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 20) throw new Error(`--sizes: "${s}" is not a row count >= 20`);
  return n;
});
const external = !args.includes("--no-external");
const FAMILIES = ["negbin2", "poisson"];
const P = PREDICTORS.length + 1; // with the intercept

function valueOf(flag) {
  const i = args.indexOf(flag);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith(flag + "="));
  return eq?.slice(flag.length + 1);
}

function repeatsFor(n, externalTool) {
  if (n >= 1e6) return externalTool ? 1 : 2;
  if (n >= 1e5) return 3;
  return externalTool ? 3 : 7;
}

function lastJsonLine(text) {
  const lines = text.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

function available(cmd, argv) {
  try {
    execFileSync(cmd, argv, { stdio: "ignore", timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

const hasR = external && available("Rscript", ["-e", "library(MASS)"]);
const hasSm = external && available("/usr/bin/python3", ["-c", "import statsmodels, pandas"]);
if (external && !hasR) console.log("R with MASS not found: skipping R baselines");
if (external && !hasSm) console.log("/usr/bin/python3 with statsmodels/pandas not found: skipping statsmodels baselines");

function writeCsv(path, data, n) {
  const cols = ["y", ...PREDICTORS];
  const fd = openSync(path, "w");
  writeSync(fd, cols.join(",") + "\n");
  const chunk = [];
  for (let i = 0; i < n; i++) {
    chunk.push(cols.map((c) => String(data[c][i])).join(","));
    if (chunk.length === 10_000 || i === n - 1) {
      writeSync(fd, chunk.join("\n") + "\n");
      chunk.length = 0;
    }
  }
  closeSync(fd);
}

const mb = (bytes) => (bytes / 2 ** 20).toFixed(1);
const load = () => loadavg().map((v) => v.toFixed(1)).join(" ");
const loadAtStart = load();
console.log(`${availableParallelism()} cores; load average ${loadAtStart} (1, 5, 15 min)`);

/**
 * How much two threads can gain on this machine right now: the same fixed compute loop on one
 * worker thread, then on two at once; 2.0x means two free cores, 1.0x means the process gets one
 * core's worth (a loaded machine: Linux's autogroup scheduling shares the CPU per session, not per
 * thread). Printed with the results, since the threaded figures mean little below ~1.6x.
 */
async function parallelCapacity() {
  const src = `const { parentPort } = require("node:worker_threads");
let s = 0; for (let i = 0; i < 4e7; i++) s += Math.sqrt(i);
parentPort.postMessage(s);`;
  const run = (k) => {
    const t0 = performance.now();
    return Promise.all(
      Array.from({ length: k }, () => new Promise((resolve, reject) => {
        const w = new Worker(src, { eval: true });
        w.once("message", () => resolve(w.terminate()));
        w.once("error", reject);
      })),
    ).then(() => performance.now() - t0);
  };
  const one = Math.min(await run(1), await run(1));
  const two = Math.min(await run(2), await run(2));
  return (2 * one) / two;
}
const capacityAtStart = await parallelCapacity();
console.log(`parallel capacity ${capacityAtStart.toFixed(2)}x (2 threads' work per unit of time, against 1)`);
const dir = hasR || hasSm ? mkdtempSync(join(tmpdir(), "estimation-bench-")) : null;
const results = [];
try {
  for (const n of sizes) {
    let csv = null;
    if (dir !== null) {
      csv = join(dir, `nb2-${n}.csv`);
      writeCsv(csv, syntheticNb2(n), n);
    }
    for (const family of FAMILIES) {
      const fitOne = (...threads) =>
        lastJsonLine(
          execFileSync(process.execPath, ["--expose-gc", join(here, "fit-one.mjs"), String(n), family, String(repeatsFor(n, false)), ...threads], {
            encoding: "utf8",
            maxBuffer: 1 << 20,
          }),
        );
      // Default threads (the machine's cores, or GOVDIFFUSION_FIT_THREADS), and one thread.
      const ours = fitOne();
      const ours1 = ours.threads === 1 ? ours : fitOne("1");
      const row = { n, family, ours, ours1, r: null, sm: null };
      if (hasR) {
        row.r = lastJsonLine(
          execFileSync("Rscript", [join(here, "fit-r.R"), csv, family, String(repeatsFor(n, true))], { encoding: "utf8", timeout: 1_800_000 }),
        );
      }
      if (hasSm) {
        row.sm = lastJsonLine(
          execFileSync("/usr/bin/python3", [join(here, "fit-statsmodels.py"), csv, family, String(repeatsFor(n, true))], {
            encoding: "utf8",
            timeout: 1_800_000,
          }),
        );
      }
      results.push(row);
      const o = row.ours;
      // Log-likelihoods side by side show the three fits reached the same optimum on the same data.
      const ll = (x) => x.logLikelihood.toFixed(3);
      const extra = [
        row.r ? `R ${row.r.medianMs.toFixed(0)} ms (logLik ${ll(row.r)})` : null,
        row.sm ? `statsmodels ${row.sm.medianMs.toFixed(0)} ms (logLik ${ll(row.sm)})` : null,
      ].filter(Boolean);
      console.log(
        `n=${n} ${family}: ${o.medianMs.toFixed(1)} ms (median of ${o.repeats}, ${o.threads} threads; ` +
          `${row.ours1.medianMs.toFixed(1)} ms on 1), ${o.iterations} iterations, ` +
          `alpha ${o.alpha === null ? "-" : o.alpha.toFixed(4)}, logLik ${ll(o)}, peak RSS +${mb(o.peakRssDelta)} MB` +
          (extra.length ? `; ${extra.join(", ")}` : ""),
      );
    }
  }
} finally {
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
}

const header = ["n", "family", "ours ms", "1 thr ms", "thr x", "iter", "peak RSS +MB", "X copy MB", "RSS/X", "heap +MB", "bufs +MB", "R ms", "R/ours", "sm ms", "sm/ours"];
const table = results.map(({ n, family, ours, ours1, r, sm }) => {
  const xBytes = n * P * 8;
  return [
    n.toExponential(0),
    family,
    ours.medianMs.toFixed(1),
    ours1.medianMs.toFixed(1),
    (ours1.medianMs / ours.medianMs).toFixed(2) + "x",
    String(ours.iterations),
    mb(ours.peakRssDelta),
    mb(xBytes),
    (ours.peakRssDelta / xBytes).toFixed(2),
    mb(ours.heapUsedDelta),
    mb(ours.arrayBuffersDelta),
    r ? r.medianMs.toFixed(0) : "-",
    r ? (r.medianMs / ours.medianMs).toFixed(1) + "x" : "-",
    sm ? sm.medianMs.toFixed(0) : "-",
    sm ? (sm.medianMs / ours.medianMs).toFixed(1) + "x" : "-",
  ];
});
const widths = header.map((h, j) => Math.max(h.length, ...table.map((row) => row[j].length)));
const line = (cells) => cells.map((c, j) => (j < 2 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ");
console.log("\n" + line(header));
for (const row of table) console.log(line(row));
console.log(
  `\nours: median fit time with ${results[0]?.ours.threads ?? "-"} threads (1 thr: with threads = 1; thr x = 1 thr / ours); peak RSS + = maxRSS of the child minus its RSS with the data loaded; ` +
    "heap/bufs + = retained right after the first fit; X copy = n x 9 doubles. " +
    "R: MASS::glm.nb / glm(poisson), default control; sm: statsmodels NegativeBinomial(newton) / GLM(Poisson). Same data, same run.",
);
console.log(`load average at start ${loadAtStart}, at end ${load()} (1, 5, 15 min)`);
console.log(`parallel capacity at start ${capacityAtStart.toFixed(2)}x, at end ${(await parallelCapacity()).toFixed(2)}x`);
