const oldM = await import("/tmp/old-est/packages/estimation/dist/index.js");
const newM = await import("/work/wt-nb2threads/packages/estimation/dist/index.js");
const { syntheticNb2, PREDICTORS } = await import("/work/wt-nb2threads/packages/estimation/bench/data.mjs");
for (const n of (process.argv[2] ?? "1000,10000,100000").split(",").map(Number)) {
  const data = syntheticNb2(n);
  const reps = n >= 1e5 ? 10 : 200;
  for (const family of ["negbin2", "poisson"]) {
    const t = { old: [], new: [] };
    for (let r = 0; r < reps; r++) for (const [k, m] of [["old", oldM], ["new", newM]]) {
      const t0 = performance.now();
      m.fitCountModel(data, { family, outcome: "y", predictors: PREDICTORS });
      t[k].push(performance.now() - t0);
    }
    const s = (a) => { a.sort((x, y) => x - y); return `min ${a[0].toFixed(2)} median ${a[Math.floor(a.length / 2)].toFixed(2)}`; };
    console.log(`n=${n} ${family}: before ${s(t.old)} ms; after ${s(t.new)} ms`);
  }
}
