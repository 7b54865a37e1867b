import type { Db } from "../create-db.js";
import { translate } from "../errors.js";
import type { Dataset, Observation, Repositories } from "../types.js";

type DatasetRow = {
  id: number; name: string; source: string; provenance: string; synthetic: boolean; importedAt: Date; checksum: string;
  _count: { observations: number };
};
const toDataset = (r: DatasetRow): Dataset => ({
  id: r.id, name: r.name, source: r.source, provenance: r.provenance, synthetic: r.synthetic,
  importedAt: r.importedAt, checksum: r.checksum, observationCount: r._count.observations,
});
const withCount = { _count: { select: { observations: true } } } as const;

export function datasetRepository(db: Db): Repositories["datasets"] {
  return {
    async list() {
      return (await db.dataset.findMany({ include: withCount, orderBy: { id: "asc" } })).map(toDataset);
    },
    async byId(id) {
      const r = await db.dataset.findUnique({ where: { id }, include: withCount });
      return r ? toDataset(r) : null;
    },
    async byName(name) {
      const r = await db.dataset.findUnique({ where: { name }, include: withCount });
      return r ? toDataset(r) : null;
    },
    async delete(id) {
      // Observations and account records cascade (onDelete: Cascade on datasetId only).
      return translate("dataset", async () => (await db.dataset.deleteMany({ where: { id } })).count > 0);
    },
  };
}

export function observationRepository(db: Db): Repositories["observations"] {
  return {
    async forCounty(countyCode, opts = {}) {
      const rows = await db.observation.findMany({
        where: {
          countyCode,
          ...(opts.year !== undefined ? { year: opts.year } : {}),
          ...(opts.datasetId !== undefined ? { datasetId: opts.datasetId } : {}),
        },
        orderBy: [{ datasetId: "asc" }, { year: "asc" }, { indicatorKey: "asc" }],
      });
      return rows.map(
        (r): Observation => ({ datasetId: r.datasetId, countyCode: r.countyCode, year: r.year, indicator: r.indicatorKey, value: r.value }),
      );
    },
    async years(datasetId) {
      const rows = await db.observation.findMany({ where: { datasetId }, distinct: ["year"], select: { year: true }, orderBy: { year: "asc" } });
      return rows.map((r) => r.year);
    },
  };
}

export function adoptionRepository(db: Db): Repositories["adoptions"] {
  return {
    async series(countyCodes, opts = {}) {
      const codes = [...new Set(countyCodes)];
      if (codes.length === 0) return [];
      const rows = await db.accountRecord.findMany({
        where: { countyCode: { in: codes }, ...(opts.datasetId !== undefined ? { datasetId: opts.datasetId } : {}) },
        select: { countyCode: true, registeredOn: true },
      });
      if (rows.length === 0) return [];
      const counts = new Map<string, number>();
      let first = Infinity;
      let last = -Infinity;
      for (const r of rows) {
        const y = r.registeredOn.getUTCFullYear();
        first = Math.min(first, y);
        last = Math.max(last, y);
        const k = `${r.countyCode}|${y}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      // Every requested county gets every year of the span (zeros included) so series line up.
      const out = [];
      for (const c of codes.sort()) {
        let cumulative = 0;
        for (let y = first; y <= last; y++) {
          const count = counts.get(`${c}|${y}`) ?? 0;
          cumulative += count;
          out.push({ countyCode: c, year: y, count, cumulative });
        }
      }
      return out;
    },
  };
}
