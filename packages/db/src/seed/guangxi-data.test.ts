import { mkdtempSync, readFileSync, writeFileSync, copyFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GUANGXI_DATA_DIR, GuangxiDataError, loadGuangxiReference } from "./guangxi-data.js";

describe("loadGuangxiReference", () => {
  const ref = loadGuangxiReference();

  it("reads the 111 county-level units of 2020 and 14 prefectures", () => {
    expect(ref.counties).toHaveLength(111);
    expect(ref.prefectures).toHaveLength(14);
    const kinds: Record<string, number> = {};
    for (const c of ref.counties) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    expect(kinds).toEqual({ district: 41, county: 49, autonomous_county: 12, county_level_city: 9 });
    expect(ref.counties[0]).toEqual({ code: "450102", name: "兴宁区", nameEn: "Xingning District", kind: "district", prefectureCode: "450100" });
    expect(ref.prefectures[0]).toEqual({ code: "450100", name: "南宁市", nameEn: "Nanning" });
  });

  it("reads 285 shared-border pairs with lengths", () => {
    expect(ref.adjacency).toHaveLength(285);
    expect(ref.adjacency[0]).toEqual({ codeA: "450102", codeB: "450103", sharedBorderM: 73014 });
    expect(Math.min(...ref.adjacency.map((a) => a.sharedBorderM))).toBe(421);
  });

  it("keeps the 2020 census for all 111 units", () => {
    const pop2020 = ref.census.filter((o) => o.year === 2020 && o.indicator === "population_resident");
    expect(pop2020).toHaveLength(111);
    expect(pop2020.find((o) => o.countyCode === "450102")?.value).toBe(615485);
    expect(ref.census.filter((o) => o.year === 2020)).toHaveLength(999);
  });

  it("maps the 2010 census to 2020 codes only where the territory is unchanged, percent -> fraction", () => {
    const pop2010 = ref.census.filter((o) => o.year === 2010 && o.indicator === "population_resident");
    // 110 rows in the source minus 9 units whose territory changed (or that have no 2020 successor).
    expect(pop2010).toHaveLength(101);
    const excluded = ref.census2010Excluded.map((e) => e.sourceCode).sort();
    expect(excluded).toEqual(["", "450203", "450204", "450221", "450403", "450404", "450421", "450902", "451102"]);
    // 2010 武鸣县 450122 is stored under 2020 武鸣区 450110.
    expect(ref.census.some((o) => o.countyCode === "450122")).toBe(false);
    expect(ref.census.some((o) => o.countyCode === "450110" && o.year === 2010)).toBe(true);
    for (const o of ref.census) {
      if (o.indicator.startsWith("share_")) {
        expect(o.value).toBeGreaterThanOrEqual(0);
        expect(o.value).toBeLessThanOrEqual(1);
      }
    }
    const src = readFileSync(join(GUANGXI_DATA_DIR, "indicators_census2010_leiii.csv"), "utf8");
    const line = src.split("\n").find((l) => l.startsWith('"450102",2010,"share_age_65_plus"'));
    const pct = Number(line?.split(",")[3]);
    expect(ref.census.find((o) => o.countyCode === "450102" && o.year === 2010 && o.indicator === "share_age_65_plus")?.value).toBe(Number((pct / 100).toPrecision(12)));
  });

  it("defines every census indicator it returns as descriptive, with unit and source", () => {
    const keys = new Set(ref.census.map((o) => o.indicator));
    expect(new Set(ref.censusIndicators.map((d) => d.key))).toEqual(keys);
    for (const d of ref.censusIndicators) {
      expect(d.role).toBe("descriptive");
      expect(d.unit.length).toBeGreaterThan(0);
      expect(d.description).toMatch(/census/);
    }
  });

  it("names the file and line of bad input", () => {
    const dir = mkdtempSync(join(tmpdir(), "gx-"));
    for (const f of readdirSync(GUANGXI_DATA_DIR)) if (f.endsWith(".csv")) copyFileSync(join(GUANGXI_DATA_DIR, f), join(dir, f));
    const adj = readFileSync(join(dir, "adjacency_detail.csv"), "utf8").split("\n");
    adj[3] = "450102,999999,10";
    writeFileSync(join(dir, "adjacency_detail.csv"), adj.join("\n"));
    expect(() => loadGuangxiReference(dir)).toThrow(new GuangxiDataError("adjacency_detail.csv line 4: unknown county code 999999"));
    expect(() => loadGuangxiReference(join(dir, "nope"))).toThrow(/cannot read .*counties\.csv/);
  });
});
