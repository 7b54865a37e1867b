import { DateTimeISOResolver } from "graphql-scalars";
import { Field, Float, Int, ObjectType } from "type-graphql";
import { Cluster, Family, PeerTerm, SeType } from "../common/enums.js";

@ObjectType({ simpleResolvers: true, description: "A machine-readable fit warning (RANK_DEFICIENT, ROWS_DROPPED_MISSING, ALPHA_AT_BOUNDARY, SEPARATION, NOT_CONVERGED, HESSIAN_NOT_PD)." })
export class Warning {
  @Field(() => String) code!: string;
  @Field(() => String) message!: string;
  @Field(() => [String], { nullable: true }) terms?: string[];
  @Field(() => [Int], { nullable: true, description: "0-based rows of the model's analysis frame." }) rows?: number[];
}

@ObjectType({ simpleResolvers: true, description: "One term of the linear predictor. Nullable numbers are null when the term was aliased." })
export class Coefficient {
  @Field(() => String) term!: string;
  @Field(() => Float, { nullable: true }) estimate!: number | null;
  @Field(() => Float, { nullable: true }) stdError!: number | null;
  @Field(() => Float, { nullable: true }) z!: number | null;
  @Field(() => Float, { nullable: true }) pValue!: number | null;
  @Field(() => Float, { nullable: true }) ciLower!: number | null;
  @Field(() => Float, { nullable: true }) ciUpper!: number | null;
  @Field(() => Float, { nullable: true, description: "Incidence rate ratio exp(estimate)." }) irr!: number | null;
  @Field(() => Float, { nullable: true }) irrCiLower!: number | null;
  @Field(() => Float, { nullable: true }) irrCiUpper!: number | null;
  @Field(() => Float, { nullable: true, description: "estimate × sd(x) over the fitted rows." }) standardized!: number | null;
  @Field(() => Int, { nullable: true, description: "1 = largest |standardized| among predictors." }) rank!: number | null;
  @Field(() => Boolean) aliased!: boolean;
}

@ObjectType({ simpleResolvers: true, description: "Likelihood-ratio test of NB2 against Poisson (boundary chi-bar-squared p-value)." })
export class LrTest {
  @Field(() => Float) statistic!: number;
  @Field(() => Float) pValue!: number;
}

@ObjectType({ simpleResolvers: true, description: "Average marginal effect dE[y]/dx with a delta-method standard error." })
export class MarginalEffect {
  @Field(() => String) term!: string;
  @Field(() => Float) estimate!: number;
  @Field(() => Float) stdError!: number;
  @Field(() => Float) z!: number;
  @Field(() => Float) pValue!: number;
  @Field(() => Float) ciLower!: number;
  @Field(() => Float) ciUpper!: number;
}

@ObjectType({ simpleResolvers: true })
export class Vif {
  @Field(() => String) term!: string;
  @Field(() => Float) vif!: number;
}

@ObjectType({ simpleResolvers: true, description: "Covariance of the estimable coefficients for the model's seType; rows and columns follow `terms`." })
export class Covariance {
  @Field(() => [String]) terms!: string[];
  @Field(() => [[Float]]) matrix!: number[][];
}

@ObjectType({ simpleResolvers: true, description: "A fitted count model, stored with the fingerprint of its specification and data." })
export class Model {
  @Field(() => Int) id!: number;
  @Field(() => String) name!: string;
  @Field(() => Family) family!: Family;
  @Field(() => String) outcome!: string;
  @Field(() => [String], { description: "Predictor columns in design order, peer terms included." }) predictors!: string[];
  @Field(() => Int) datasetId!: number;
  @Field(() => [Int]) years!: number[];
  @Field(() => SeType) seType!: SeType;
  @Field(() => Cluster, { nullable: true }) cluster!: Cluster | null;
  @Field(() => String, { nullable: true }) offset!: string | null;
  @Field(() => String, { nullable: true }) exposure!: string | null;
  @Field(() => [PeerTerm]) peer!: PeerTerm[];
  @Field(() => Float) confidenceLevel!: number;
  @Field(() => Int) n!: number;
  @Field(() => Int, { description: "Rows dropped for missing values." }) dropped!: number;
  @Field(() => Boolean) converged!: boolean;
  @Field(() => Int) iterations!: number;
  @Field(() => [Warning]) warnings!: Warning[];
  @Field(() => Float) logLikelihood!: number;
  @Field(() => Float) aic!: number;
  @Field(() => Float) bic!: number;
  @Field(() => Float) deviance!: number;
  @Field(() => Float) pseudoR2!: number;
  @Field(() => Float, { nullable: true }) alpha!: number | null;
  @Field(() => Float, { nullable: true }) alphaStdError!: number | null;
  @Field(() => Float, { nullable: true }) theta!: number | null;
  @Field(() => Float, { nullable: true }) thetaStdError!: number | null;
  @Field(() => LrTest, { nullable: true }) lrTest!: LrTest | null;
  @Field(() => [Coefficient]) coefficients!: Coefficient[];
  @Field(() => [MarginalEffect]) marginalEffects!: MarginalEffect[];
  @Field(() => [Vif]) vif!: Vif[];
  @Field(() => Covariance) covariance!: Covariance;
  @Field(() => String) fingerprint!: string;
  @Field(() => DateTimeISOResolver) createdAt!: Date;
}
