import type { Db } from "../create-db.js";
import type { Repositories } from "../types.js";
import { adoptionRepository, datasetRepository, observationRepository } from "./datasets.js";
import { countyRepository, prefectureRepository } from "./geography.js";
import { indicatorRepository } from "./indicators.js";
import { modelRepository, scenarioRepository } from "./models.js";

/** The repository surface (src/types.ts `Repositories`) over one Prisma client; returns domain types only. */
export function createRepositories(db: Db): Repositories {
  return {
    prefectures: prefectureRepository(db),
    counties: countyRepository(db),
    indicators: indicatorRepository(db),
    datasets: datasetRepository(db),
    observations: observationRepository(db),
    adoptions: adoptionRepository(db),
    models: modelRepository(db),
    scenarios: scenarioRepository(db),
  };
}
