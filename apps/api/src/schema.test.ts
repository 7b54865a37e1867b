import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { schemaSdl } from "./schema-sdl.js";
import { getSchema } from "./schema.js";
import { assertObjectType, getNamedType, isListType, isNonNullType, type GraphQLOutputType } from "graphql";

const unwrap = (t: GraphQLOutputType): string => (isNonNullType(t) ? `${unwrap(t.ofType)}!` : isListType(t) ? `[${unwrap(t.ofType)}]` : getNamedType(t).name);

describe("schema", () => {
  it("apps/api/schema.graphql is up to date (run `npm run schema:emit -w @govdiffusion/api`)", async () => {
    const committed = readFileSync(fileURLToPath(new URL("../schema.graphql", import.meta.url)), "utf8");
    expect(committed).toBe(await schemaSdl());
  });

  it("has the operations front-ends code against", async () => {
    const s = await getSchema();
    const q = Object.keys(s.getQueryType()!.getFields()).sort();
    expect(q).toEqual(["counties", "county", "datasets", "indicators", "model", "models", "prefectures", "scenario", "scenarios", "whatIf"]);
    const m = Object.keys(s.getMutationType()!.getFields()).sort();
    expect(m).toEqual(["createScenario", "deleteModel", "deleteScenario", "fitModel", "importDataset"]);
    const county = assertObjectType(s.getType("County")).getFields();
    expect(county["indicators"]!.args.map((a) => a.name).sort()).toEqual(["datasetId", "year"]);
  });

  it("counts and ids are Int, measures Float", async () => {
    const s = await getSchema();
    const model = assertObjectType(s.getType("Model")).getFields();
    expect(unwrap(model["id"]!.type)).toBe("Int!");
    expect(unwrap(model["n"]!.type)).toBe("Int!");
    expect(unwrap(model["iterations"]!.type)).toBe("Int!");
    expect(unwrap(model["years"]!.type)).toBe("[Int!]!");
    expect(unwrap(model["alpha"]!.type)).toBe("Float");
    expect(unwrap(model["aic"]!.type)).toBe("Float!");
    const coef = assertObjectType(s.getType("Coefficient")).getFields();
    expect(unwrap(coef["rank"]!.type)).toBe("Int");
    expect(unwrap(coef["irrCiUpper"]!.type)).toBe("Float");
    const warn = assertObjectType(s.getType("Warning")).getFields();
    expect(unwrap(warn["rows"]!.type)).toBe("[Int!]");
    const res = assertObjectType(s.getType("ScenarioResult")).getFields();
    expect(unwrap(res["draws"]!.type)).toBe("Int");
    expect(unwrap(res["baselineTotal"]!.type)).toBe("Float!");
    const whatIf = s.getQueryType()!.getFields()["whatIf"]!;
    expect(whatIf.args.map((a) => `${a.name}: ${String(a.type)}`).sort()).toEqual([
      "interventions: [InterventionInput!]!", "modelId: Int!", "options: WhatIfOptions",
    ]);
    for (const e of ["Family", "SeType", "Operation", "Uncertainty", "Cluster"]) expect(s.getType(e)).toBeDefined();
  });
});
