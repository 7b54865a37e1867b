import DataLoader from "dataloader";
import type { County, Dataset, Prefecture } from "@govdiffusion/db";
import type { ApiConfig } from "./config.js";
import type { DataAccess } from "./data-access.js";
import type { Logger } from "./logger.js";
import { DatasetService } from "./modules/dataset/dataset.service.js";
import { GeoService } from "./modules/geo/geo.service.js";
import { ReferenceCache } from "./modules/geo/reference-cache.js";
import { ModelService } from "./modules/model/model.service.js";
import { ScenarioService } from "./modules/scenario/scenario.service.js";
import { WhatIfService } from "./modules/scenario/what-if.service.js";

export interface Principal { kind: "api-key"; id: string }

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
}

export interface Context {
  requestId: string;
  principal: Principal | null;
  services: Services;
  loaders: Loaders;
  log: Logger;
}

/** Services are created once per server: they hold the prepared what-if state cache. */
export function createServices(data: DataAccess, config: Pick<ApiConfig, "maxDraws" | "maxImportBytes">): Services {
  const whatIf = new WhatIfService(data, { maxDraws: config.maxDraws });
  const reference = new ReferenceCache(data.repos);
  return {
    reference,
    geo: new GeoService(data, reference),
    datasets: new DatasetService(data, { maxImportBytes: config.maxImportBytes }),
    models: new ModelService(data, (id) => whatIf.invalidate(id)),
    whatIf,
    scenarios: new ScenarioService(data, whatIf),
  };
}

export function createLoaders(data: DataAccess, reference: ReferenceCache): Loaders {
  const { repos } = data;
  return {
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
