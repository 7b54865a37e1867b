import type { ApolloServerPlugin } from "@apollo/server";
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";

/**
 * GraphiQL for browsers at the GraphQL endpoint, fully offline: @graphql-yoga/render-graphiql
 * inlines its JS, CSS and workers, unlike Apollo's default landing pages which load from a CDN.
 */
export function localGraphiQL(endpoint = "/graphql"): ApolloServerPlugin {
  const html = renderGraphiQL({
    endpoint,
    title: "govdiffusion API",
    defaultQuery: `# Raise fiscal revenue by 10% in Baise's counties (prefecture 451000).
# Mutations need a header: {"Authorization": "Bearer <API key>"}
query Headline {
  models { id name synthetic }
  whatIf(
    modelId: 1
    interventions: [{ indicator: "fiscal_revenue", operation: SCALE, value: 1.1, prefectureCodes: ["451000"] }]
  ) {
    baselineTotal
    scenarioTotal
    difference { estimate stdError lower upper }
    counties { code name changed difference { estimate lower upper } probabilityAtLeastOne }
  }
}
`,
  });
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return { html };
        },
      };
    },
  };
}
