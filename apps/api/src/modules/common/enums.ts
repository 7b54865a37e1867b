import { registerEnumType } from "type-graphql";

// GraphQL names are UPPER_CASE; the values are the strings the estimation and db packages use.

export enum Family { NEGBIN2 = "negbin2", POISSON = "poisson" }
registerEnumType(Family, { name: "Family", description: "Count model family: NB2 (variance mu + alpha mu^2) or Poisson." });

export enum SeType { OIM = "oim", EXPECTED = "expected", HC0 = "hc0", HC1 = "hc1", CLUSTER = "cluster" }
registerEnumType(SeType, {
  name: "SeType",
  description: "Standard errors: observed information (Stata nbreg), expected information (R glm.nb), sandwich HC0/HC1, or clustered.",
});

export enum Cluster { PREFECTURE = "prefecture" }
registerEnumType(Cluster, { name: "Cluster", description: "Grouping for clustered standard errors." });

export enum PeerTerm {
  PEER_NEIGHBORS = "peer_neighbors",
  PEER_SIBLINGS = "peer_siblings",
  PEER_NEIGHBORS_SHARE = "peer_neighbors_share",
}
registerEnumType(PeerTerm, {
  name: "PeerTerm",
  description: "Berry & Berry diffusion terms: mean outcome of contiguous neighbours / prefecture siblings in the previous year, or the share of neighbours that adopted.",
});

export enum Operation { SCALE = "scale", ADD = "add", SET = "set" }
registerEnumType(Operation, { name: "Operation", description: "SCALE multiplies the indicator by value, ADD adds value, SET replaces it." });

export enum Uncertainty { DELTA = "delta", SIMULATION = "simulation" }
registerEnumType(Uncertainty, { name: "Uncertainty", description: "Delta method, or parametric simulation (seeded draws of the coefficients)." });

export enum CountyKind {
  DISTRICT = "district",
  COUNTY_LEVEL_CITY = "county_level_city",
  COUNTY = "county",
  AUTONOMOUS_COUNTY = "autonomous_county",
}
registerEnumType(CountyKind, { name: "CountyKind" });

export enum IndicatorRole { OUTCOME = "outcome", DETERMINANT = "determinant", DESCRIPTIVE = "descriptive", DERIVED = "derived" }
registerEnumType(IndicatorRole, { name: "IndicatorRole" });

export enum ImportFormat { LONG = "long", WIDE = "wide" }
registerEnumType(ImportFormat, {
  name: "ImportFormat",
  description: "LONG: county_code,year,indicator,value. WIDE: county_code,year,<indicator>...",
});
