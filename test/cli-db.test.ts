/**
 * `govdiffusion db …` and `govdiffusion import …` end to end: spawns the built CLI against a
 * temporary SQLite DATABASE_URL and checks what it printed, its exit code and what it stored.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@govdiffusion/db";

const bin = createRequire(import.meta.url).resolve("@govdiffusion/cli/bin/govdiffusion.js");
const tmp = mkdtempSync(join(tmpdir(), "govdiffusion-cli-db-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run { code: number; stdout: string; stderr: string }
function run(url: string, args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { encoding: "utf8", env: { ...process.env, DATABASE_URL: url } }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

describe("govdiffusion db migrate / db seed", () => {
  const url = `file:${join(tmp, "seed.db")}`;
  let db: Db;
  afterAll(async () => db?.$disconnect());

  it("migrates once, then reports up to date", async () => {
    const first = await run(url, ["db", "migrate"]);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(/^applied \d+ migration\(s\): /);
    const again = await run(url, ["db", "migrate"]);
    expect(again.stdout).toMatch(/^database is up to date \(\d+ migration\(s\)\)\n$/);
  });

  it("seeds the Guangxi default once; a second seed adds nothing and keeps everything", async () => {
    const first = await run(url, ["db", "seed"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^added 14 prefectures, 111 counties, 285 shared borders, \d+ indicators\n/);
    expect(first.stdout).toMatch(/dataset guangxi-census \(id \d+\): created\n/);
    expect(first.stdout).toMatch(/dataset guangxi-synthetic-2012-2020 \(id \d+\): created \[SYNTHETIC\]\n/);
    expect(first.stdout).toMatch(/study model \(id \d+\): fitted and stored\n/);
    db = createDb({ url });
    const counts = async () => ({
      counties: await db.county.count(), adjacency: await db.countyAdjacency.count(), indicators: await db.indicator.count(),
      datasets: await db.dataset.count(), observations: await db.observation.count(), accounts: await db.accountRecord.count(),
      models: await db.fittedModel.count(),
    });
    const before = await counts();
    expect(before).toMatchObject({ counties: 111, adjacency: 285, datasets: 2, models: 1 });
    expect(before.observations).toBeGreaterThan(111 * 9 * 8);
    const second = await run(url, ["db", "seed"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^added 0 prefectures, 0 counties, 0 shared borders, 0 indicators\n/);
    expect(second.stdout).toMatch(/guangxi-synthetic-2012-2020 \(id \d+\): already present, kept \[SYNTHETIC\]/);
    expect(second.stdout).toMatch(/study model \(id \d+\): already present/);
    expect(await counts()).toEqual(before);
  });

  it("refuses to --replace the seeded synthetic dataset while the study model depends on it", async () => {
    const f = file("replace.csv", "county_code,year,indicator,value\n450102,2020,population,1\n");
    const r = await run(url, ["import", "observations", f, "--dataset", "guangxi-synthetic-2012-2020", "--replace", "--real"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^govdiffusion import: fitted model\(s\) depend on dataset "guangxi-synthetic-2012-2020": #\d+ "Guangxi 2020/);
    const ds = await db.dataset.findUniqueOrThrow({ where: { name: "guangxi-synthetic-2012-2020" } });
    expect(ds.synthetic).toBe(true);
    expect(await db.observation.count({ where: { datasetId: ds.id } })).toBe(111 * 9 * 8);
  });
});

describe("govdiffusion import", () => {
  const url = `file:${join(tmp, "import.db")}`;
  let db: Db;
  const COUNTIES =
    "code,name_zh,name_en,prefecture_code,prefecture_zh,prefecture_en,kind\n" +
    "450102,兴宁区,Xingning,450100,南宁市,Nanning,district\n" +
    "450103,青秀区,Qingxiu,450100,南宁市,Nanning,district\n" +
    "450202,城中区,Chengzhong,450200,柳州市,Liuzhou,district\n";
  beforeAll(async () => {
    const c = await run(url, ["import", "counties", file("counties.csv", COUNTIES)]);
    expect(c).toMatchObject({ code: 0, stderr: "" });
    db = createDb({ url });
    // A seeded-like indicator for the observation imports (db seed would add the full Guangxi set).
    await db.indicator.createMany({ data: ["population", "wechat_accounts"].map((key) => ({ key, label: key, unit: "", description: "", role: "determinant" })) });
  });
  afterAll(async () => db?.$disconnect());

  it("import counties: stores them; identical content again is unchanged", async () => {
    const f = join(tmp, "counties.csv");
    expect((await db.county.findMany({ orderBy: { code: "asc" } })).map((c) => [c.code, c.nameEn, c.prefectureCode])).toEqual([
      ["450102", "Xingning", "450100"], ["450103", "Qingxiu", "450100"], ["450202", "Chengzhong", "450200"],
    ]);
    const again = await run(url, ["import", "counties", f]);
    expect(again).toMatchObject({ code: 0, stdout: `${f}: identical content already imported; nothing written\n` });
  });

  it("import adjacency: stores each pair once", async () => {
    const f = file("adj.csv", "code_a,code_b,shared_m\n450103,450102,1200.5\n");
    const r = await run(url, ["import", "adjacency", f]);
    expect(r).toMatchObject({ code: 0, stdout: `${f}: imported 1 rows, 2 counties\n` });
    expect(await db.countyAdjacency.findMany()).toEqual([{ codeA: "450102", codeB: "450103", sharedBorderM: 1200.5 }]);
  });

  it("import observations long and wide", async () => {
    const long = file("long.csv", "county_code,year,indicator,value\n450102,2019,population,100\n450103,2019,population,\"1234.5\"\n450102,2020,wechat_accounts,3\n");
    const r = await run(url, ["import", "observations", long, "--dataset", "L"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toMatch(new RegExp(`^${long.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: imported 3 rows, 2 counties, 2 years, 2 indicators into dataset "L" \\(id \\d+\\)\\n$`));
    const l = await db.dataset.findUniqueOrThrow({ where: { name: "L" }, include: { observations: { orderBy: [{ year: "asc" }, { countyCode: "asc" }] } } });
    expect(l.observations.map((o) => [o.countyCode, o.year, o.indicatorKey, o.value])).toEqual([
      ["450102", 2019, "population", 100], ["450103", 2019, "population", 1234.5], ["450102", 2020, "wechat_accounts", 3],
    ]);
    expect(l.synthetic).toBe(false);
    const again = await run(url, ["import", "observations", long, "--dataset", "L"]);
    expect(again.stdout).toMatch(/identical content already imported into dataset "L"/);

    const wide = file("wide.csv", "county_code,year,population,wechat_accounts\n450102,2019,10,NA\n450202,2020,20,5\n");
    const w = await run(url, ["import", "observations", wide, "--dataset", "W", "--format", "wide", "--synthetic"]);
    expect(w.stdout).toMatch(/imported 2 rows, 2 counties, 2 years, 2 indicators into dataset "W"/);
    const wd = await db.dataset.findUniqueOrThrow({ where: { name: "W" }, include: { observations: { orderBy: [{ year: "asc" }, { indicatorKey: "asc" }] } } });
    expect(wd.synthetic).toBe(true);
    expect(wd.observations.map((o) => [o.countyCode, o.year, o.indicatorKey, o.value])).toEqual([
      ["450102", 2019, "population", 10], ["450202", 2020, "population", 20], ["450202", 2020, "wechat_accounts", 5],
    ]);
  });

  const H = "county_code,year,indicator,value\n";
  it.each([
    ["unknown county", `${H}450102,2019,population,1\n999999,2019,population,2\n`, [], /:3: column county_code: unknown county code "999999"$/],
    ["non-numeric value", `${H}450102,2019,population,0x1A\n`, [], /:2: column value: "0x1A" is not a number/],
    ["duplicate key", `${H}450102,2019,population,1\n450102,2019,population,2\n`, [], /:3: column value: duplicate value for county 450102, year 2019, indicator population$/],
    ["unknown indicator", `${H}450102,2019,gdp,1\n`, [], /:2: column indicator: unknown indicator "gdp" \(import with --create-indicators/],
    ["bad year", `${H}450102,19,population,1\n`, [], /:2: column year: bad year "19"/],
    ["extra field", `${H}450102,2019,population,1,234\n`, [], /:2: 5 fields where the header has 4/],
    ["missing column", "county_code,year,value\n450102,2019,1\n", [], /:1: column indicator: missing column "indicator"/],
    ["no data rows", H, [], /:1: no data rows$/],
    ["wide: non-numeric cell", "county_code,year,population\n450102,2019,1\n450103,2019,abc\n", ["--format", "wide"], /:3: column population: "abc" is not a number/],
  ])("bad observations (%s): exit 2, one line naming file and line, nothing written", async (_label, text, extra, message) => {
    const f = file("bad.csv", text);
    const r = await run(url, ["import", "observations", f, "--dataset", "bad", ...extra]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")).toEqual([expect.stringMatching(/^govdiffusion import: /), ""]);
    expect(r.stderr.startsWith(`govdiffusion import: ${f}:`)).toBe(true);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(await db.dataset.count({ where: { name: "bad" } })).toBe(0);
    expect(await db.indicator.count({ where: { key: "gdp" } })).toBe(0);
  });

  it("import accounts, then observations into the same dataset; duplicates and bad dates refused", async () => {
    const acc = file("acc.csv", "name,county_code,agency,registered_on\n兴宁发布,450102,宣传部,2014-05-02\n平安青秀,450103,公安局,2015-01-20\n");
    const a = await run(url, ["import", "accounts", acc, "--dataset", "A"]);
    expect(a.stdout).toMatch(/imported 2 rows, 2 counties, 2 years into dataset "A"/);
    const stored = await db.accountRecord.findMany({ orderBy: { registeredOn: "asc" } });
    expect(stored.map((s) => [s.name, s.countyCode, s.agency, s.registeredOn.toISOString().slice(0, 10)])).toEqual([
      ["兴宁发布", "450102", "宣传部", "2014-05-02"], ["平安青秀", "450103", "公安局", "2015-01-20"],
    ]);
    const obs = await run(url, ["import", "observations", join(tmp, "long.csv"), "--dataset", "A"]);
    expect(obs).toMatchObject({ code: 0, stderr: "" });
    expect((await run(url, ["import", "accounts", acc, "--dataset", "A"])).stdout).toMatch(/identical content already imported/);

    const dup = file("dup.csv", "name,county_code,agency,registered_on\nx,450102,y,2014-05-02\nx,450102,y,2014-05-02\n");
    const d = await run(url, ["import", "accounts", dup, "--dataset", "D"]);
    expect(d.code).toBe(2);
    expect(d.stderr).toBe(`govdiffusion import: ${dup}:3: column name: duplicate account record (same name, county, agency and date as line 2)\n`);
    const old = file("old.csv", "name,county_code,agency,registered_on\nx,450102,y,1999-05-02\n");
    expect((await run(url, ["import", "accounts", old, "--dataset", "D"])).stderr).toMatch(/old\.csv:2: column registered_on: implausible date "1999-05-02"/);
    expect(await db.dataset.count({ where: { name: "D" } })).toBe(0);
  });
});
