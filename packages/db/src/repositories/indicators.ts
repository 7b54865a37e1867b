import type { Db } from "../create-db.js";
import type { Indicator, IndicatorRole, Repositories } from "../types.js";

type IndicatorRow = { key: string; label: string; unit: string; description: string; role: string };
export const toIndicator = (r: IndicatorRow): Indicator => ({ ...r, role: r.role as IndicatorRole });

export function indicatorRepository(db: Db): Repositories["indicators"] {
  return {
    async list() {
      return (await db.indicator.findMany({ orderBy: { key: "asc" } })).map(toIndicator);
    },
    async byKeys(keys) {
      if (keys.length === 0) return [];
      return (await db.indicator.findMany({ where: { key: { in: [...keys] } }, orderBy: { key: "asc" } })).map(toIndicator);
    },
  };
}
