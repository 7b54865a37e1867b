// Import benchmark: writes 1,000,000 long observation rows to a temp CSV and imports them into a
// fresh SQLite database through importObservations (the CLI/API code path). Prints time and peak RSS.
// Usage: npm run bench -w @govdiffusion/db   (after `npm run build`); ROWS=… to change the size.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb, importObservations, migrateDatabase } from "../dist/index.js";

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "govdiffusion-bench-"));
const csv = path.join(dir, "observations.csv");
const url = `file:${path.join(dir, "bench.db")}`;

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);

try {
  // 1000 counties × 50 years × 20 indicators = 1,000,000 rows.
  const counties = Array.from({ length: 1000 }, (_, i) => String(450000 + i + 1).padStart(6, "0"));
  const indicators = Array.from({ length: 20 }, (_, i) => `ind_${i}`);
  const years = Array.from({ length: Math.ceil(ROWS / (counties.length * indicators.length)) }, (_, i) => 1971 + i);
  const out = fs.createWriteStream(csv);
  out.write("county_code,year,indicator,value\n");
  let written = 0;
  outer: for (const y of years) for (const c of counties) {
    let chunk = "";
    for (const k of indicators) {
      if (written++ >= ROWS) { if (chunk) out.write(chunk); break outer; }
      chunk += `${c},${y},${k},${(written * 0.37) % 1000}\n`;
    }
    if (!out.write(chunk)) await new Promise((r) => out.once("drain", r));
  }
  await new Promise((r) => out.end(r));

  await migrateDatabase({ url });
  const db = createDb({ url });
  await db.prefecture.create({ data: { code: "450000", name: "bench", nameEn: "bench" } });
  await db.county.createMany({ data: counties.map((code) => ({ code, nameZh: code, nameEn: code, kind: "county", prefectureCode: "450000" })) });
  await db.indicator.createMany({ data: indicators.map((key) => ({ key, label: key, unit: "", description: "", role: "determinant" })) });

  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const summary = await importObservations(db, fs.createReadStream(csv), { file: csv, dataset: "bench" });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const stored = await db.observation.count();
  await db.$disconnect();
  const mb = (b) => (b / 1024 / 1024).toFixed(0);
  console.log(`import of ${summary.rows.toLocaleString("en")} long rows (${summary.counties} counties, ${summary.years} years, ${summary.indicators} indicators) into SQLite`);
  console.log(`  time ${seconds.toFixed(1)} s (${Math.round(summary.rows / seconds).toLocaleString("en")} rows/s), stored ${stored.toLocaleString("en")}`);
  console.log(`  RSS before import ${mb(rssBefore)} MB, peak ${mb(peakRss)} MB, CSV ${mb(fs.statSync(csv).size)} MB`);
  if (stored !== ROWS) { console.error("row count mismatch"); process.exitCode = 1; }
  if (ROWS >= 1_000_000 && seconds > 60) { console.error("slower than the 60 s budget"); process.exitCode = 1; }
} finally {
  clearInterval(sampler);
  fs.rmSync(dir, { recursive: true, force: true });
}
