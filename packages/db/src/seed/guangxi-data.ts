/**
 * Reads the real Guangxi reference data shipped in packages/db/data/guangxi/ (see PROVENANCE.md
 * there): the 111 county-level units of 2020, their prefectures, shared-border adjacency and the
 * 2010/2020 census indicators. Nothing here is synthetic.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import type { County, CountyKind, Indicator, Prefecture } from "../types.js";

/** The data folder: ../../data/guangxi/ from src/seed/ (vitest) and from dist/seed/ (built). */
export const GUANGXI_DATA_DIR = fileURLToPath(new URL("../../data/guangxi/", import.meta.url));

export interface AdjacencyPair { codeA: string; codeB: string; sharedBorderM: number }
export interface CensusObservation { countyCode: string; year: number; indicator: string; value: number }
export interface IndicatorDef extends Indicator {}

export interface GuangxiReference {
  prefectures: Prefecture[];
  counties: County[];
  adjacency: AdjacencyPair[];
  census: CensusObservation[];
  censusIndicators: IndicatorDef[];
  /** 2010 census rows left out because their territory differs from every 2020 unit. */
  census2010Excluded: { sourceCode: string; sourceName: string; reason: string }[];
}

export class GuangxiDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GuangxiDataError";
  }
}

const COUNTY_KINDS: readonly CountyKind[] = ["district", "county_level_city", "county", "autonomous_county"];

const CENSUS2020_SOURCE =
  "2020 census (NBS, Tabulation on the 2020 China Population Census by County, 2022), digitised in thebamboogrove/tudigong";
const CENSUS2010_SOURCE =
  "2010 census county tabulation, digitised by Dong et al. in leiii/census (census_county_2010_v1.xlsx)";
const BOTH = `Real values. 2020: ${CENSUS2020_SOURCE}. 2010: ${CENSUS2010_SOURCE}, on 2020 units where the territory is unchanged.`;

/** Census indicators: label, unit and where the values come from. 2010 percentages are stored as fractions. */
const CENSUS_INDICATORS: Record<string, { label: string; unit: string; description: string }> = {
  population_resident: { label: "Resident population (census)", unit: "persons", description: `Resident (de facto) population at the census. ${BOTH}` },
  sex_ratio: { label: "Sex ratio (census)", unit: "males per 100 females", description: `Males per 100 females. ${BOTH}` },
  share_ethnic_minority: {
    label: "Ethnic-minority share (census)", unit: "fraction",
    description: `Share of the resident population belonging to an ethnic minority. ${BOTH} The 2010 source gives percent; divided by 100 here.`,
  },
  share_age_0_14: { label: "Share aged 0-14 (census)", unit: "fraction", description: `Share of residents aged 0-14. ${BOTH} 2010 percent divided by 100.` },
  share_age_15_64: { label: "Share aged 15-64 (census)", unit: "fraction", description: `Share of residents aged 15-64. ${BOTH} 2010 percent divided by 100.` },
  share_age_65_plus: { label: "Share aged 65+ (census)", unit: "fraction", description: `Share of residents aged 65 and over. ${BOTH} 2010 percent divided by 100.` },
  household_size: { label: "Household size (census)", unit: "persons per household", description: `Average persons per household. ${BOTH}` },
  urbanization_rate: {
    label: "Urbanisation rate (census 2020)", unit: "fraction",
    description: `Urban share of residents (the source: "urbanization rate on a township-level"). Real values, 2020 only: ${CENSUS2020_SOURCE}.`,
  },
  share_households_with_65_plus: {
    label: "Households with a member 65+ (census 2020)", unit: "fraction",
    description: `Share of households with at least one member aged 65+. Real values, 2020 only: ${CENSUS2020_SOURCE}.`,
  },
  population_hukou: { label: "Registered (hukou) population (census 2010)", unit: "persons", description: `Registered population. Real values, 2010 only: ${CENSUS2010_SOURCE}.` },
  population_urban: { label: "Urban population (census 2010)", unit: "persons", description: `Urban residents. Real values, 2010 only: ${CENSUS2010_SOURCE}.` },
  population_rural: { label: "Rural population (census 2010)", unit: "persons", description: `Rural residents. Real values, 2010 only: ${CENSUS2010_SOURCE}.` },
  households: { label: "Households (census 2010)", unit: "households", description: `Number of households. Real values, 2010 only: ${CENSUS2010_SOURCE}.` },
  share_nonagricultural_hukou: {
    label: "Non-agricultural hukou share (census 2010)", unit: "fraction",
    description: `Share of residents with a non-agricultural hukou. Real values, 2010 only: ${CENSUS2010_SOURCE}; source percent divided by 100.`,
  },
};
/** Indicators the 2010 source publishes in percent (the 2020 source and our definitions use fractions). */
const PERCENT_2010 = new Set(["share_ethnic_minority", "share_nonagricultural_hukou", "share_age_0_14", "share_age_15_64", "share_age_65_plus"]);

type Row = Record<string, string>;

function readCsv(dataDir: string, file: string, required: readonly string[]): Row[] {
  const path = join(dataDir, file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new GuangxiDataError(`cannot read ${path}: ${(e as Error).message}`);
  }
  const rows = parse(text, { columns: true, skip_empty_lines: true }) as Row[];
  const header = rows.length > 0 ? Object.keys(rows[0] as Row) : [];
  for (const col of required) {
    if (!header.includes(col)) throw new GuangxiDataError(`${file}: missing column "${col}"`);
  }
  return rows;
}

function field(row: Row, col: string, file: string, line: number): string {
  const v = row[col];
  if (v === undefined || v === "") throw new GuangxiDataError(`${file} line ${line}: empty "${col}"`);
  return v;
}

function numberField(row: Row, col: string, file: string, line: number): number {
  const raw = field(row, col, file, line);
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new GuangxiDataError(`${file} line ${line}: "${col}" is not a number: "${raw}"`);
  return v;
}

/** Loads the real reference data. `dataDir` defaults to the copy shipped with the package. */
export function loadGuangxiReference(dataDir: string = GUANGXI_DATA_DIR): GuangxiReference {
  const countyRows = readCsv(dataDir, "counties.csv", ["code", "name_zh", "name_en", "prefecture_code", "prefecture_zh", "prefecture_en", "kind"]);
  const prefectures = new Map<string, Prefecture>();
  const counties: County[] = [];
  countyRows.forEach((r, i) => {
    const line = i + 2;
    const kind = field(r, "kind", "counties.csv", line) as CountyKind;
    if (!COUNTY_KINDS.includes(kind)) throw new GuangxiDataError(`counties.csv line ${line}: unknown kind "${kind}"`);
    const prefectureCode = field(r, "prefecture_code", "counties.csv", line);
    if (!prefectures.has(prefectureCode)) {
      prefectures.set(prefectureCode, {
        code: prefectureCode,
        name: field(r, "prefecture_zh", "counties.csv", line),
        nameEn: field(r, "prefecture_en", "counties.csv", line),
      });
    }
    counties.push({
      code: field(r, "code", "counties.csv", line),
      name: field(r, "name_zh", "counties.csv", line),
      nameEn: field(r, "name_en", "counties.csv", line),
      kind,
      prefectureCode,
    });
  });
  const countyCodes = new Set(counties.map((c) => c.code));

  const adjacency = readCsv(dataDir, "adjacency_detail.csv", ["code_a", "code_b", "shared_m"]).map((r, i) => {
    const line = i + 2;
    const codeA = field(r, "code_a", "adjacency_detail.csv", line);
    const codeB = field(r, "code_b", "adjacency_detail.csv", line);
    for (const c of [codeA, codeB]) {
      if (!countyCodes.has(c)) throw new GuangxiDataError(`adjacency_detail.csv line ${line}: unknown county code ${c}`);
    }
    return { codeA, codeB, sharedBorderM: numberField(r, "shared_m", "adjacency_detail.csv", line) };
  });

  const census: CensusObservation[] = [];
  const census2020 = readCsv(dataDir, "indicators_census2020_tudigong.csv", ["code", "year", "indicator", "value"]);
  census2020.forEach((r, i) => {
    const line = i + 2;
    const countyCode = field(r, "code", "indicators_census2020_tudigong.csv", line);
    if (!countyCodes.has(countyCode)) throw new GuangxiDataError(`indicators_census2020_tudigong.csv line ${line}: unknown county code ${countyCode}`);
    const indicator = field(r, "indicator", "indicators_census2020_tudigong.csv", line);
    if (!(indicator in CENSUS_INDICATORS)) throw new GuangxiDataError(`indicators_census2020_tudigong.csv line ${line}: unknown indicator ${indicator}`);
    census.push({ countyCode, year: numberField(r, "year", "indicators_census2020_tudigong.csv", line), indicator, value: numberField(r, "value", "indicators_census2020_tudigong.csv", line) });
  });

  // 2010 rows are kept only where code_crosswalk.csv says the 2010 unit is the same territory as a
  // 2020 unit (identical or recoded); values for units that were split, merged or lost/gained
  // towns are not comparable with 2020 and are left out (listed in census2010Excluded).
  const crosswalk = new Map<string, { code2020: string; relation: string }>();
  readCsv(dataDir, "code_crosswalk.csv", ["source_code", "code_2020", "relation"]).forEach((r) => {
    crosswalk.set(r.source_code ?? "", { code2020: r.code_2020 ?? "", relation: r.relation ?? "" });
  });
  const excluded = new Map<string, { sourceCode: string; sourceName: string; reason: string }>();
  const census2010 = readCsv(dataDir, "indicators_census2010_leiii.csv", ["code", "year", "indicator", "value", "source_code", "source_name"]);
  census2010.forEach((r, i) => {
    const file = "indicators_census2010_leiii.csv";
    const line = i + 2;
    const sourceCode = r.source_code ?? "";
    const sourceName = r.source_name ?? "";
    const map = crosswalk.get(sourceCode);
    if (!map || (map.relation !== "identical" && map.relation !== "recoded_same_territory")) {
      const reason = !map
        ? "no GB/T 2260 code in the source (平桂管理区); its territory is not a 2020 unit's"
        : `crosswalk relation ${map.relation}`;
      excluded.set(`${sourceCode}|${sourceName}`, { sourceCode, sourceName, reason });
      return;
    }
    const indicator = field(r, "indicator", file, line);
    if (!(indicator in CENSUS_INDICATORS)) throw new GuangxiDataError(`${file} line ${line}: unknown indicator ${indicator}`);
    if (r.value === "") return; // 鱼峰区 population_rural is empty in the source (and 鱼峰区 is excluded anyway)
    if (!countyCodes.has(map.code2020)) throw new GuangxiDataError(`${file} line ${line}: crosswalk target ${map.code2020} is not a 2020 county`);
    const raw = numberField(r, "value", file, line);
    census.push({
      countyCode: map.code2020,
      year: numberField(r, "year", file, line),
      indicator,
      // toPrecision drops the binary noise of /100 (8.47 / 100 = 0.08470000000000001).
      value: PERCENT_2010.has(indicator) ? Number((raw / 100).toPrecision(12)) : raw,
    });
  });

  const censusIndicators: IndicatorDef[] = Object.entries(CENSUS_INDICATORS).map(([key, d]) => ({ key, ...d, role: "descriptive" }));
  return {
    prefectures: [...prefectures.values()],
    counties,
    adjacency,
    census,
    censusIndicators,
    census2010Excluded: [...excluded.values()],
  };
}
