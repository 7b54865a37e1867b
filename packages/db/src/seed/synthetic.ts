/**
 * Seeded generator of the SYNTHETIC part of the shipped Guangxi dataset: 2012–2020 values of the
 * determinants no public county-level source gives us (telecom users, fiscal revenue and
 * expenditure, social-security and prefecture pressure) and the government WeChat account
 * records whose yearly counts are the outcome. It is anchored on the real census population and
 * diffuses over the real prefecture structure; packages/db/data/guangxi/SYNTHETIC.md documents
 * the model and every parameter. Own PRNG (not Math.random, not another package's) so the shipped
 * data only change when this file changes.
 */
import type { County } from "../types.js";
import type { AdjacencyPair, CensusObservation, IndicatorDef } from "./guangxi-data.js";

export interface SyntheticObservation { countyCode: string; year: number; indicator: string; value: number }
export interface SyntheticAccount { name: string; countyCode: string; agency: string; registeredOn: string }

export interface SyntheticInput {
  counties: County[];
  adjacency: AdjacencyPair[];
  census: CensusObservation[];
  seed?: number;
}

export const SYNTHETIC_SEED = 20121;
export const SYNTHETIC_YEARS = [2012, 2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020] as const;

/** Every number the generator uses; returned with the panel and written into SYNTHETIC.md. */
export const SYNTHETIC_PARAMETERS = {
  years: [...SYNTHETIC_YEARS],
  /** Mobile subscriptions per resident: Guangxi-wide level by year (linear 2012 -> 2020). */
  mobilePerCapita: { from: 0.62, to: 1.08 },
  /** Fixed broadband subscriptions (households) per resident by year. */
  broadbandPerCapita: { from: 0.08, to: 0.33 },
  /** Public budget revenue per resident, CNY, for a county; districts and cities get a premium. */
  revenuePerCapitaCny: { from: 780, to: 1350 },
  /** Multiplicative premium by kind (log scale) for revenue, mobile and broadband. */
  kindLogPremium: {
    revenue: { district: 0.55, county_level_city: 0.3, county: 0, autonomous_county: -0.15 },
    mobile: { district: 0.12, county_level_city: 0.06, county: 0, autonomous_county: -0.06 },
    broadband: { district: 0.2, county_level_city: 0.08, county: 0, autonomous_county: -0.1 },
  },
  /** SD of the county-specific (persistent) log deviation of each per-capita rate (normal cut at +-2 SD). */
  countyLogSd: { revenue: 0.45, mobile: 0.4, broadband: 0.45 },
  /** SD of the year-to-year log noise on each per-capita rate. */
  yearLogSd: { revenue: 0.06, mobile: 0.03, broadband: 0.04 },
  /** Transfers per resident (CNY) added to revenue to give expenditure: level by year, less for richer units. */
  transferPerCapitaCny: { from: 3600, to: 6400, revenueElasticity: -0.25, logSd: 0.12 },
  /** Pension burden (retirees per 100 contributors) = a + b * share65 + trend + county noise (noiseSd) + yearly noise; share65 from the censuses. */
  socialSecurity: { intercept: 14, perShare65: 260, noiseSd: 4, yearNoiseSd: 1, trendPerYear: 0.6 },
  /** Prefecture pressure index (0-100): level 2012, yearly rise, SD of prefecture effect and of yearly noise. */
  prefecturePressure: { level2012: 32, perYear: 6, prefectureSd: 9, yearSd: 3 },
  /**
   * Stock adjustment towards a potential ("target") number of accounts:
   *   log target(i,t) = logTarget[t] + sum_k beta_k * z_k(i,t) + betaPeer * zPeer(i,t-1)
   *                     + betaNeighbors * zNeighbors(i,t-1) + u_i,
   *   new(i,t) ~ NB2(mean = speed * max(target(i,t) - cumulative(i,t-1), 0), alpha).
   * z = determinant standardised across the counties in year t; zPeer = standardised mean of the
   * other same-prefecture counties' cumulative accounts at the end of t-1; zNeighbors = the same for
   * the contiguous neighbours (real shared-border adjacency); u_i ~ N(0, heterogeneitySd).
   * Why a stock adjustment rather than log-linear flows: the study fits the year-end stock on
   * same-year determinants; with flows the 2020 stock would sum 2013-2020 determinants, and the
   * population shifts of 2010-2020 would show up as spurious effects of unrelated indicators.
   */
  diffusion: {
    /**
     * log of the target for a county at the mean of every determinant, 2012..2020: an S-curve
     * ln(0.3, 1.5, 6, 13, 20, 26, 31, 35, 38) following the national take-up (a few thousand
     * accounts at end 2013, ~41,000 end 2014, >80,000 in 2015; see gov_newmedia_context.csv).
     */
    logTarget: [-1.2, 0.41, 1.79, 2.56, 3.0, 3.26, 3.43, 3.56, 3.64],
    beta: { fiscal_revenue: 0.42, population: 0.3, mobile_users: 0.21, broadband_users: 0.08 },
    betaPeer: 0.12,
    /** Spill-over from contiguous neighbours (smaller than the sibling effect). */
    betaNeighbors: 0.03,
    /** Share of the gap to the target closed per year on average. */
    speed: 0.55,
    alpha: 0.1,
    heterogeneitySd: 0.12,
  },
  /** Registration dates in 2012 start at the public launch of WeChat official accounts. */
  firstRegistration: "2012-08-23",
} as const;

export interface SyntheticPanel {
  indicators: IndicatorDef[];
  observations: SyntheticObservation[];
  accounts: SyntheticAccount[];
  parameters: typeof SYNTHETIC_PARAMETERS & { seed: number };
}

// ---------------------------------------------------------------------------------------------
// PRNG: splitmix32 to seed, sfc32 stream; Box–Muller normals; Marsaglia–Tsang gamma; Poisson.

export interface SyntheticRng { uniform(): number; normal(): number; gamma(shape: number): number; poisson(mean: number): number; negBin2(mu: number, alpha: number): number }

export function createSyntheticRng(seed: number): SyntheticRng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  let sm = (seed >>> 0) ^ Math.imul(Math.floor(seed / 4294967296) | 0, 0x85ebca6b);
  const splitmix = (): number => {
    sm = (sm + 0x9e3779b9) | 0;
    let t = sm ^ (sm >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
  let a = splitmix(), b = splitmix(), c = splitmix(), d = 1;
  const sfc32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) sfc32(); // warm up
  const uniform = (): number => (sfc32() + 0.5) / 4294967296; // open interval (0, 1)
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
  const gamma = (shape: number): number => {
    if (shape < 1) return gamma(shape + 1) * Math.pow(uniform(), 1 / shape);
    const dd = shape - 1 / 3;
    const cc = 1 / Math.sqrt(9 * dd);
    for (;;) {
      let x: number, v: number;
      do {
        x = normal();
        v = 1 + cc * x;
      } while (v <= 0);
      v = v * v * v;
      const u = uniform();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + dd * (1 - v + Math.log(v))) return dd * v;
    }
  };
  const poissonSmall = (mean: number): number => {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = uniform();
    while (p > limit) {
      k++;
      p *= uniform();
    }
    return k;
  };
  // A Poisson(m) is a sum of independent Poisson parts, so large means are split into chunks of 20.
  const poisson = (mean: number): number => {
    let k = 0;
    let rest = mean;
    while (rest > 20) {
      k += poissonSmall(20);
      rest -= 20;
    }
    return k + poissonSmall(rest);
  };
  const negBin2 = (mu: number, alpha: number): number => (alpha > 0 ? poisson(gamma(1 / alpha) * alpha * mu) : poisson(mu));
  return { uniform, normal, gamma, poisson, negBin2 };
}

// ---------------------------------------------------------------------------------------------

const SYNTHETIC_NOTE =
  "SYNTHETIC: generated by packages/db/src/seed/synthetic.ts (seed and parameters in data/guangxi/SYNTHETIC.md); not an observed statistic.";

export const SYNTHETIC_INDICATORS: IndicatorDef[] = [
  {
    key: "wechat_accounts", label: "Government WeChat accounts", unit: "accounts", role: "outcome",
    description: `Cumulative number of government WeChat official accounts of the county at year end (count of account records registered up to 31 Dec). ${SYNTHETIC_NOTE} Stock-adjustment diffusion: each county has a target stock whose log is linear in the year's standardised fiscal revenue, population, mobile and broadband users and the previous-year peer means (same prefecture, contiguous neighbours); new accounts in a year are NB2 draws with mean 0.55 x (target - previous stock), alpha 0.1. Social-security and prefecture pressure do not enter. Details: data/guangxi/SYNTHETIC.md.`,
  },
  {
    key: "mobile_users", label: "Mobile-phone users", unit: "subscriptions", role: "determinant",
    description: `Mobile-phone subscriptions at year end. ${SYNTHETIC_NOTE} Population x per-capita rate (Guangxi level 0.62 in 2012 rising to 1.08 in 2020, times a kind premium and a county-specific factor).`,
  },
  {
    key: "broadband_users", label: "Broadband internet users", unit: "households", role: "determinant",
    description: `Fixed broadband subscriptions (households) at year end. ${SYNTHETIC_NOTE} Population x per-capita rate (0.08 in 2012 rising to 0.33 in 2020, times a kind premium and a county-specific factor).`,
  },
  {
    key: "population", label: "Resident population", unit: "persons", role: "determinant",
    description: "Year-end resident population. Derived, not random: 2020 equals the real 2020 census (population_resident); 2012-2019 are log-linear interpolation between the real 2010 and 2020 censuses (for units whose territory changed, the prefecture's 2010-2020 growth of the comparable units is used). No official yearly county series is shipped.",
  },
  {
    key: "fiscal_revenue", label: "Public budget revenue", unit: "10k CNY", role: "determinant",
    description: `General public budget revenue (地方一般公共预算收入), 10,000 CNY. ${SYNTHETIC_NOTE} Population x revenue per resident (780 CNY in 2012 rising to 1,350 CNY in 2020 for a typical county; districts and county-level cities higher; county-specific factor).`,
  },
  {
    key: "fiscal_expenditure", label: "Public budget expenditure", unit: "10k CNY", role: "determinant",
    description: `General public budget expenditure (一般公共预算支出), 10,000 CNY. ${SYNTHETIC_NOTE} Revenue plus transfers per resident (3,600 CNY in 2012 rising to 6,400 CNY in 2020, less for richer units), so expenditure exceeds revenue.`,
  },
  {
    key: "social_security_pressure", label: "Social-security pressure", unit: "retirees per 100 contributors", role: "determinant",
    description: `Pension burden: retirees drawing basic pension per 100 contributing insured persons. ${SYNTHETIC_NOTE} Linear in the real census share aged 65+ (interpolated 2010-2020) plus a trend and noise.`,
  },
  {
    key: "prefecture_pressure", label: "Prefecture pressure", unit: "index 0-100", role: "determinant",
    description: `Top-down pressure from the prefecture government to open government new-media accounts (index, same value for all counties of a prefecture). ${SYNTHETIC_NOTE} Prefecture effect plus a rising trend and yearly noise.`,
  },
];

/** [agency, weight, first year it exists] — the 2018 State Council reform created several bureaus. */
const AGENCIES: readonly (readonly [string, number, number])[] = [
  ["公安局", 6, 2012], ["人民政府办公室", 4, 2012], ["共青团委员会", 3, 2012], ["融媒体中心", 3, 2018], ["卫生健康局", 3, 2019],
  ["卫生和计划生育局", 3, 2012], ["教育局", 3, 2012], ["人力资源和社会保障局", 2, 2012], ["市场监督管理局", 2, 2015],
  ["工商行政管理局", 2, 2012], ["税务局", 2, 2012], ["交通运输局", 2, 2012], ["文化广电体育和旅游局", 2, 2019],
  ["文化体育和广电局", 2, 2012], ["农业农村局", 2, 2019], ["农业局", 2, 2012], ["应急管理局", 2, 2019],
  ["安全生产监督管理局", 1, 2012], ["民政局", 2, 2012], ["生态环境局", 1, 2019], ["环境保护局", 1, 2012],
  ["自然资源局", 1, 2019], ["国土资源局", 1, 2012], ["住房和城乡建设局", 1, 2012], ["司法局", 1, 2012],
  ["人民法院", 2, 2012], ["人民检察院", 2, 2012], ["医疗保障局", 1, 2019], ["退役军人事务局", 1, 2019],
  ["妇女联合会", 1, 2012], ["气象局", 1, 2012], ["消防救援大队", 1, 2019], ["公安消防大队", 1, 2012],
  ["供销合作社", 1, 2012], ["扶贫开发办公室", 1, 2012], ["乡镇人民政府", 4, 2012], ["街道办事处", 2, 2012],
  ["疾病预防控制中心", 1, 2012],
];
const NAME_SUFFIXES = ["", "发布", "微服务", "在线", "资讯", "之声", "服务号", "政务"];

function lerp(from: number, to: number, year: number): number {
  return from + ((to - from) * (year - 2012)) / 8;
}

function standardise(values: number[]): number[] {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return values.map((v) => (sd > 0 ? (v - mean) / sd : 0));
}

function isoDate(year: number, dayOfYear: number): string {
  const d = new Date(Date.UTC(year, 0, 1 + dayOfYear));
  return d.toISOString().slice(0, 10);
}

/** Resident population by county and year (2012–2020) from the 2010 and 2020 censuses. */
export function interpolatePopulation(counties: County[], census: CensusObservation[]): Map<string, Map<number, number>> {
  const pop = (year: number) => new Map(census.filter((o) => o.year === year && o.indicator === "population_resident").map((o) => [o.countyCode, o.value]));
  const p2010 = pop(2010);
  const p2020 = pop(2020);
  // Units without a comparable 2010 value (territory changed) grow like their prefecture's comparable units.
  const prefGrowth = new Map<string, number>();
  for (const pref of new Set(counties.map((c) => c.prefectureCode))) {
    let a = 0, b = 0;
    for (const c of counties) {
      if (c.prefectureCode !== pref) continue;
      const x = p2010.get(c.code), y = p2020.get(c.code);
      if (x !== undefined && y !== undefined) {
        a += x;
        b += y;
      }
    }
    prefGrowth.set(pref, a > 0 ? b / a : 1);
  }
  const out = new Map<string, Map<number, number>>();
  for (const c of counties) {
    const y2020 = p2020.get(c.code);
    if (y2020 === undefined) throw new RangeError(`no 2020 census population_resident for county ${c.code}`);
    const y2010 = p2010.get(c.code) ?? y2020 / (prefGrowth.get(c.prefectureCode) ?? 1);
    const byYear = new Map<number, number>();
    for (const year of SYNTHETIC_YEARS) byYear.set(year, Math.round(y2010 * (y2020 / y2010) ** ((year - 2010) / 10)));
    out.set(c.code, byYear);
  }
  return out;
}

/** Share aged 65+ by county for 2010 and 2020 (2010 missing -> 2020 minus the mean 2010–2020 change). */
function share65(counties: County[], census: CensusObservation[]): Map<string, { y2010: number; y2020: number }> {
  const get = (year: number) => new Map(census.filter((o) => o.year === year && o.indicator === "share_age_65_plus").map((o) => [o.countyCode, o.value]));
  const s2010 = get(2010);
  const s2020 = get(2020);
  const diffs: number[] = [];
  for (const [code, v] of s2010) {
    const w = s2020.get(code);
    if (w !== undefined) diffs.push(w - v);
  }
  const meanDiff = diffs.length > 0 ? diffs.reduce((s, v) => s + v, 0) / diffs.length : 0;
  const out = new Map<string, { y2010: number; y2020: number }>();
  for (const c of counties) {
    const y2020 = s2020.get(c.code);
    if (y2020 === undefined) throw new RangeError(`no 2020 census share_age_65_plus for county ${c.code}`);
    out.set(c.code, { y2010: s2010.get(c.code) ?? y2020 - meanDiff, y2020 });
  }
  return out;
}

/** Standard normal cut at +-2 SD, so no county gets an implausible per-capita rate. */
function truncated(rng: SyntheticRng): number {
  return Math.min(2, Math.max(-2, rng.normal()));
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function generateSyntheticPanel(input: SyntheticInput): SyntheticPanel {
  const { counties, census } = input;
  const seed = input.seed ?? SYNTHETIC_SEED;
  const P = SYNTHETIC_PARAMETERS;
  const rng = createSyntheticRng(seed);
  const n = counties.length;
  if (n < 3) throw new RangeError("generateSyntheticPanel needs at least 3 counties");
  const population = interpolatePopulation(counties, census);
  const old = share65(counties, census);

  // Persistent county traits, drawn in county order so the stream is reproducible.
  const trait = counties.map(() => ({
    revenue: P.countyLogSd.revenue * truncated(rng),
    mobile: P.countyLogSd.mobile * truncated(rng),
    broadband: P.countyLogSd.broadband * truncated(rng),
    transfer: P.transferPerCapitaCny.logSd * truncated(rng),
    socialSecurity: P.socialSecurity.noiseSd * rng.normal(),
    u: P.diffusion.heterogeneitySd * rng.normal(),
  }));
  const prefectures = [...new Set(counties.map((c) => c.prefectureCode))];
  const prefEffect = new Map(prefectures.map((p) => [p, P.prefecturePressure.prefectureSd * rng.normal()]));

  const observations: SyntheticObservation[] = [];
  const accounts: SyntheticAccount[] = [];
  const cumulative = new Array<number>(n).fill(0);
  const agencyUse = counties.map(() => new Map<string, number>());
  const index = new Map(counties.map((c, i) => [c.code, i]));
  const neighbours = counties.map(() => [] as number[]);
  for (const { codeA, codeB } of input.adjacency) {
    const a = index.get(codeA), b = index.get(codeB);
    if (a === undefined || b === undefined) throw new RangeError(`adjacency pair ${codeA}-${codeB} names a county not in the list`);
    neighbours[a]!.push(b);
    neighbours[b]!.push(a);
  }
  const siblings = counties.map((c, i) => counties.map((d, j) => (j !== i && d.prefectureCode === c.prefectureCode ? j : -1)).filter((j) => j >= 0));

  for (const [t, year] of SYNTHETIC_YEARS.entries()) {
    const agencies = AGENCIES.filter(([, , since]) => since <= year);
    const agencyTotal = agencies.reduce((s, [, w]) => s + w, 0);
    const pop = counties.map((c) => population.get(c.code)?.get(year) ?? 0);
    const revenue: number[] = [], expenditure: number[] = [], mobile: number[] = [], broadband: number[] = [], social: number[] = [];
    counties.forEach((c, i) => {
      const tr = trait[i]!;
      const revPc = lerp(P.revenuePerCapitaCny.from, P.revenuePerCapitaCny.to, year) * Math.exp(P.kindLogPremium.revenue[c.kind] + tr.revenue + P.yearLogSd.revenue * rng.normal());
      const mobPc = lerp(P.mobilePerCapita.from, P.mobilePerCapita.to, year) * Math.exp(P.kindLogPremium.mobile[c.kind] + tr.mobile + P.yearLogSd.mobile * rng.normal());
      const bbPc = lerp(P.broadbandPerCapita.from, P.broadbandPerCapita.to, year) * Math.exp(P.kindLogPremium.broadband[c.kind] + tr.broadband + P.yearLogSd.broadband * rng.normal());
      const relRev = revPc / lerp(P.revenuePerCapitaCny.from, P.revenuePerCapitaCny.to, year);
      const transferPc = lerp(P.transferPerCapitaCny.from, P.transferPerCapitaCny.to, year) * relRev ** P.transferPerCapitaCny.revenueElasticity * Math.exp(tr.transfer);
      const p = pop[i]!;
      revenue.push(round((p * revPc) / 1e4, 0));
      expenditure.push(round((p * (revPc + transferPc)) / 1e4, 0));
      mobile.push(Math.round(p * mobPc));
      broadband.push(Math.round(p * bbPc));
      const s = old.get(c.code)!;
      const share = s.y2010 + ((s.y2020 - s.y2010) * (year - 2010)) / 10;
      social.push(round(P.socialSecurity.intercept + P.socialSecurity.perShare65 * share + P.socialSecurity.trendPerYear * (year - 2012) + tr.socialSecurity + P.socialSecurity.yearNoiseSd * rng.normal(), 1));
    });
    const pressureByPref = new Map(prefectures.map((p) => [p, Math.min(100, Math.max(0, P.prefecturePressure.level2012 + P.prefecturePressure.perYear * t + (prefEffect.get(p) ?? 0) + P.prefecturePressure.yearSd * rng.normal()))]));

    // Diffusion step: peer term from the previous year-end cumulative counts of sibling counties.
    const peer = siblings.map((sib) => (sib.length > 0 ? sib.reduce((s, j) => s + cumulative[j]!, 0) / sib.length : 0));
    const zPeer = standardise(peer);
    const zNb = standardise(neighbours.map((nb) => (nb.length > 0 ? nb.reduce((s, j) => s + cumulative[j]!, 0) / nb.length : 0)));
    const zRev = standardise(revenue), zPop = standardise(pop), zMob = standardise(mobile), zBb = standardise(broadband);
    const B = P.diffusion.beta;
    const newCounts = counties.map((_, i) => {
      const logTarget = P.diffusion.logTarget[t]! + B.fiscal_revenue * zRev[i]! + B.population * zPop[i]! + B.mobile_users * zMob[i]! +
        B.broadband_users * zBb[i]! + P.diffusion.betaPeer * zPeer[i]! +
        P.diffusion.betaNeighbors * zNb[i]! + trait[i]!.u;
      const gap = Math.max(Math.exp(logTarget) - cumulative[i]!, 0);
      return gap > 0 ? rng.negBin2(P.diffusion.speed * gap, P.diffusion.alpha) : 0;
    });

    counties.forEach((c, i) => {
      const k = newCounts[i]!;
      const firstDay = year === 2012 ? 235 : 0; // 2012-08-23 is day 235 (0-based) of 2012
      const daysInYear = year % 4 === 0 ? 366 : 365;
      for (let a = 0; a < k; a++) {
        let pick = rng.uniform() * agencyTotal;
        let agency = agencies[agencies.length - 1]![0];
        for (const [name, w] of agencies) {
          if (pick < w) {
            agency = name;
            break;
          }
          pick -= w;
        }
        const used = agencyUse[i]!.get(agency) ?? 0;
        agencyUse[i]!.set(agency, used + 1);
        const suffix = NAME_SUFFIXES[used % NAME_SUFFIXES.length]!;
        const round_ = Math.floor(used / NAME_SUFFIXES.length);
        const name = `${c.name}${agency}${suffix}${round_ > 0 ? String(round_ + 1) : ""}`;
        const day = firstDay + Math.floor(rng.uniform() * (daysInYear - firstDay));
        accounts.push({ name, countyCode: c.code, agency, registeredOn: isoDate(year, day) });
      }
      cumulative[i] = cumulative[i]! + k;
      observations.push(
        { countyCode: c.code, year, indicator: "wechat_accounts", value: cumulative[i]! },
        { countyCode: c.code, year, indicator: "mobile_users", value: mobile[i]! },
        { countyCode: c.code, year, indicator: "broadband_users", value: broadband[i]! },
        { countyCode: c.code, year, indicator: "population", value: pop[i]! },
        { countyCode: c.code, year, indicator: "fiscal_revenue", value: revenue[i]! },
        { countyCode: c.code, year, indicator: "fiscal_expenditure", value: expenditure[i]! },
        { countyCode: c.code, year, indicator: "social_security_pressure", value: social[i]! },
        { countyCode: c.code, year, indicator: "prefecture_pressure", value: round(pressureByPref.get(c.prefectureCode)!, 1) },
      );
    });
  }
  accounts.sort((a, b) => (a.registeredOn < b.registeredOn ? -1 : a.registeredOn > b.registeredOn ? 1 : a.countyCode < b.countyCode ? -1 : a.countyCode > b.countyCode ? 1 : 0));
  return { indicators: SYNTHETIC_INDICATORS.map((d) => ({ ...d })), observations, accounts, parameters: { ...P, seed } };
}
