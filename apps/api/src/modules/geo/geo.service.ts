import type { County, CountyKind, Prefecture } from "@govdiffusion/db";
import type { DataAccess } from "../../data-access.js";
import { NotFoundError, ValidationError } from "@govdiffusion/db";
import type { ReferenceCache } from "./reference-cache.js";

const CODE = /^\d{6}$/;

export class GeoService {
  constructor(private readonly data: DataAccess, private readonly reference: ReferenceCache) {}

  prefectures(): Promise<Prefecture[]> {
    return this.reference.prefectures();
  }

  async counties(filter: { prefectureCode?: string | null; kind?: CountyKind | null }): Promise<County[]> {
    const { prefectureCode, kind } = filter;
    if (prefectureCode) {
      const known = (await this.reference.prefectures()).some((p) => p.code === prefectureCode);
      if (!known) throw new ValidationError("prefectureCode", `unknown prefecture code "${prefectureCode}"`, "UNKNOWN_PREFECTURE");
    }
    return (await this.reference.counties()).filter((c) => (!prefectureCode || c.prefectureCode === prefectureCode) && (!kind || c.kind === kind));
  }

  async county(code: string): Promise<County> {
    if (!CODE.test(code)) throw new ValidationError("code", `county codes have 6 digits, got "${code}"`, "INVALID");
    const c = await this.reference.county(code);
    if (!c) throw new NotFoundError(`county ${code} not found`, "code");
    return c;
  }
  // County.indicators and County.adoptions are batched per request: see createLoaders (context.ts).
}
