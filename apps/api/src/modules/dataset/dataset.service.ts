import type { Dataset, ImportSummary, Indicator } from "@govdiffusion/db";
import type { DataAccess } from "../../data-access.js";
import { NotFoundError, ValidationError } from "@govdiffusion/db";
import type { WorkPool } from "../../pool/work-pool.js";

export interface ImportDatasetCommand {
  name: string;
  csv: string;
  format: "long" | "wide";
  source: string;
  provenance: string;
  synthetic: boolean;
  createIndicators: boolean;
}

export class DatasetService {
  constructor(
    private readonly data: DataAccess,
    private readonly limits: { maxImportBytes: number },
    /** Where the import (parse, validation, inserts) runs: the server's worker threads; without one, in this thread. */
    private readonly work?: WorkPool,
  ) {}

  list(): Promise<Dataset[]> {
    return this.data.repos.datasets.list();
  }

  indicators(): Promise<Indicator[]> {
    return this.data.repos.indicators.list();
  }

  async byId(id: number): Promise<Dataset> {
    const d = await this.data.repos.datasets.byId(id);
    if (!d) throw new NotFoundError(`dataset ${id} not found`, "datasetId");
    return d;
  }

  /** Same parser and validation as `govdiffusion import observations` (all-or-nothing). */
  import(cmd: ImportDatasetCommand): Promise<ImportSummary> {
    const name = cmd.name.trim();
    if (name === "" || name.length > 200) throw new ValidationError("input.name", "name must be 1 to 200 characters", "OUT_OF_RANGE");
    const bytes = Buffer.byteLength(cmd.csv, "utf8");
    if (bytes > this.limits.maxImportBytes) {
      throw new ValidationError("input.csv", `CSV is ${bytes} bytes; this server accepts at most ${this.limits.maxImportBytes} (use the CLI for large files)`, "TOO_LARGE");
    }
    if (cmd.csv.trim() === "") throw new ValidationError("input.csv", "CSV is empty", "INVALID");
    const input = {
      csv: cmd.csv,
      format: cmd.format,
      dataset: { name, source: cmd.source, provenance: cmd.provenance, synthetic: cmd.synthetic },
      createIndicators: cmd.createIndicators,
    };
    return this.work ? this.work.run("importObservations", input) : this.data.importObservations(input);
  }
}
