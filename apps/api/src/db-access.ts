import { buildAnalysisFrame, createRepositories, fingerprintModel, importObservations, isWritable, type Db } from "@govdiffusion/db";
import type { DataAccess } from "./data-access.js";

/** Binds the @govdiffusion/db functions to one Prisma client. */
export function createDataAccess(db: Db): DataAccess {
  return {
    repos: createRepositories(db),
    buildAnalysisFrame: (req) => buildAnalysisFrame(db, req),
    fingerprintModel: (spec, frame) => fingerprintModel(spec, frame),
    // The same importer as `govdiffusion import observations`; "input.csv" is the file label in ImportErrors.
    importObservations: (input) =>
      importObservations(db, input.csv, {
        file: "input.csv",
        dataset: input.dataset.name,
        format: input.format,
        createIndicators: input.createIndicators,
        source: input.dataset.source,
        provenance: input.dataset.provenance,
        synthetic: input.dataset.synthetic,
      }),
    async observationsForCounties(countyCodes, opts) {
      // The query of repos.observations.forCounty, for a list of counties (the db package has no batched form).
      const rows = await db.observation.findMany({
        where: {
          countyCode: { in: [...new Set(countyCodes)] },
          ...(opts.year !== undefined ? { year: opts.year } : {}),
          ...(opts.datasetId !== undefined ? { datasetId: opts.datasetId } : {}),
        },
        orderBy: [{ countyCode: "asc" }, { datasetId: "asc" }, { year: "asc" }, { indicatorKey: "asc" }],
      });
      return rows.map((r) => ({ datasetId: r.datasetId, countyCode: r.countyCode, year: r.year, indicator: r.indicatorKey, value: r.value }));
    },
    async ping() {
      await db.$queryRawUnsafe("SELECT 1");
    },
    isWritable: () => isWritable(db),
    async close() {
      await db.$disconnect();
    },
  };
}
