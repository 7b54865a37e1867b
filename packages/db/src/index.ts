export * from "./types.js";
export * from "./errors.js";
export { createDb, isWritable, sqliteReadOnly, providerOf, providerOfUrl, sqlitePath, redactUrl, type Db, type DbTx, type Provider } from "./create-db.js";
export { migrateDatabase, migrationsDir, readMigrations, type Migration, type MigrateResult } from "./migrate.js";
export { createRepositories } from "./repositories/index.js";
export { buildAnalysisFrame, PEER_TERMS } from "./analysis-frame.js";
export * from "./import/index.js";
export { fingerprintModel, frameChecksum, canonicalJson } from "./fingerprint.js";
export {
  seedDefault, ensureDatabase, studyModelSpec, CENSUS_DATASET, SYNTHETIC_DATASET, STUDY_MODEL_NAME, STUDY_PREDICTORS, STUDY_YEAR,
  type SeedOptions, type SeedResult, type EnsureResult,
} from "./seed/seed.js";
export { loadGuangxiReference, GUANGXI_DATA_DIR, type GuangxiReference } from "./seed/guangxi-data.js";
export { generateSyntheticPanel, SYNTHETIC_SEED, SYNTHETIC_PARAMETERS } from "./seed/synthetic.js";
