import type { Db } from "../create-db.js";
import type { County, CountyKind, Prefecture, Repositories } from "../types.js";

type CountyRow = { code: string; nameZh: string; nameEn: string; kind: string; prefectureCode: string };

export function toCounty(r: CountyRow): County {
  return { code: r.code, name: r.nameZh, nameEn: r.nameEn, kind: r.kind as CountyKind, prefectureCode: r.prefectureCode };
}

export function prefectureRepository(db: Db): Repositories["prefectures"] {
  return {
    async list(): Promise<Prefecture[]> {
      const rows = await db.prefecture.findMany({ orderBy: { code: "asc" } });
      return rows.map((r) => ({ code: r.code, name: r.name, nameEn: r.nameEn }));
    },
  };
}

export function countyRepository(db: Db): Repositories["counties"] {
  return {
    async list(filter = {}) {
      const rows = await db.county.findMany({
        where: {
          ...(filter.prefectureCode !== undefined ? { prefectureCode: filter.prefectureCode } : {}),
          ...(filter.kind !== undefined ? { kind: filter.kind } : {}),
        },
        orderBy: { code: "asc" },
      });
      return rows.map(toCounty);
    },
    async byCodes(codes) {
      if (codes.length === 0) return [];
      const rows = await db.county.findMany({ where: { code: { in: [...codes] } }, orderBy: { code: "asc" } });
      return rows.map(toCounty);
    },
    async neighbors(codes) {
      const result = new Map<string, string[]>(codes.map((c) => [c, []]));
      if (codes.length === 0) return result;
      const list = [...new Set(codes)];
      const rows = await db.countyAdjacency.findMany({
        where: { OR: [{ codeA: { in: list } }, { codeB: { in: list } }] },
        orderBy: [{ codeA: "asc" }, { codeB: "asc" }],
      });
      for (const r of rows) {
        result.get(r.codeA)?.push(r.codeB);
        result.get(r.codeB)?.push(r.codeA);
      }
      for (const v of result.values()) v.sort();
      return result;
    },
  };
}
