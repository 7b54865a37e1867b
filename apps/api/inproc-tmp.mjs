import { createServer, loadConfig } from "/work/main/apps/api/dist/index.js";
import { createDb } from "/work/main/packages/db/dist/index.js";
import { HeaderMap } from "@apollo/server";
const config = loadConfig({ DATABASE_URL: "file:/tmp/exp/b.db", LOG_LEVEL: process.env.LVL ?? "warn", PORT: "0" });
const server = await createServer({ config, db: createDb({ url: config.databaseUrl }) });
const qs = { tn: "{ __typename }", whatif: `query WhatIf($modelId: Int!) { whatIf(modelId: $modelId, interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: 1.1 }], options: { uncertainty: DELTA }) { baselineTotal scenarioTotal difference { estimate stdError lower upper } } }` };
const which = process.argv[2] ?? "tn";
const body = { query: qs[which], variables: { modelId: 1 } };
const headers = new HeaderMap([["content-type", "application/json"], ["host", "x"], ["connection", "keep-alive"], ["user-agent", "autocannon"]]);
const ctx = { requestId: "r", principal: null, services: server.services, loaders: null, log: server.log.child({ reqId: "r" }) };
async function one() {
  const r = await server.apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: { method: "POST", headers, search: "", body }, context: async () => ctx });
  return r;
}
const r0 = await one(); if (r0.body.string.includes("errors")) throw new Error(r0.body.string);
for (let k = 0; k < 3; k++) { const n = 20000; const t = performance.now(); for (let i = 0; i < n; i++) await one(); console.log(which, ((performance.now() - t) / n * 1000).toFixed(1), "us/request"); }
await server.stop();
