import type { AdoptionPoint, County, CountyKind, Observation, Prefecture } from "@govdiffusion/db";
import type { DataAccess } from "../../data-access.js";
import { NotFoundError, ValidationError } from "../../domain-errors.js";

const CODE = /^\d{6}$/;

export class GeoService {
  constructor(private readonly data: DataAccess) {}

  prefectures(): Promise<Prefecture[]> {
    return this.data.repos.prefectures.list();
  }

  async counties(filter: { prefectureCode?: string | null; kind?: CountyKind | null }): Promise<County[]> {
    const f: { prefectureCode?: string; kind?: CountyKind } = {};
    if (filter.prefectureCode) {
      const known = (await this.data.repos.prefectures.list()).some((p) => p.code === filter.prefectureCode);
      if (!known) throw new ValidationError("prefectureCode", `unknown prefecture code "${filter.prefectureCode}"`, "UNKNOWN_PREFECTURE");
      f.prefectureCode = filter.prefectureCode;
    }
    if (filter.kind) f.kind = filter.kind;
    return this.data.repos.counties.list(f);
  }

  /** `load` lets the resolver go through its per-request DataLoader (shared with neighbours). */
  async county(code: string, load?: (code: string) => Promise<County | null>): Promise<County> {
    if (!CODE.test(code)) throw new ValidationError("code", `county codes have 6 digits, got "${code}"`, "INVALID");
    const c = load ? await load(code) : (await this.data.repos.counties.byCodes([code]))[0];
    if (!c) throw new NotFoundError("county", code, "code");
    return c;
  }

  indicators(code: string, opts: { year?: number | null; datasetId?: number | null }): Promise<Observation[]> {
    return this.data.repos.observations.forCounty(code, {
      ...(opts.year != null ? { year: opts.year } : {}),
      ...(opts.datasetId != null ? { datasetId: opts.datasetId } : {}),
    });
  }

  adoptions(code: string, datasetId?: number | null): Promise<AdoptionPoint[]> {
    return this.data.repos.adoptions.series([code], datasetId != null ? { datasetId } : {});
  }
}
