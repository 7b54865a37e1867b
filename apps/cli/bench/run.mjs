// npm run bench [-- --rows 1e6] [-- --repeats 3] [-- --no-external]
// Whole-process `govdiffusion fit` (NB2) on a seeded CSV of `rows` x 8 predictors, against the same
// job in Python (pandas read_csv + statsmodels NegativeBinomial newton) and R (read.csv +
// MASS::glm.nb), in the same run on the same file. Wall time per process (start to exit) and
// peak RSS (/usr/bin/time's maximum resident set size). Then, in one process each, the read time
// of the byte scanner and of the csv-parse reader it replaced, each followed by the fit.
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
// The estimation bench's seeded NB2 data (same generator, same seed).
import { PREDICTORS, syntheticNb2 } from "../../../packages/estimation/bench/data.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, "../bin/govdiffusion.js");
const args = process.argv.slice(2);
const valueOf = (flag) => {
  const i = args.indexOf(flag);
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith(flag + "="))?.slice(flag.length + 1);
};
const rows = Number(valueOf("--rows") ?? "1e6");
const repeats = Number(valueOf("--repeats") ?? "3");
if (!Number.isInteger(rows) || rows < 100) throw new Error(`--rows: "${valueOf("--rows")}" is not a row count >= 100`);
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats: "${valueOf("--repeats")}" is not a positive integer`);
const external = !args.includes("--no-external");

function works(cmd, argv) {
  try {
    execFileSync(cmd, argv, { stdio: "ignore", timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}
const hasTime = existsSync("/usr/bin/time");
const hasR = external && works("Rscript", ["-e", "library(MASS)"]);
const hasPy = external && works("/usr/bin/python3", ["-c", "import statsmodels, pandas"]);
if (!hasTime) console.log("/usr/bin/time not found: peak RSS not measured");
if (external && !hasR) console.log("R with MASS not found: skipping R");
if (external && !hasPy) console.log("/usr/bin/python3 with statsmodels/pandas not found: skipping Python");

const dir = mkdtempSync(join(tmpdir(), "cli-bench-"));
const csv = join(dir, `nb2-${rows}.csv`);
const timeFile = join(dir, "time.txt");

/** One process start to exit: wall ms, peak RSS bytes (or null), and its last stdout line as JSON. */
function runProcess(cmd, argv) {
  const full = hasTime ? ["/usr/bin/time", ["-f", "%M", "-o", timeFile, cmd, ...argv]] : [cmd, argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { encoding: "utf8", maxBuffer: 1 << 24, timeout: 1_800_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed (${r.status}): ${r.stderr}`);
  const peakRss = hasTime ? Number(readFileSync(timeFile, "utf8").trim().split("\n").pop()) * 1024 : null;
  return { ms, peakRss, out: JSON.parse(r.stdout.trim().split("\n").pop()) };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** Median wall and median peak RSS of `times` runs. */
function measure(name, cmd, argv, times) {
  const runs = [];
  for (let i = 0; i < times; i++) runs.push(runProcess(cmd, argv));
  const ms = median(runs.map((r) => r.ms));
  const peakRss = hasTime ? median(runs.map((r) => r.peakRss)) : null;
  const ll = runs[0].out.logLikelihood;
  console.log(`${name}: ${(ms / 1000).toFixed(2)} s (median of ${times})${peakRss ? `, peak RSS ${mb(peakRss)} MB` : ""}, logLik ${ll.toFixed(3)}`);
  return { name, ms, peakRss, ll, runs: times };
}

const mb = (bytes) => (bytes / 2 ** 20).toFixed(0);
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");

try {
  // Numbers rounded to 6 significant digits, as a typical export writes them (54 MB at 1e6 rows).
  const data = syntheticNb2(rows);
  const cols = ["y", ...PREDICTORS];
  const fd = openSync(csv, "w");
  writeSync(fd, cols.join(",") + "\n");
  const chunk = [];
  for (let i = 0; i < rows; i++) {
    chunk.push(cols.map((c) => String(Number(data[c][i].toPrecision(6)))).join(","));
    if (chunk.length === 10_000 || i === rows - 1) {
      writeSync(fd, chunk.join("\n") + "\n");
      chunk.length = 0;
    }
  }
  closeSync(fd);
  const designBytes = rows * (PREDICTORS.length + 1) * 8;
  console.log(`CSV: ${rows} rows x ${PREDICTORS.length} predictors, ${mb(statSync(csv).size)} MB; design copy n x 9 doubles = ${mb(designBytes)} MB; load average ${load()}`);

  const fitArgs = [bin, "fit", csv, "--outcome", "y", "--predictors", PREDICTORS.join(","), "--format", "json"];
  const results = [measure("govdiffusion fit", process.execPath, fitArgs, repeats)];
  if (hasPy) results.push(measure("python (pandas + statsmodels)", "/usr/bin/python3", [join(here, "fit-csv-statsmodels.py"), csv], 1));
  if (hasR) results.push(measure("R (read.csv + glm.nb)", "Rscript", [join(here, "fit-csv-r.R"), csv], 1));

  // Where our time goes, and what the csv-parse reader cost (the reader before the scanner).
  const split = {};
  for (const reader of ["scanner", "csv-parse"]) {
    const r = runProcess(process.execPath, [join(here, "read-split.mjs"), csv, reader]);
    split[reader] = r;
    console.log(`in one process, ${reader} reader: read ${r.out.readMs.toFixed(0)} ms, then fit ${r.out.fitMs.toFixed(0)} ms${r.peakRss ? `, peak RSS ${mb(r.peakRss)} MB` : ""}`);
  }

  const ours = results[0];
  const header = ["whole process", "wall s", "x ours", "peak RSS MB", "RSS / design"];
  const table = results.map((r) => [
    r.name,
    (r.ms / 1000).toFixed(2),
    (r.ms / ours.ms).toFixed(1) + "x",
    r.peakRss ? mb(r.peakRss) : "-",
    r.peakRss ? (r.peakRss / designBytes).toFixed(2) : "-",
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...table.map((row) => row[j].length)));
  const line = (cells) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ");
  console.log("\n" + line(header));
  for (const row of table) console.log(line(row));
  const scan = split.scanner.out;
  const old = split["csv-parse"].out;
  console.log(
    `\nreading the CSV: scanner ${scan.readMs.toFixed(0)} ms, csv-parse reader ${old.readMs.toFixed(0)} ms (${(old.readMs / scan.readMs).toFixed(1)}x); ` +
      `fit ${scan.fitMs.toFixed(0)} ms. Load average at the end ${load()}.`,
  );
  const py = results.find((r) => r.name.startsWith("python"));
  const r = results.find((x) => x.name.startsWith("R "));
  const targets = [
    py ? `Python/ours ${(py.ms / ours.ms).toFixed(2)} (target >= 2)` : null,
    r ? `R/ours ${(r.ms / ours.ms).toFixed(2)} (target >= 10)` : null,
    ours.peakRss ? `peak RSS/design ${(ours.peakRss / designBytes).toFixed(2)} (target <= 3)` : null,
  ].filter(Boolean);
  if (targets.length) console.log(`targets: ${targets.join("; ")}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
