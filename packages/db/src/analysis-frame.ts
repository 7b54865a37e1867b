/**
 * County-by-year analysis frames for the estimation core, with the Berry & Berry diffusion terms
 * computed from the outcome of the previous year.
 */
import { createPeerGraph, isPeerTerm, PEER_TERMS, peerTerm, type Cell } from "@govdiffusion/estimation";
import type { Db } from "./create-db.js";
import { NotFoundError, ValidationError } from "./errors.js";
import type { AnalysisFrame, AnalysisFrameRequest, PeerTerm } from "./types.js";

export { PEER_TERMS };
const isPeer = (k: string): k is PeerTerm => isPeerTerm(k);

/**
 * Builds one row per (county, year) for the requested years, counties being those with any value of
 * the requested indicators in the dataset. Rows with a missing value in any requested column are left
 * out of `table` and listed in `dropped`. Peer terms (by name in `peer` or `predictors`) come from
 * @govdiffusion/estimation's peerTerm over the county graph, the same function the diffusion
 * projection calls:
 * - peer_neighbors: mean of the contiguous neighbours' outcome in year-1;
 * - peer_neighbors_share: share of those neighbours with outcome > 0 in year-1;
 * - peer_siblings: mean outcome in year-1 of the other counties of the same prefecture.
 * Neighbours/siblings without an outcome in year-1 are left out of the mean; when none of them has
 * one (e.g. the first year of the data) the term is missing. A county with no neighbour (or the only
 * county of its prefecture) gets 0: nobody to learn from.
 * Rows are ordered by county code, then year. `prefecture` (string) is added for clustered SEs.
 */
export async function buildAnalysisFrame(db: Db, req: AnalysisFrameRequest): Promise<AnalysisFrame> {
  validate(req);
  const dataset = await db.dataset.findUnique({ where: { id: req.datasetId }, select: { id: true } });
  if (!dataset) throw new NotFoundError(`dataset ${req.datasetId} not found`);

  const years = [...new Set(req.years)].sort((a, b) => a - b);
  const peer = [...new Set([...(req.peer ?? []), ...req.predictors.filter(isPeer)])];
  const columns = [...new Set([req.outcome, ...req.predictors, ...peer, ...(req.extra ?? [])])];
  const stored = columns.filter((c) => !isPeer(c));
  const neededYears = peer.length > 0 ? [...new Set([...years, ...years.map((y) => y - 1)])] : years;

  const obs = await db.observation.findMany({
    where: { datasetId: req.datasetId, indicatorKey: { in: stored }, year: { in: neededYears } },
    select: { countyCode: true, year: true, indicatorKey: true, value: true },
  });
  const value = new Map<string, number>(); // `${indicator}|${county}|${year}`
  const seen = new Set<string>();
  const countyCodes = new Set<string>();
  for (const o of obs) {
    value.set(`${o.indicatorKey}|${o.countyCode}|${o.year}`, o.value);
    seen.add(o.indicatorKey);
    if (years.includes(o.year)) countyCodes.add(o.countyCode);
  }
  for (const c of stored) {
    if (!seen.has(c)) {
      const field = c === req.outcome ? "outcome" : (req.extra ?? []).includes(c) ? "extra" : "predictors";
      throw new ValidationError(field, `indicator "${c}" has no values in dataset ${req.datasetId} for years ${years.join(", ")}`);
    }
  }

  const counties = await db.county.findMany({ select: { code: true, prefectureCode: true }, orderBy: { code: "asc" } });
  const prefectureOf = new Map(counties.map((c) => [c.code, c.prefectureCode]));
  const unitIndex = new Map(counties.map((c, i) => [c.code, i]));
  const needsAdjacency = peer.includes("peer_neighbors") || peer.includes("peer_neighbors_share");
  const edges = needsAdjacency
    ? (await db.countyAdjacency.findMany({ select: { codeA: true, codeB: true } })).map((a) => [a.codeA, a.codeB] as const)
    : [];
  const graph = createPeerGraph({ units: counties.map((c) => c.code), edges, groupOf: counties.map((c) => c.prefectureCode) });

  const outcomeYears = new Set(obs.filter((o) => o.indicatorKey === req.outcome).map((o) => o.year));
  /** Each peer term for every county in `year`, from the outcome of year - 1 (missing when that year has none). */
  const peerCache = new Map<string, Float64Array | null>();
  const peerValues = (term: PeerTerm, year: number): Float64Array | null => {
    const key = `${term}|${year}`;
    if (!peerCache.has(key)) {
      const prevYear = year - 1;
      const prev = Float64Array.from(counties, (c) => value.get(`${req.outcome}|${c.code}|${prevYear}`) ?? NaN);
      peerCache.set(key, outcomeYears.has(prevYear) ? peerTerm(graph, term, prev) : null);
    }
    return peerCache.get(key)!;
  };

  const frame: AnalysisFrame = { rows: [], table: {}, dropped: [] };
  const out: Record<string, Cell[]> = Object.fromEntries(columns.map((c) => [c, [] as Cell[]]));
  const prefectureCol: string[] = [];
  for (const county of [...countyCodes].sort()) {
    const prefectureCode = prefectureOf.get(county) ?? "";
    for (const year of years) {
      const row: Record<string, number | undefined> = {};
      for (const c of columns) {
        if (isPeer(c)) {
          const unit = unitIndex.get(county);
          const values = peerValues(c, year);
          row[c] = unit === undefined || values === null ? undefined : values[unit];
        } else row[c] = value.get(`${c}|${county}|${year}`);
      }
      const missing = columns.filter((c) => row[c] === undefined || Number.isNaN(row[c]));
      if (missing.length > 0) {
        frame.dropped.push({ countyCode: county, year, missing });
        continue;
      }
      frame.rows.push({ countyCode: county, prefectureCode, year });
      for (const c of columns) out[c]!.push(row[c]!);
      prefectureCol.push(prefectureCode);
    }
  }
  frame.table = { ...out, prefecture: prefectureCol };
  return frame;
}

function validate(req: AnalysisFrameRequest): void {
  if (!Number.isInteger(req.datasetId)) throw new ValidationError("datasetId", "datasetId must be an integer");
  if (req.years.length === 0) throw new ValidationError("years", "give at least one year");
  for (const y of req.years) if (!Number.isInteger(y)) throw new ValidationError("years", `year ${y} is not an integer`);
  if (!req.outcome) throw new ValidationError("outcome", "outcome is required");
  if (isPeer(req.outcome)) throw new ValidationError("outcome", `${req.outcome} is a derived peer term, not an outcome`);
  for (const p of req.peer ?? []) if (!isPeer(p)) throw new ValidationError("peer", `unknown peer term "${p as string}" (use ${PEER_TERMS.join(", ")})`);
  if (req.predictors.includes("prefecture") || (req.extra ?? []).includes("prefecture")) {
    throw new ValidationError("predictors", `"prefecture" is reserved for the clustering column`);
  }
}
