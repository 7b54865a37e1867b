// Usage: node bench/read-split.mjs <csv> <scanner|csv-parse>
// In one process: time to read the CSV columns with the given reader, then the NB2 fit; one JSON line.
import { fitCountModel } from "@govdiffusion/estimation";
import { readCsvColumns, readCsvColumnsGeneral } from "../dist/csv.js";

const [file, reader] = process.argv.slice(2);
const columns = ["y", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8"];
const t0 = performance.now();
const { table } = await (reader === "csv-parse" ? readCsvColumnsGeneral : readCsvColumns)(file, columns);
const t1 = performance.now();
const fit = fitCountModel(table, { family: "negbin2", outcome: "y", predictors: columns.slice(1) });
const t2 = performance.now();
console.log(JSON.stringify({ readMs: t1 - t0, fitMs: t2 - t1, logLikelihood: fit.logLikelihood }));
