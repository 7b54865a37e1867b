import type { Estimate } from "../common/estimate.type.js";
import type { Operation, Uncertainty } from "../common/enums.js";
import type { InterventionView, Scenario, ScenarioCounty, ScenarioResult } from "./scenario.type.js";
import type { ScenarioRecord } from "./scenario.service.js";
import type { WhatIfResult } from "./what-if.service.js";

const copy = (e: Estimate): Estimate => ({ estimate: e.estimate, stdError: e.stdError, lower: e.lower, upper: e.upper });

/**
 * Views of cached what-if results: a repeated whatIf returns the same WhatIfResult object (the
 * service's result cache), so its view (111 county objects) is built once, not per request.
 * Views are read-only to resolvers.
 */
const views = new WeakMap<WhatIfResult, ScenarioResult>();

export function toScenarioResult(r: WhatIfResult): ScenarioResult {
  let view = views.get(r);
  if (!view) views.set(r, (view = buildScenarioResult(r)));
  return view;
}

function buildScenarioResult(r: WhatIfResult): ScenarioResult {
  const o = r.outcome;
  let counties: ScenarioCounty[] | undefined;
  const view: Omit<ScenarioResult, "counties"> = {
    modelId: r.modelId,
    uncertainty: o.method as Uncertainty,
    confidenceLevel: o.level,
    draws: o.draws,
    seed: o.seed,
    years: r.years,
    baselineTotal: o.baselineTotal.estimate,
    scenarioTotal: o.scenarioTotal.estimate,
    baselineTotalInterval: copy(o.baselineTotal),
    scenarioTotalInterval: copy(o.scenarioTotal),
    difference: copy(o.difference),
    alphaUncertainty: o.alphaUncertainty ?? null,
  };
  // The county rows (5 objects per row) are built when first asked for: most what-ifs ask only
  // for totals, and a view lives as long as its cached result (memory, issue 8 point 5).
  return Object.defineProperty(view, "counties", { enumerable: true, get: () => (counties ??= countiesOf(r)) }) as ScenarioResult;
}

function countiesOf(r: WhatIfResult): ScenarioCounty[] {
  return r.outcome.rows.map((row, i) => {
    const id = r.rows[i];
    const code = id?.countyCode ?? "";
    return {
      code,
      name: r.countyNames.get(code) ?? code,
      prefectureCode: id?.prefectureCode ?? "",
      year: id?.year ?? 0,
      changed: r.changedRows.has(i),
      baseline: row.baseline.estimate,
      scenario: row.scenario.estimate,
      difference: copy(row.difference),
      baselineInterval: copy(row.baseline),
      scenarioInterval: copy(row.scenario),
      probabilityAtLeastOne: row.probAtLeastOneScenario,
      probabilityAtLeastOneBaseline: row.probAtLeastOneBaseline,
      // Absent on results stored before the estimation package computed them.
      probabilityAtLeastOneInterval: row.probAtLeastOneScenarioEstimate ? copy(row.probAtLeastOneScenarioEstimate) : null,
      probabilityAtLeastOneBaselineInterval: row.probAtLeastOneBaselineEstimate ? copy(row.probAtLeastOneBaselineEstimate) : null,
    };
  });
}

export function toScenarioView(s: ScenarioRecord): Scenario {
  return {
    id: s.id,
    modelId: s.modelId,
    name: s.name,
    createdAt: s.createdAt,
    interventions: s.interventions.map((iv): InterventionView => ({
      indicator: iv.indicator,
      operation: iv.operation as Operation,
      value: iv.value,
      countyCodes: iv.countyCodes ?? null,
      prefectureCodes: iv.prefectureCodes ?? null,
    })),
    result: toScenarioResult(s.result),
  };
}
