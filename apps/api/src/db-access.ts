import { buildAnalysisFrame, createRepositories, fingerprintModel, type Db } from "@govdiffusion/db";
import type { DataAccess } from "./data-access.js";

/** Binds the @govdiffusion/db functions to one Prisma client. */
export function createDataAccess(db: Db): DataAccess {
  return {
    repos: createRepositories(db),
    buildAnalysisFrame: (req) => buildAnalysisFrame(db, req),
    fingerprintModel: (spec, frame) => fingerprintModel(spec, frame),
    async importObservations() {
      throw new Error("importObservations: not available yet in @govdiffusion/db");
    },
    async ping() {
      await db.$queryRawUnsafe("SELECT 1");
    },
    async close() {
      await db.$disconnect();
    },
  };
}
