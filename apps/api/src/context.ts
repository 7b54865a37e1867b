import DataLoader from "dataloader";
import type { AdoptionPoint, County, Dataset, Observation, Prefecture } from "@govdiffusion/db";
import type { ApiConfig } from "./config.js";
import type { DataAccess } from "./data-access.js";
import type { Logger } from "./logger.js";
import { DatasetService } from "./modules/dataset/dataset.service.js";
import { GeoService } from "./modules/geo/geo.service.js";
import { ReferenceCache } from "./modules/geo/reference-cache.js";
import { ModelService } from "./modules/model/model.service.js";
import { ScenarioService } from "./modules/scenario/scenario.service.js";
import { WhatIfService } from "./modules/scenario/what-if.service.js";
import type { WorkPool } from "./pool/work-pool.js";

/** A caller with a key: "write" keys (GOVDIFFUSION_API_KEYS) may mutate, "read" keys (GOVDIFFUSION_READ_KEYS) only read. */
export interface Principal { kind: "api-key"; id: string; role: "write" | "read" }

export interface Services {
  reference: ReferenceCache;
  geo: GeoService;
  datasets: DatasetService;
  models: ModelService;
  whatIf: WhatIfService;
  scenarios: ScenarioService;
}

/** Per-request batching and caching of the county graph (never shared between requests). */
export interface Loaders {
  county: DataLoader<string, County | null>;
  neighborCodes: DataLoader<string, string[]>;
  prefecture: DataLoader<string, Prefecture | null>;
  countiesOfPrefecture: DataLoader<string, County[]>;
  dataset: DataLoader<number, Dataset | null>;
  /** County.indicators: one query for all counties of a request asking with the same (year, datasetId). */
  indicators(opts: { year?: number | null; datasetId?: number | null }): DataLoader<string, Observation[]>;
  /** County.adoptions: one query per datasetId filter. */
  adoptions(datasetId: number | null | undefined): DataLoader<string, AdoptionPoint[]>;
}

export interface Context {
  requestId: string;
  principal: Principal | null;
  services: Services;
  loaders: Loaders;
  log: Logger;
  /** The rate limiter's name for the caller (rate-limit.ts clientOf); absent when rate limiting is off. */
  clientKey?: string;
  /** Models whose what-ifs this request answered (the what-if response cache re-checks them on a hit). */
  whatIfModels: number[];
}

/** Services are created once per server: they hold the prepared what-if state cache. */
/** `work`: where imports, fits and simulation what-ifs run (see pool/work-pool.ts); without it, in this thread. */
export function createServices(data: DataAccess, config: Pick<ApiConfig, "maxDraws" | "maxImportBytes">, work?: WorkPool): Services {
  const whatIf = new WhatIfService(data, { maxDraws: config.maxDraws }, Date.now, work);
  const reference = new ReferenceCache(data.repos);
  return {
    reference,
    geo: new GeoService(data, reference),
    datasets: new DatasetService(data, { maxImportBytes: config.maxImportBytes }, work),
    models: new ModelService(data, (id) => whatIf.invalidate(id), work),
    whatIf,
    scenarios: new ScenarioService(data, whatIf),
  };
}

/** Groups a flat list by county code, keeping the order within each county. */
function byCounty<T extends { countyCode: string }>(codes: readonly string[], items: readonly T[]): T[][] {
  const m = new Map<string, T[]>(codes.map((c) => [c, []]));
  for (const it of items) m.get(it.countyCode)?.push(it);
  return codes.map((c) => m.get(c)!);
}

/**
 * The adoption series of one county as repos.adoptions.series([code]) gives it: a batched call
 * spans the years of all requested counties, so trim each county to its own first..last year
 * with accounts (a county without any gets no points).
 */
export function ownSpan(points: AdoptionPoint[]): AdoptionPoint[] {
  let first = 0;
  while (first < points.length && points[first]!.count === 0) first++;
  let last = points.length - 1;
  while (last >= first && points[last]!.count === 0) last--;
  return points.slice(first, last + 1);
}

export function createLoaders(data: DataAccess, reference: ReferenceCache): Loaders {
  const { repos } = data;
  const indicatorLoaders = new Map<string, DataLoader<string, Observation[]>>();
  const adoptionLoaders = new Map<string, DataLoader<string, AdoptionPoint[]>>();
  return {
    indicators({ year, datasetId }) {
      const key = `${year ?? ""}|${datasetId ?? ""}`;
      let l = indicatorLoaders.get(key);
      if (!l) {
        const opts = { ...(year != null ? { year } : {}), ...(datasetId != null ? { datasetId } : {}) };
        l = new DataLoader(async (codes) => byCounty(codes, await data.observationsForCounties(codes, opts)));
        indicatorLoaders.set(key, l);
      }
      return l;
    },
    adoptions(datasetId) {
      const key = `${datasetId ?? ""}`;
      let l = adoptionLoaders.get(key);
      if (!l) {
        const opts = datasetId != null ? { datasetId } : {};
        l = new DataLoader(async (codes) => byCounty(codes, await repos.adoptions.series(codes, opts)).map(ownSpan));
        adoptionLoaders.set(key, l);
      }
      return l;
    },
    county: new DataLoader(async (codes) => Promise.all(codes.map((c) => reference.county(c)))),
    neighborCodes: new DataLoader(async (codes) => {
      const m = await repos.counties.neighbors(codes);
      return codes.map((c) => m.get(c) ?? []);
    }),
    prefecture: new DataLoader(async (codes) => {
      const all = new Map((await reference.prefectures()).map((p) => [p.code, p]));
      return codes.map((c) => all.get(c) ?? null);
    }),
    countiesOfPrefecture: new DataLoader(async (codes) => {
      const all = await reference.counties();
      return codes.map((code) => all.filter((c) => c.prefectureCode === code));
    }),
    dataset: new DataLoader(async (ids) => {
      const found = await Promise.all(ids.map((id) => repos.datasets.byId(id)));
      return found;
    }),
  };
}
