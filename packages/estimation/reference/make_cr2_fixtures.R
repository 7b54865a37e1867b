# CR2 reference numbers (src/cr2.ts): clubSandwich's bias-reduced cluster-robust covariance and
# Satterthwaite t tests on the GLM fitted at the estimated theta, as the issue specifies:
#   theta <- glm.nb(f)$theta;  g <- glm(f, family = negative.binomial(theta))   (NB2)
#   g <- glm(f, family = poisson)                                               (Poisson)
#   vcovCR(g, cluster, type = "CR2");  coef_test(g, vcov = V, test = "Satterthwaite")
# Also pt/qt values for the Student t functions. Run from packages/estimation:
#   Rscript reference/make_cr2_fixtures.R
suppressPackageStartupMessages({ library(MASS); library(clubSandwich) })
options(contrasts = c("contr.treatment", "contr.treatment"))
CTRL <- glm.control(epsilon = 1e-12, maxit = 200)

num <- function(x) ifelse(is.na(x), "null", ifelse(abs(x) < 1e15 & x == round(x), sprintf("%.0f", x), sprintf("%.17g", x)))
json_vec <- function(x) paste0("[", paste(if (is.character(x)) paste0('"', x, '"') else num(x), collapse = ", "), "]")
json_mat <- function(m) paste0("[", paste(apply(m, 1, json_vec), collapse = ", "), "]")

fixture <- function(name, data, formula, cluster, family) {
  f <- as.formula(formula)
  if (family == "negbin2") {
    theta <- glm.nb(f, data = data, control = CTRL, method = "glm.fit")$theta
    g <- glm(f, data = data, family = negative.binomial(theta), control = CTRL)
  } else {
    theta <- NA
    g <- glm(f, data = data, family = poisson, control = CTRL)
  }
  V <- vcovCR(g, cluster = data[[cluster]], type = "CR2")
  ct <- coef_test(g, vcov = V, test = "Satterthwaite")
  lines <- c(
    "{",
    sprintf('  "name": "%s",', name),
    sprintf('  "formula": "%s",', formula),
    sprintf('  "family": "%s",', family),
    sprintf('  "cluster": "%s",', cluster),
    sprintf('  "clusters": %d,', length(unique(data[[cluster]]))),
    sprintf('  "theta": %s,', num(theta)),
    sprintf('  "terms": %s,', json_vec(names(coef(g)))),
    sprintf('  "estimates": %s,', json_vec(unname(coef(g)))),
    sprintf('  "stdErrors": %s,', json_vec(unname(ct$SE))),
    sprintf('  "df": %s,', json_vec(unname(ct$df_Satt))),
    sprintf('  "pValues": %s,', json_vec(unname(ct$p_Satt))),
    sprintf('  "covariance": %s', json_mat(unclass(V)[, , drop = FALSE])),
    "}"
  )
  writeLines(lines, file.path("src", "__fixtures__", "terms", paste0("cr2-", name, ".json")))
}

epil <- read.csv("reference/data/epil.csv", stringsAsFactors = FALSE)
fixture("epil", epil, "y ~ log(base) + sqrt(age) + factor(period) + factor(trt)", "subject", "negbin2")
fixture("epil-poisson", epil, "y ~ log(base) + log(age) + factor(period) + factor(trt)", "subject", "poisson")
ins <- read.csv("reference/data/insurance_raw.csv", stringsAsFactors = FALSE)
fixture("insurance", ins, "Claims ~ log(Holders) + factor(Age)", "District", "poisson")

# Student t: P(|T| > t) and quantiles at fractional df.
cases <- expand.grid(t = c(0.1, 1.3, 2.5, 7), df = c(1.7, 3.2, 12.5, 58))
qs <- expand.grid(q = c(0.975, 0.995, 0.6, 0.025), df = c(1.7, 3.2, 12.5, 58))
lines <- c("{",
  sprintf('  "t": %s,', json_vec(cases$t)), sprintf('  "df": %s,', json_vec(cases$df)),
  sprintf('  "twoSided": %s,', json_vec(2 * pt(cases$t, cases$df, lower.tail = FALSE))),
  sprintf('  "q": %s,', json_vec(qs$q)), sprintf('  "qDf": %s,', json_vec(qs$df)),
  sprintf('  "quantile": %s', json_vec(qt(qs$q, qs$df))), "}")
writeLines(lines, file.path("src", "__fixtures__", "terms", "student-t.json"))
