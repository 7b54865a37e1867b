export * from "./types.js";
export * from "./errors.js";
export { createDb, providerOf, providerOfUrl, sqlitePath, redactUrl, type Db, type DbTx, type Provider } from "./create-db.js";
export { migrateDatabase, migrationsDir, readMigrations, type Migration, type MigrateResult } from "./migrate.js";
export { createRepositories } from "./repositories/index.js";
export { buildAnalysisFrame, PEER_TERMS } from "./analysis-frame.js";
export * from "./import/index.js";
