import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAnalysisFrame } from "./analysis-frame.js";
import { NotFoundError, ValidationError } from "./errors.js";
import { importObservations } from "./import/observations.js";
import { createTestDb, seedTinyGraph, type TestDb } from "./testing/test-db.js";

// Tiny graph: A(450102)-B(450103), A-C(450104), B-C, C-D(450202); A, B, C in prefecture 450100, D in 450200.
const CSV = `county_code,year,wechat_accounts,population
450102,2019,2,90
450103,2019,0,190
450104,2019,4,290
450202,2019,1,50
450102,2020,3,100
450103,2020,1,200
450104,2020,5,300
450202,2020,0,
`;

let t: TestDb;
let datasetId: number;
beforeAll(async () => {
  t = await createTestDb("frame");
  await seedTinyGraph(t.db);
  datasetId = (await importObservations(t.db, CSV, { file: "tiny.csv", dataset: "tiny", format: "wide" })).datasetId!;
  // A second dataset with other values must not leak into the frame of the first.
  await importObservations(t.db, "county_code,year,indicator,value\n450102,2019,wechat_accounts,99\n450103,2020,population,1\n", {
    file: "other.csv", dataset: "other",
  });
});
afterAll(() => t.cleanup());

describe("buildAnalysisFrame", () => {
  it("computes Berry & Berry peer terms from the previous year (hand-computed)", async () => {
    const f = await buildAnalysisFrame(t.db, {
      datasetId, years: [2019, 2020], outcome: "wechat_accounts", predictors: ["population"],
      peer: ["peer_neighbors", "peer_neighbors_share", "peer_siblings"],
    });
    expect(f.rows).toEqual([
      { countyCode: "450102", prefectureCode: "450100", year: 2020 },
      { countyCode: "450103", prefectureCode: "450100", year: 2020 },
      { countyCode: "450104", prefectureCode: "450100", year: 2020 },
    ]);
    expect(Array.from(f.table["wechat_accounts"]!)).toEqual([3, 1, 5]);
    expect(Array.from(f.table["population"]!)).toEqual([100, 200, 300]);
    // A: neighbours B, C had 0 and 4 in 2019 → mean 2, share 1/2; siblings B, C → 2.
    // B: neighbours A, C had 2 and 4 → 3, share 1; siblings A, C → 3.
    // C: neighbours A, B, D had 2, 0, 1 → 1, share 2/3; siblings A, B → 1.
    expect(Array.from(f.table["peer_neighbors"]!)).toEqual([2, 3, 1]);
    const share = Array.from(f.table["peer_neighbors_share"]!) as number[];
    expect(share[0]).toBe(0.5);
    expect(share[1]).toBe(1);
    expect(share[2]).toBeCloseTo(2 / 3, 12);
    expect(Array.from(f.table["peer_siblings"]!)).toEqual([2, 3, 1]);
    expect(Array.from(f.table["prefecture"]!)).toEqual(["450100", "450100", "450100"]);
    const peers = ["peer_neighbors", "peer_neighbors_share", "peer_siblings"];
    expect(f.dropped).toEqual([
      { countyCode: "450102", year: 2019, missing: peers },
      { countyCode: "450103", year: 2019, missing: peers },
      { countyCode: "450104", year: 2019, missing: peers },
      { countyCode: "450202", year: 2019, missing: peers },
      { countyCode: "450202", year: 2020, missing: ["population"] },
    ]);
  });

  it("gives 0 to the only county of a prefecture and takes peer terms named in predictors", async () => {
    await t.db.observation.create({ data: { datasetId, countyCode: "450202", year: 2021, indicatorKey: "population", value: 60 } });
    await t.db.observation.create({ data: { datasetId, countyCode: "450202", year: 2021, indicatorKey: "wechat_accounts", value: 2 } });
    const f = await buildAnalysisFrame(t.db, { datasetId, years: [2021], outcome: "wechat_accounts", predictors: ["population", "peer_siblings", "peer_neighbors"] });
    // D's only neighbour C had 5 in 2020; D has no sibling → 0.
    expect(f.rows).toEqual([{ countyCode: "450202", prefectureCode: "450200", year: 2021 }]);
    expect(Array.from(f.table["peer_siblings"]!)).toEqual([0]);
    expect(Array.from(f.table["peer_neighbors"]!)).toEqual([5]);
    expect(f.dropped).toEqual([]);
  });

  it("rejects unknown datasets, indicators without values and bad requests", async () => {
    await expect(buildAnalysisFrame(t.db, { datasetId: 9999, years: [2020], outcome: "wechat_accounts", predictors: [] })).rejects.toBeInstanceOf(NotFoundError);
    const err = await buildAnalysisFrame(t.db, { datasetId, years: [2020], outcome: "wechat_accounts", predictors: ["gdp"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe("predictors");
    await expect(buildAnalysisFrame(t.db, { datasetId, years: [], outcome: "wechat_accounts", predictors: [] })).rejects.toMatchObject({ field: "years" });
  });
});
