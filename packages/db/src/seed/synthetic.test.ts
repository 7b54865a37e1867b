import { fitCountModel } from "@govdiffusion/estimation";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GUANGXI_DATA_DIR, loadGuangxiReference } from "./guangxi-data.js";
import { createSyntheticRng, generateSyntheticPanel, SYNTHETIC_PARAMETERS, SYNTHETIC_SEED, type SyntheticPanel } from "./synthetic.js";

const ref = loadGuangxiReference();
const panel = generateSyntheticPanel({ counties: ref.counties, adjacency: ref.adjacency, census: ref.census });

function valueMap(p: SyntheticPanel): (code: string, year: number, indicator: string) => number {
  const m = new Map(p.observations.map((o) => [`${o.countyCode}|${o.year}|${o.indicator}`, o.value]));
  return (code, year, indicator) => {
    const v = m.get(`${code}|${year}|${indicator}`);
    if (v === undefined) throw new Error(`missing ${code} ${year} ${indicator}`);
    return v;
  };
}
const value = valueMap(panel);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const FACTORS = ["fiscal_revenue", "population", "mobile_users", "peer_siblings", "broadband_users", "social_security_pressure", "prefecture_pressure"];

/** The 2020 cross-section the study fits; peer_siblings = mean 2019 accounts of the other counties of the prefecture. */
function frame2020(): Record<string, number[]> {
  const cols: Record<string, number[]> = { wechat_accounts: [], ...Object.fromEntries(FACTORS.map((f) => [f, [] as number[]])) };
  for (const c of ref.counties) {
    const siblings = ref.counties.filter((d) => d.prefectureCode === c.prefectureCode && d.code !== c.code);
    cols.wechat_accounts!.push(value(c.code, 2020, "wechat_accounts"));
    for (const f of FACTORS) {
      cols[f]!.push(f === "peer_siblings" ? siblings.reduce((s, d) => s + value(d.code, 2019, "wechat_accounts"), 0) / siblings.length : value(c.code, 2020, f));
    }
  }
  return cols;
}

describe("generateSyntheticPanel (default seed)", () => {
  it("uses the documented default seed", () => {
    expect(SYNTHETIC_SEED).toBe(20121);
    expect(panel.parameters.seed).toBe(20121);
  });

  it("documents every parameter and the seed in SYNTHETIC.md", () => {
    const doc = readFileSync(join(GUANGXI_DATA_DIR, "SYNTHETIC.md"), "utf8");
    const block = /```json synthetic-parameters\n([\s\S]*?)\n```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    expect(JSON.parse(block!)).toEqual(JSON.parse(JSON.stringify({ seed: SYNTHETIC_SEED, ...SYNTHETIC_PARAMETERS })));
    expect(doc).toMatch(/SYNTHETIC DATA/);
  });

  it("has every indicator for every county and year 2012-2020", () => {
    expect(panel.observations).toHaveLength(111 * 9 * 8);
    expect(new Set(panel.observations.map((o) => o.year))).toEqual(new Set([2012, 2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020]));
    expect(panel.indicators.map((d) => d.key).sort()).toEqual(
      ["broadband_users", "fiscal_expenditure", "fiscal_revenue", "mobile_users", "population", "prefecture_pressure", "social_security_pressure", "wechat_accounts"],
    );
    expect(panel.indicators.find((d) => d.key === "wechat_accounts")?.role).toBe("outcome");
    for (const d of panel.indicators) {
      expect(d.unit.length).toBeGreaterThan(0);
      // population is derived from the real censuses; every other indicator is flagged synthetic.
      expect(d.description).toMatch(d.key === "population" ? /real 2020 census/ : /^.*SYNTHETIC/);
    }
    expect(panel.observations.every((o) => Number.isFinite(o.value) && o.value >= 0)).toBe(true);
  });

  it("anchors population on the real censuses", () => {
    const census = (code: string, year: number) => ref.census.find((o) => o.countyCode === code && o.year === year && o.indicator === "population_resident")?.value;
    for (const c of ref.counties) expect(value(c.code, 2020, "population")).toBe(census(c.code, 2020));
    // 兴宁区 450102: log-linear between 2010 and 2020, 2015 is the geometric mean.
    const p10 = census("450102", 2010)!, p20 = census("450102", 2020)!;
    expect(value("450102", 2015, "population")).toBe(Math.round(Math.sqrt(p10 * p20)));
  });

  it("keeps per-capita rates in plausible ranges that grow over time", () => {
    const perCapita = (year: number, key: string, scale = 1) => ref.counties.map((c) => (value(c.code, year, key) * scale) / value(c.code, year, "population"));
    expect(median(perCapita(2012, "mobile_users"))).toBeGreaterThan(0.5);
    expect(median(perCapita(2012, "mobile_users"))).toBeLessThan(0.8);
    expect(median(perCapita(2020, "mobile_users"))).toBeGreaterThan(0.9);
    expect(median(perCapita(2020, "mobile_users"))).toBeLessThan(1.3);
    for (const v of [...perCapita(2012, "mobile_users"), ...perCapita(2020, "mobile_users")]) {
      expect(v).toBeGreaterThan(0.2);
      expect(v).toBeLessThan(3.2);
    }
    expect(median(perCapita(2012, "broadband_users"))).toBeLessThan(0.15);
    expect(median(perCapita(2020, "broadband_users"))).toBeGreaterThan(0.3);
    expect(median(perCapita(2020, "broadband_users"))).toBeLessThan(0.5);
    // Revenue in 10k CNY -> CNY per resident: districts above counties; expenditure above revenue.
    const rev = (kind: string) => median(ref.counties.filter((c) => c.kind === kind).map((c) => (value(c.code, 2020, "fiscal_revenue") * 1e4) / value(c.code, 2020, "population")));
    expect(rev("district")).toBeGreaterThan(rev("county"));
    expect(rev("county")).toBeGreaterThan(500);
    expect(rev("district")).toBeLessThan(8000);
    for (const c of ref.counties) for (const y of [2012, 2016, 2020]) expect(value(c.code, y, "fiscal_expenditure")).toBeGreaterThan(value(c.code, y, "fiscal_revenue"));
    const pressure = panel.observations.filter((x) => x.indicator === "prefecture_pressure").map((o) => o.value);
    expect(Math.min(...pressure)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...pressure)).toBeLessThanOrEqual(100);
  });

  it("derives wechat_accounts from the account records (cumulative at year end)", () => {
    for (const c of ref.counties.slice(0, 20)) {
      let prev = 0;
      for (let y = 2012; y <= 2020; y++) {
        const count = panel.accounts.filter((a) => a.countyCode === c.code && a.registeredOn <= `${y}-12-31`).length;
        expect(value(c.code, y, "wechat_accounts")).toBe(count);
        expect(count).toBeGreaterThanOrEqual(prev);
        prev = count;
      }
    }
    expect(panel.accounts.length).toBe(ref.counties.reduce((s, c) => s + value(c.code, 2020, "wechat_accounts"), 0));
    expect(panel.accounts.every((a) => /^\d{4}-\d{2}-\d{2}$/.test(a.registeredOn) && a.registeredOn >= "2012-08-23" && a.registeredOn <= "2020-12-31")).toBe(true);
    expect(new Set(panel.accounts.map((a) => `${a.countyCode}|${a.name}`)).size).toBe(panel.accounts.length);
    // Diffusion: few accounts in 2012, most counties adopting by 2014, all by 2020.
    expect(ref.counties.filter((c) => value(c.code, 2012, "wechat_accounts") > 0).length).toBeLessThan(40);
    expect(ref.counties.every((c) => value(c.code, 2020, "wechat_accounts") > 0)).toBe(true);
  });

  it("is deterministic: same seed same panel, another seed another panel", () => {
    const again = generateSyntheticPanel({ counties: ref.counties, adjacency: ref.adjacency, census: ref.census, seed: 20121 });
    expect(again).toEqual(panel);
    const other = generateSyntheticPanel({ counties: ref.counties, adjacency: ref.adjacency, census: ref.census, seed: 7 });
    expect(other.accounts.length).not.toBe(panel.accounts.length);
    expect(other.observations.filter((o) => o.indicator === "mobile_users")).not.toEqual(panel.observations.filter((o) => o.indicator === "mobile_users"));
    // population is derived from the censuses, so it does not depend on the seed.
    expect(other.observations.filter((o) => o.indicator === "population")).toEqual(panel.observations.filter((o) => o.indicator === "population"));
  });

  it("reproduces the published NB2 finding on the 2020 cross-section", () => {
    const fit = fitCountModel(frame2020(), { family: "negbin2", outcome: "wechat_accounts", predictors: FACTORS });
    expect(fit.n).toBe(111);
    expect(fit.converged).toBe(true);
    const coef = (t: string) => {
      const c = fit.coefficients.find((x) => x.term === t);
      if (!c) throw new Error(`no term ${t}`);
      return c;
    };
    for (const t of ["fiscal_revenue", "population", "mobile_users", "peer_siblings", "broadband_users"]) {
      expect(coef(t).pValue!).toBeLessThan(0.05);
      expect(coef(t).estimate!).toBeGreaterThan(0);
    }
    for (const t of ["social_security_pressure", "prefecture_pressure"]) expect(coef(t).pValue!).toBeGreaterThan(0.1);
    const significantByEffect = fit.coefficients
      .filter((c) => c.term !== "(Intercept)" && c.pValue! < 0.05)
      .sort((a, b) => Math.abs(b.standardized!) - Math.abs(a.standardized!))
      .map((c) => c.term);
    expect(significantByEffect).toEqual(["fiscal_revenue", "population", "mobile_users", "peer_siblings", "broadband_users"]);
    expect(["fiscal_revenue", "population", "mobile_users", "peer_siblings", "broadband_users"].map((t) => coef(t).rank)).toEqual([1, 2, 3, 4, 5]);
    // Reference: R 4 MASS::glm.nb on the same frame (written by the generator, default seed).
    const R: Record<string, [number, number, number]> = {
      "(Intercept)": [2.365789, 0.1966705, 2.495584e-33],
      fiscal_revenue: [5.0652e-6, 1.935069e-7, 5.01159e-151],
      population: [1.055158e-6, 7.820617e-8, 1.742839e-41],
      mobile_users: [4.127318e-7, 4.443341e-8, 1.560784e-20],
      peer_siblings: [1.485002e-3, 1.442899e-4, 7.672979e-25],
      broadband_users: [4.117969e-7, 9.447799e-8, 1.308648e-5],
      social_security_pressure: [2.437104e-3, 2.341078e-3, 0.2978672],
      prefecture_pressure: [-2.847826e-3, 1.967425e-3, 0.1477599],
    };
    // Estimates agree to 1e-4 relative; SEs within 3%: fitCountModel's default "oim" SEs come from
    // the joint observed information of (beta, alpha), glm.nb's from the beta block with theta fixed.
    const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    for (const [t, [b, se, p]] of Object.entries(R)) {
      expect(relDiff(coef(t).estimate!, b)).toBeLessThan(1e-4);
      expect(relDiff(coef(t).stdError!, se)).toBeLessThan(0.03);
      if (p > 1e-4) expect(coef(t).pValue!).toBeCloseTo(p, 1);
    }
    expect(fit.theta!).toBeCloseTo(262.81, -1);
    expect(fit.logLikelihood).toBeCloseTo(-349.1318, 2);
    // The collinearity of the size indicators is moderate by design.
    for (const v of fit.vif) expect(v.vif).toBeLessThan(8);
  });
});

describe("generateSyntheticPanel input checks", () => {
  it("names the county that has no 2020 census population", () => {
    const census = ref.census.filter((o) => !(o.countyCode === "450102" && o.indicator === "population_resident"));
    expect(() => generateSyntheticPanel({ counties: ref.counties, adjacency: ref.adjacency, census })).toThrow("no 2020 census population_resident for county 450102");
  });
  it("names an adjacency pair with an unknown county", () => {
    const adjacency = [...ref.adjacency, { codeA: "450102", codeB: "999999", sharedBorderM: 5 }];
    expect(() => generateSyntheticPanel({ counties: ref.counties, adjacency, census: ref.census })).toThrow("adjacency pair 450102-999999 names a county not in the list");
  });
  it("rejects a non-integer seed", () => {
    expect(() => generateSyntheticPanel({ counties: ref.counties, adjacency: ref.adjacency, census: ref.census, seed: 0.5 })).toThrow(/safe integer/);
  });
});

describe("createSyntheticRng", () => {
  it("gives the same stream for the same seed and rejects bad seeds", () => {
    const a = createSyntheticRng(1), b = createSyntheticRng(1), c = createSyntheticRng(2);
    const xa = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xa);
    expect(() => createSyntheticRng(1.5)).toThrow(/safe integer/);
  });

  it("draws NB2 counts with mean mu and variance mu + alpha mu^2", () => {
    const rng = createSyntheticRng(99);
    for (const [mu, alpha] of [[3, 0.5], [45, 0.1]] as const) {
      const n = 40000;
      const xs = Array.from({ length: n }, () => rng.negBin2(mu, alpha));
      const mean = xs.reduce((s, x) => s + x, 0) / n;
      const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
      const target = mu + alpha * mu * mu;
      // 4 standard errors of the sample mean / roughly of the sample variance.
      expect(Math.abs(mean - mu)).toBeLessThan(4 * Math.sqrt(target / n));
      expect(Math.abs(variance / target - 1)).toBeLessThan(0.06);
      expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    }
  });
});
