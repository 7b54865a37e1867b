# Reference fits for formula terms (src/formula.ts): R's own formula machinery expands log(),
# sqrt(), I(x^2), poly(x, 2, raw = TRUE), interactions and factor() on raw data, and MASS::glm.nb
# fits it at tight control. The test expands the same raw CSV with parseFormula/expandFormula,
# fits it, and compares term names, coefficients, expected SEs and theta.
#
# Run from packages/estimation:  Rscript reference/make_formula_fixtures.R
suppressPackageStartupMessages(library(MASS))
options(contrasts = c("contr.treatment", "contr.treatment"))
CTRL <- glm.control(epsilon = 1e-12, maxit = 200)
dir.create("reference/data", showWarnings = FALSE)

num <- function(x) ifelse(is.na(x), "null", ifelse(abs(x) < 1e15 & x == round(x), sprintf("%.0f", x), sprintf("%.17g", x)))
json_vec <- function(x) paste0("[", paste(if (is.character(x)) paste0('"', x, '"') else num(x), collapse = ", "), "]")

fixture <- function(name, data, formula, file, family = "negbin2") {
  fit <- if (family == "poisson") glm(as.formula(formula), data = data, family = poisson, control = CTRL)
         else glm.nb(as.formula(formula), data = data, control = CTRL, method = "glm.fit")
  if (family == "poisson") { fit$theta <- NA; fit$SE.theta <- NA }
  s <- summary(fit)$coefficients
  lines <- c(
    "{",
    sprintf('  "name": "%s",', name),
    sprintf('  "formula": "%s",', formula),
    sprintf('  "family": "%s",', family),
    sprintf('  "data": "reference/data/%s",', file),
    sprintf('  "terms": %s,', json_vec(rownames(s))),
    sprintf('  "estimates": %s,', json_vec(unname(s[, 1]))),
    sprintf('  "stdErrors": %s,', json_vec(unname(s[, 2]))),
    sprintf('  "theta": %s,', num(fit$theta)),
    sprintf('  "thetaStdError": %s,', num(fit$SE.theta)),
    sprintf('  "logLik": %s', num(as.numeric(logLik(fit)))),
    "}"
  )
  writeLines(lines, file.path("src", "__fixtures__", "terms", paste0("formula-", name, ".json")))
}

# Seizure counts (Thall & Vail 1990), MASS::epil: continuous base and age, period and treatment.
epil <- MASS::epil[, c("y", "trt", "base", "age", "period", "subject")]
epil$trt <- as.character(epil$trt)
write.csv(epil, "reference/data/epil.csv", row.names = FALSE, quote = FALSE)
epil <- read.csv("reference/data/epil.csv", stringsAsFactors = FALSE)
fixture("epil", epil,
  "y ~ log(base) + sqrt(age) + I(age^2) + log(base):age + factor(period) + factor(trt)", "epil.csv")
fixture("epil-poly", epil,
  "y ~ poly(age, 2, raw = TRUE) + log1p(base) * age", "epil.csv")

# Car insurance claims, MASS::Insurance: factors with text levels and a log(Holders) term. Poisson:
# these data sit at the NB2 boundary (alpha -> 0), where glm.nb's theta is not determined tightly.
ins <- MASS::Insurance
ins <- data.frame(District = as.character(ins$District), Group = as.character(ins$Group),
                  Age = as.character(ins$Age), Holders = ins$Holders, Claims = ins$Claims)
write.csv(ins, "reference/data/insurance_raw.csv", row.names = FALSE, quote = FALSE)
ins <- read.csv("reference/data/insurance_raw.csv", stringsAsFactors = FALSE)
fixture("insurance", ins, "Claims ~ log(Holders) + factor(District) + factor(Group) + factor(Age)", "insurance_raw.csv", family = "poisson")
