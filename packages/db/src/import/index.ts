export { importObservations, type ObservationImportOptions } from "./observations.js";
export {
  importCounties, importAdjacency, importAccounts, writeAccounts, accountsChecksum, COUNTY_KINDS,
  type AccountImportOptions, type AccountInput,
} from "./reference.js";
export { CsvReader, type CsvSource } from "./csv.js";
