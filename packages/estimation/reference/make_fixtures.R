# Reference numbers for @govdiffusion/estimation, computed with R (MASS::glm.nb, glm, sandwich).
#
# Run from packages/estimation:  Rscript reference/make_fixtures.R
# (reference/make_all.sh runs this and then make_fixtures_oim.py, which adds statsmodels' OIM numbers.)
#
# Steps per dataset:
#   1. build the numeric design columns (treatment-coded dummies, as R's default contrasts) and write
#      them to reference/data/<name>.csv;
#   2. read that CSV back and fit on exactly those numbers (so R and the TypeScript test see the same data);
#   3. write src/__fixtures__/<name>.json with the R numbers (shape documented in reference/README.md).
# R is a tool for making fixtures only; nothing here is a runtime dependency.

suppressPackageStartupMessages({
  library(MASS)
  library(sandwich)
})
options(contrasts = c("contr.treatment", "contr.treatment"))

args <- commandArgs(trailingOnly = FALSE)
script_dir <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
pkg_dir <- dirname(script_dir)
data_dir <- file.path(script_dir, "data")
fixture_dir <- file.path(pkg_dir, "src", "__fixtures__")
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)
dir.create(fixture_dir, showWarnings = FALSE, recursive = TRUE)

CTRL <- glm.control(epsilon = 1e-12, maxit = 200)

# ---------------------------------------------------------------------------------------------
# Minimal JSON writer (jsonlite is not installed). Doubles are written with 17 significant
# digits, which round-trips every IEEE double exactly.
num_json <- function(x) {
  if (is.na(x) || !is.finite(x)) return("null")
  if (x == round(x) && abs(x) < 1e15) return(sprintf("%.0f", x))
  sprintf("%.17g", x)
}
to_json <- function(x, indent = 0) {
  pad <- strrep("  ", indent + 1)
  end <- strrep("  ", indent)
  if (is.null(x)) return("null")
  if (inherits(x, "AsIs")) { # force an array even for length 1
    x <- unclass(x)
    return(paste0("[", paste(vapply(x, function(v) to_json(v, indent + 1), ""), collapse = ", "), "]"))
  }
  if (is.list(x)) {
    if (!is.null(names(x))) {
      items <- vapply(seq_along(x), function(i) {
        paste0(pad, '"', names(x)[i], '": ', to_json(x[[i]], indent + 1))
      }, "")
      return(paste0("{\n", paste(items, collapse = ",\n"), "\n", end, "}"))
    }
    items <- vapply(x, function(v) to_json(v, indent + 1), "")
    return(paste0("[", paste(items, collapse = ", "), "]"))
  }
  if (is.matrix(x)) {
    rows <- vapply(seq_len(nrow(x)), function(i) to_json(I(as.vector(x[i, ])), indent + 1), "")
    return(paste0("[\n", paste0(pad, rows, collapse = ",\n"), "\n", end, "]"))
  }
  if (is.character(x)) {
    s <- paste0('"', gsub('"', '\\"', x, fixed = TRUE), '"')
    if (length(x) == 1 && is.null(names(x))) return(s)
    if (!is.null(names(x))) return(to_json(as.list(x), indent))
    return(paste0("[", paste(s, collapse = ", "), "]"))
  }
  if (is.logical(x) && length(x) == 1 && is.null(names(x))) {
    return(if (is.na(x)) "null" else if (x) "true" else "false")
  }
  if (is.numeric(x)) {
    if (!is.null(names(x))) return(to_json(as.list(x), indent))
    if (length(x) == 1) return(num_json(x))
    return(paste0("[", paste(vapply(x, num_json, ""), collapse = ", "), "]"))
  }
  stop("to_json: unsupported type ", class(x))
}
cov_json <- function(v) list(terms = I(rownames(v)), matrix = unname(v))

# CSV writer: integers as integers, other numbers with 15 significant digits (what both R's
# reader and JavaScript's Number() parse to the same double), strings unquoted (no commas used).
write_data_csv <- function(df, file) {
  cols <- lapply(df, function(col) {
    if (is.numeric(col)) {
      ifelse(col == round(col) & abs(col) < 1e15, sprintf("%.0f", col), sprintf("%.15g", col))
    } else {
      as.character(col)
    }
  })
  lines <- c(paste(names(df), collapse = ","), do.call(paste, c(cols, sep = ",")))
  writeLines(lines, file)
}

# ---------------------------------------------------------------------------------------------
# glm.nb with a tight theta. glm.nb calls theta.ml with the default eps = .Machine$double.eps^0.25
# (~1e-4, absolute change of theta), which leaves theta accurate to only ~1e-8. This copy of glm.nb
# sees a theta.ml that runs the same Newton iteration (same score and information as MASS::theta.ml)
# until the step is below 1e-13 relative, so glm.nb's alternation converges to ~1e-12 everywhere.
tight_theta_ml <- function(y, mu, n = sum(weights), weights, limit = 200, eps, trace = FALSE) {
  score <- function(th) sum(weights * (digamma(th + y) - digamma(th) + log(th) + 1 - log(th + mu) - (y + th) / (mu + th)))
  info <- function(th) sum(weights * (-trigamma(th + y) + trigamma(th) - 1 / th + 2 / (mu + th) - (y + th) / (mu + th)^2))
  if (missing(weights)) weights <- rep(1, length(y))
  t0 <- n / sum(weights * (y / mu - 1)^2)
  it <- 0
  del <- 1
  while ((it <- it + 1) < max(limit, 200) && abs(del) > 1e-13 * max(1, abs(t0))) {
    t0 <- abs(t0)
    del <- score(t0) / (i <- info(t0))
    t0 <- t0 + del
  }
  if (t0 < 0) {
    t0 <- 0
    attr(t0, "warn") <- "estimate truncated at zero"
  }
  if (it >= max(limit, 200)) attr(t0, "warn") <- "iteration limit reached"
  attr(t0, "SE") <- sqrt(1 / info(as.vector(t0))) # information at the final theta
  t0
}
tight_env <- new.env(parent = asNamespace("MASS"))
tight_env$theta.ml <- tight_theta_ml
glm_nb_tight <- MASS::glm.nb
environment(glm_nb_tight) <- tight_env

# (X' diag(W) X)^-1 computed on max-scaled columns (the hard-scales design is otherwise singular to solve()).
inv_info <- function(X, W) {
  D <- apply(abs(X), 2, max)
  Xs <- sweep(X, 2, D, "/")
  solve(crossprod(Xs, W * Xs)) / outer(D, D)
}

# Joint Newton iterations for (beta, theta) on the full NB2 log-likelihood (analytic gradient and Hessian).
nb2_newton_polish <- function(X, y, w, off, beta, theta, iters = 20) {
  # Work on columns scaled to max |x| = 1 so the Hessian is well conditioned (hard-scales fixture).
  D <- apply(abs(X), 2, max)
  X <- sweep(X, 2, D, "/")
  beta <- beta * D
  for (it in seq_len(iters)) {
    mu <- drop(exp(X %*% beta + off))
    th <- theta
    gb <- colSums(w * X * (y - mu) * th / (th + mu))
    gt <- sum(w * (digamma(th + y) - digamma(th) + log(th) + 1 - log(th + mu) - (y + th) / (mu + th)))
    Hbb <- -crossprod(X, w * mu * th * (th + y) / (th + mu)^2 * X)
    Hbt <- colSums(w * X * (y - mu) * mu / (th + mu)^2)
    Htt <- sum(w * (trigamma(th + y) - trigamma(th) + 1 / th - 2 / (th + mu) + (y + th) / (th + mu)^2))
    H <- rbind(cbind(Hbb, Hbt), c(Hbt, Htt))
    step <- solve(H, c(gb, gt))
    beta <- beta - step[seq_along(beta)]
    theta <- theta - step[length(step)]
    if (max(abs(step) / pmax(abs(c(beta, theta)), 1e-8)) < 1e-15) break
  }
  list(beta = unname(beta / D), theta = unname(theta), iterations = it)
}

# NB2 log-likelihood without catastrophic cancellation for large y:
#   lgamma(theta + y) - lgamma(theta) - lgamma(y + 1) = -lbeta(theta, y + 1) - log(theta + y)
#   theta log(theta) + y log(mu) - (theta + y) log(theta + mu) = y log(mu / (theta + mu)) + theta log(theta / (theta + mu))
nb2_loglik_stable <- function(y, mu, theta, w) {
  sum(w * (-lbeta(theta, y + 1) - log(theta + y) + y * log(mu / (theta + mu)) + theta * log(theta / (theta + mu))))
}

# Score of the full NB2 log-likelihood in (beta, theta) at the fit: a convergence check.
nb2_score <- function(fit, X, y, w) {
  mu <- fitted(fit)
  th <- fit$theta
  c(colSums(w * X * (y - mu) / (1 + mu / th)),
    theta = sum(w * (digamma(th + y) - digamma(th) + log(th) + 1 - log(th + mu) - (y + th) / (mu + th))))
}

# Average marginal effects dE[y]/dx_j = mean(beta_j * mu_i) over the fitted rows, with delta-method
# SEs: gradient wrt beta_k is mean(1[j = k] * mu_i + beta_j * mu_i * x_ik) (x_i0 = 1 for the intercept).
marginal_effects <- function(beta, X, mu, V, predictors) {
  out <- list()
  for (p in predictors) {
    j <- match(p, names(beta))
    est <- mean(beta[j] * mu)
    g <- colMeans(beta[j] * mu * X)
    g[j] <- g[j] + mean(mu)
    se <- sqrt(as.numeric(t(g) %*% V %*% g))
    out[[p]] <- list(estimate = est, stdError = se)
  }
  out
}

coef_table <- function(fit, V) {
  b <- coef(fit)
  se <- sqrt(diag(V))
  z <- b / se
  q <- qnorm(0.975)
  lapply(setNames(names(b), names(b)), function(t) {
    list(estimate = b[[t]], stdError = se[[t]], z = z[[t]], pValue = 2 * pnorm(-abs(z[[t]])),
         ciLower = b[[t]] - q * se[[t]], ciUpper = b[[t]] + q * se[[t]])
  })
}

robust_set <- function(fit, clusters, X, predictors) {
  n <- nrow(X)
  k <- ncol(X)
  hc0 <- sandwich::vcovHC(fit, type = "HC0")
  hc1 <- sandwich::vcovHC(fit, type = "HC1")
  # vcovHC's HC1 is HC0 * n / (n - k) with k = number of regression coefficients.
  stopifnot(max(abs(hc1 - hc0 * n / (n - k))) < 1e-12 * max(abs(hc1)))
  out <- list(hc0 = list(stdErrors = sqrt(diag(hc0)), covariance = cov_json(hc0),
                         marginalEffects = marginal_effects(coef(fit), X, fitted(fit), hc0, predictors)),
              hc1 = list(stdErrors = sqrt(diag(hc1)), covariance = cov_json(hc1),
                         marginalEffects = marginal_effects(coef(fit), X, fitted(fit), hc1, predictors)))
  cl <- list()
  for (cname in names(clusters)) {
    vcl <- sandwich::vcovCL(fit, cluster = clusters[[cname]], type = "HC0", cadjust = TRUE)
    cl[[cname]] <- list(groups = length(unique(clusters[[cname]])), stdErrors = sqrt(diag(vcl)),
                        covariance = cov_json(vcl),
                        marginalEffects = marginal_effects(coef(fit), X, fitted(fit), vcl, predictors))
  }
  out$cluster <- cl
  out
}

# One dataset: NB2 (glm.nb) and Poisson (glm) with the full set of statistics.
#   d: data frame read back from the CSV; offset_col: column on the log scale used as offset (or NULL);
#   clusters: named list of cluster vectors (names = CSV column names).
fit_dataset <- function(d, outcome, predictors, offset_col = NULL, clusters = list(), nb2 = TRUE, ctrl = CTRL) {
  y <- d[[outcome]]
  n <- length(y)
  w <- rep(1, n)
  off <- if (is.null(offset_col)) rep(0, n) else d[[offset_col]]
  rhs <- paste(predictors, collapse = " + ")
  # The offset goes in the formula: MASS::glm.nb has no `offset` argument (an `offset =` would be
  # swallowed by `...` and silently ignored).
  off_term <- if (is.null(offset_col)) "" else paste0(" + offset(", offset_col, ")")
  f <- as.formula(paste(outcome, "~", rhs, off_term))
  f0 <- as.formula(paste(outcome, "~ 1", off_term))
  X <- cbind("(Intercept)" = 1, as.matrix(d[predictors]))
  res <- list()
  # The call strings report the control actually used (quine_big_counts uses epsilon = 1e-10).
  ctrl_text <- sprintf("glm.control(epsilon = %g, maxit = %d)", ctrl$epsilon, as.integer(ctrl$maxit))

  vif <- diag(solve(cor(X[, predictors, drop = FALSE])))
  predictor_sd <- vapply(predictors, function(p) sd(d[[p]]), 0)

  # ---- Poisson
  pois <- glm(f, family = poisson, data = d, control = ctrl)
  # glm.fit's final working weights (hence vcov) are those of the penultimate iterate, which can be
  # ~1e-7 away from the optimum; refitting from the converged coefficients puts them at the optimum.
  for (rep in 1:3) pois <- glm(f, family = poisson, data = d, control = ctrl, start = coef(pois))
  stopifnot(pois$converged)
  stopifnot(max(abs(drop(X %*% coef(pois)) + off - pois$linear.predictors)) < 1e-10)
  pois_score <- colSums(X * (y - fitted(pois)))
  pois0 <- glm(f0, family = poisson, data = d, control = ctrl)
  Vp <- vcov(pois)
  # vcov must be the inverse expected information at the reported coefficients.
  stopifnot(max(abs(sqrt(diag(inv_info(X, w * fitted(pois)))) / sqrt(diag(Vp)) - 1)) < 1e-11)
  llp <- logLik(pois)
  res$poisson <- list(
    call = paste0("glm(", paste(deparse(f, width.cutoff = 500L), collapse = ""), ", family = poisson, control = ", ctrl_text, ")"),
    converged = pois$converged,
    iterations = pois$iter,
    coefficients = coef(pois),
    stdErrors = sqrt(diag(Vp)),
    table = coef_table(pois, Vp),
    covariance = cov_json(Vp),
    fitted = unname(fitted(pois)),
    logLik = as.numeric(llp),
    logLikDf = attr(llp, "df"),
    nullLogLik = as.numeric(logLik(pois0)),
    aic = AIC(pois),
    bic = BIC(pois),
    deviance = deviance(pois),
    nullDeviance = pois$null.deviance,
    dfResidual = pois$df.residual,
    pearsonChi2 = sum(residuals(pois, "pearson")^2),
    pseudoR2 = 1 - as.numeric(llp) / as.numeric(logLik(pois0)),
    marginalEffects = marginal_effects(coef(pois), X, fitted(pois), Vp, predictors),
    robust = robust_set(pois, clusters, X, predictors),
    # Cameron-Trivedi score of alpha at alpha = 0 (the Poisson fit): d ll_NB2 / d alpha = sum(((y - mu)^2 - y) / 2).
    # <= 0 means the NB2 likelihood is maximised at the boundary alpha = 0.
    alphaScoreAtPoisson = sum(((y - fitted(pois))^2 - y) / 2),
    # Convergence check: score scaled by the column's scale, and the Newton step relative to the SEs.
    check = list(scoreMaxAbs = max(abs(pois_score)),
                 newtonStepOverSe = max(abs(Vp %*% pois_score) / sqrt(diag(Vp))))
  )

  if (nb2) {
    # ---- NB2: tight glm.nb, refitted from its own theta until theta is stable.
    nb <- glm_nb_tight(f, data = d, control = ctrl)
    for (rep in 1:5) {
      nb_again <- glm_nb_tight(f, data = d, control = ctrl, init.theta = nb$theta)
      stable <- abs(nb_again$theta - nb$theta) <= 1e-11 * nb$theta &&
        max(abs(coef(nb_again) - coef(nb)) / pmax(abs(coef(nb)), 1e-300)) <= 1e-11
      nb <- nb_again
      if (stable) break
    }
    stopifnot(nb$converged, is.null(nb$th.warn))
    # glm.fit's stopping rule (relative deviance change < epsilon) leaves the coefficients of the
    # non-canonical NB2 link accurate to only ~1e-7..1e-5 relative (score ~1e-6). Polish (beta, theta)
    # by joint Newton on the full log-likelihood, then rerun glm.nb from the polished values so that
    # the returned object (used by summary, logLik, sandwich) sits at the optimum to rounding error.
    pol <- nb2_newton_polish(X, y, w, off, coef(nb), nb$theta)
    nb <- glm_nb_tight(f, data = d, control = ctrl, start = pol$beta, init.theta = pol$theta)
    stopifnot(nb$converged, is.null(nb$th.warn))
    # The offset really is in the model: eta = X beta + offset.
    stopifnot(max(abs(drop(X %*% coef(nb)) + off - nb$linear.predictors)) < 1e-10)
    sc <- nb2_score(nb, X, y, w)
    nb0 <- suppressWarnings(glm_nb_tight(f0, data = d, control = ctrl))
    s <- summary(nb)
    Vn <- vcov(nb) # = summary(nb)$cov.scaled, dispersion 1: expected information, theta known
    stopifnot(max(abs(sqrt(diag(inv_info(X, w * fitted(nb) / (1 + fitted(nb) / nb$theta)))) / sqrt(diag(Vn)) - 1)) < 1e-11)
    stopifnot(max(abs(Vn - s$cov.scaled)) == 0)
    lln <- logLik(nb)
    # MASS's logLik sums lgamma(theta + y) - lgamma(y + 1) and y log(mu) - (theta + y) log(theta + mu),
    # which cancel badly for large counts (~1e-7 absolute at y ~ 1e7). The reference uses the stable form.
    ll_nb <- nb2_loglik_stable(y, fitted(nb), nb$theta, w)
    # Intercept-only NB2 (own theta), polished by joint Newton like the full model; glm.nb's own
    # alternation test uses the cancelling log-likelihood and may stop short for large counts.
    X0 <- X[, 1, drop = FALSE]
    pol0 <- nb2_newton_polish(X0, y, w, off, coef(nb0), nb0$theta)
    ll_nb0 <- nb2_loglik_stable(y, drop(exp(X0 %*% pol0$beta + off)), pol0$theta, w)
    stopifnot(abs(as.numeric(lln) - ll_nb) < 1e-6)
    df_nb <- attr(lln, "df")
    # Same numbers from the factor-free formula MASS documents (sanity check of the tightness):
    mass_default <- suppressWarnings(glm.nb(f, data = d, control = ctrl))
    res$nb2 <- list(
      call = paste0("glm.nb(", paste(deparse(f, width.cutoff = 500L), collapse = ""), ", control = ", ctrl_text, ") with theta.ml iterated to 1e-13"),
      converged = nb$converged,
      coefficients = coef(nb),
      stdErrors = sqrt(diag(Vn)),
      table = coef_table(nb, Vn),
      covariance = cov_json(Vn),
      fitted = unname(fitted(nb)),
      theta = nb$theta,
      thetaStdError = nb$SE.theta,
      alpha = 1 / nb$theta,
      alphaStdErrorDelta = nb$SE.theta / nb$theta^2,
      logLik = ll_nb,
      logLikDf = df_nb,
      nullLogLik = ll_nb0,
      nullTheta = pol0$theta,
      aic = -2 * ll_nb + 2 * df_nb,
      bic = -2 * ll_nb + log(n) * df_nb,
      deviance = deviance(nb),
      nullDeviance = nb$null.deviance,
      dfResidual = nb$df.residual,
      pearsonChi2 = sum(residuals(nb, "pearson")^2),
      pseudoR2 = 1 - ll_nb / ll_nb0,
      lrTest = list(statistic = 2 * (ll_nb - as.numeric(llp)),
                    pValue = 0.5 * pchisq(2 * (ll_nb - as.numeric(llp)), 1, lower.tail = FALSE)),
      marginalEffects = marginal_effects(coef(nb), X, fitted(nb), Vn, predictors),
      robust = robust_set(nb, clusters, X, predictors),
      check = list(
        logLikMinusMassLogLik = ll_nb - as.numeric(lln),
        aicMinusMassAic = (-2 * ll_nb + 2 * df_nb) - AIC(nb),
        nullLogLikMinusMass = ll_nb0 - as.numeric(logLik(nb0)),
        scoreMaxAbs = max(abs(sc)),
        newtonStepRelMax = {
          p2 <- nb2_newton_polish(X, y, w, off, coef(nb), nb$theta, iters = 1)
          max(abs(c(p2$beta, p2$theta) - c(coef(nb), nb$theta)) / abs(c(coef(nb), nb$theta)))
        },
        thetaDiffVsDefaultGlmNb = abs(mass_default$theta - nb$theta) / nb$theta,
        coefMaxRelDiffVsDefaultGlmNb = max(abs(coef(mass_default) - coef(nb)) / abs(coef(nb)))
      )
    )
  }
  list(n = n, vif = vif, predictorSd = predictor_sd, r = res)
}

write_fixture <- function(name, dataset, csv, spec, fitres, notes) {
  obj <- list(
    dataset = dataset,
    csv = csv,
    notes = notes,
    spec = spec,
    n = fitres$n,
    vif = fitres$vif,
    predictorSd = fitres$predictorSd,
    r = fitres$r,
    generatedBy = paste0("reference/make_fixtures.R with ", R.version.string, ", MASS ", packageVersion("MASS"),
                         ", sandwich ", packageVersion("sandwich"))
  )
  obj$rPriorWeights <- fitres$rPriorWeights # only for the weights fixture (NULL leaves it out)
  writeLines(to_json(obj), file.path(fixture_dir, paste0(name, ".json")))
  cat("wrote", name, "\n")
}

spec_list <- function(outcome, predictors, offset = NULL, exposure = NULL, clusters = character()) {
  s <- list(outcome = outcome, predictors = I(predictors))
  if (!is.null(offset)) s$offset <- offset
  if (!is.null(exposure)) s$exposure <- exposure
  s$clusters <- I(clusters)
  s
}

# =============================================================================================
# 1. MASS quine: Days ~ Eth + Sex + Age + Lrn (treatment dummies, R's default coding).
q <- MASS::quine
quine_df <- data.frame(
  id = seq_len(nrow(q)),
  Days = q$Days,
  EthN = as.integer(q$Eth == "N"),
  SexM = as.integer(q$Sex == "M"),
  AgeF1 = as.integer(q$Age == "F1"),
  AgeF2 = as.integer(q$Age == "F2"),
  AgeF3 = as.integer(q$Age == "F3"),
  LrnSL = as.integer(q$Lrn == "SL"),
  # Clusters for the cluster-robust comparison: 15 blocks of 10 consecutive rows (quine is sorted by
  # Eth, Sex, Age, Lrn, so blocks are fairly homogeneous) and the 4 Eth x Sex cells as string labels.
  Block = (seq_len(nrow(q)) - 1) %/% 10 + 1,
  EthSex = paste0(q$Eth, "_", q$Sex),
  # Artificial exposure for an offset comparison on quine (documented in README): 1..5 by row.
  Exposure = 1 + seq_len(nrow(q)) %% 5,
  # Frequency weights for the weights comparison: 1..3 by row.
  Freq = 1 + seq_len(nrow(q)) %% 3,
  # Counts near 1e7 for the large-counts fixture.
  Days_1e5 = q$Days * 100000,
  stringsAsFactors = FALSE
)
quine_df$LogExposure <- log(quine_df$Exposure)
write_data_csv(quine_df, file.path(data_dir, "quine.csv"))
qd <- read.csv(file.path(data_dir, "quine.csv"), stringsAsFactors = FALSE)
quine_pred <- c("EthN", "SexM", "AgeF1", "AgeF2", "AgeF3", "LrnSL")

# The dummy-coded fit must reproduce the factor formula exactly.
fac <- glm.nb(Days ~ Eth + Sex + Age + Lrn, data = MASS::quine, control = CTRL)
dum <- glm.nb(Days ~ EthN + SexM + AgeF1 + AgeF2 + AgeF3 + LrnSL, data = qd, control = CTRL)
stopifnot(max(abs(unname(coef(fac)) - unname(coef(dum)))) < 1e-12)

quine_fit <- fit_dataset(qd, "Days", quine_pred, clusters = list(Block = qd$Block, EthSex = qd$EthSex))
write_fixture("quine", "MASS::quine", "reference/data/quine.csv",
              spec_list("Days", quine_pred, clusters = c("Block", "EthSex")), quine_fit,
              "Days ~ Eth + Sex + Age + Lrn as treatment dummies; clusters: Block (15 groups of 10 consecutive rows), EthSex (4 groups, string labels)")

# 1b. quine with an artificial offset log(Exposure), Exposure = 1 + id %% 5 (numerical comparison only).
quine_off_fit <- fit_dataset(qd, "Days", quine_pred, offset_col = "LogExposure",
                             clusters = list(Block = qd$Block, EthSex = qd$EthSex))
write_fixture("quine_offset", "MASS::quine with artificial exposure", "reference/data/quine.csv",
              spec_list("Days", quine_pred, offset = "LogExposure", exposure = "Exposure", clusters = c("Block", "EthSex")),
              quine_off_fit,
              "Same as quine plus offset LogExposure = log(Exposure), Exposure = 1 + (id %% 5); not a real exposure, only a numerical check of offset handling. spec.offset and spec.exposure are alternatives giving the same fit.")

# 1b'. quine with frequency weights Freq = 1 + id %% 3. Frequency weights mean replicated rows, so
#      the reference is the fit on the expanded data (each row repeated Freq times); this also fixes
#      the meaning of the sandwich (meat sum_i w_i s_i s_i', as Stata's fweights) and of the cluster
#      sums. `fitted` is reported per original row. n, dfResidual, BIC, vif and predictorSd are those
#      of the expanded data (sum(Freq) rows).
expand_idx <- rep(seq_len(nrow(qd)), qd$Freq)
qx <- qd[expand_idx, ]
quine_w_fit <- fit_dataset(qx, "Days", quine_pred, clusters = list(Block = qx$Block, EthSex = qx$EthSex))
first_row <- match(seq_len(nrow(qd)), expand_idx)
quine_w_fit$r$poisson$fitted <- quine_w_fit$r$poisson$fitted[first_row]
quine_w_fit$r$nb2$fitted <- quine_w_fit$r$nb2$fitted[first_row]
# R's own weighted fit (prior weights) agrees on the estimates, theta and logLik:
wnb <- glm_nb_tight(Days ~ EthN + SexM + AgeF1 + AgeF2 + AgeF3 + LrnSL, data = qd, weights = Freq, control = CTRL)
stopifnot(max(abs(coef(wnb) - quine_w_fit$r$nb2$coefficients) / abs(coef(wnb))) < 1e-8,
          abs(wnb$theta / quine_w_fit$r$nb2$theta - 1) < 1e-8,
          abs(as.numeric(logLik(wnb)) - quine_w_fit$r$nb2$logLik) < 1e-7)
# For comparison only (not the reference): R's own conventions for prior weights, which count rows
# (nobs = 146) and use the meat sum_i w_i^2 s_i s_i' in sandwich::vcovHC.
wpois <- glm(Days ~ EthN + SexM + AgeF1 + AgeF2 + AgeF3 + LrnSL, family = poisson, data = qd, weights = Freq, control = CTRL)
wpois <- glm(Days ~ EthN + SexM + AgeF1 + AgeF2 + AgeF3 + LrnSL, family = poisson, data = qd, weights = Freq, control = CTRL, start = coef(wpois))
prior_w <- function(m) list(nobs = nobs(m), dfResidual = m$df.residual, bic = BIC(m),
                            hc0StdErrors = sqrt(diag(sandwich::vcovHC(m, type = "HC0"))),
                            hc1StdErrors = sqrt(diag(sandwich::vcovHC(m, type = "HC1"))))
quine_w_fit$rPriorWeights <- list(
  note = "R's prior-weight conventions on the compact data (glm/glm.nb with weights = Freq); NOT the frequency-weight reference",
  poisson = prior_w(wpois), nb2 = prior_w(wnb))
quine_w_spec <- spec_list("Days", quine_pred, clusters = c("Block", "EthSex"))
quine_w_spec$weights <- "Freq"
write_fixture("quine_weights", "MASS::quine with frequency weights", "reference/data/quine.csv", quine_w_spec, quine_w_fit,
              "quine with frequency weights Freq = 1 + (id %% 3); references are fits on the expanded data (rows repeated Freq times). fitted is per CSV row; n, dfResidual, bic, vif, predictorSd refer to the expanded data.")

# 1b''. Counts near 1e7: Days * 1e5 (max 8.1e6). NB2 stays overdispersed (theta ~ 1.3); the
#       log-likelihood needs lgamma(y + theta) - lgamma(theta) at y ~ 1e7.
# glm.fit's relative-deviance test cannot reach 1e-12 here (the deviance terms cancel from ~1e7), so
# epsilon is 1e-10; the joint Newton polish still puts (beta, theta) at the optimum.
quine_big_fit <- fit_dataset(qd, "Days_1e5", quine_pred, clusters = list(Block = qd$Block),
                             ctrl = glm.control(epsilon = 1e-10, maxit = 200))
write_fixture("quine_big_counts", "MASS::quine, counts x 1e5", "reference/data/quine.csv",
              spec_list("Days_1e5", quine_pred, clusters = c("Block")), quine_big_fit,
              "quine with the outcome multiplied by 1e5 (counts up to 8.1e6): a large-counts check")

# 1c. Hard scales: EthN * 1e9 and LrnSL * 1e-6 (coefficients scale by 1e-9 and 1e6; everything else unchanged).
scaled_df <- data.frame(id = qd$id, Days = qd$Days, EthN_1e9 = qd$EthN * 1e9, SexM = qd$SexM, AgeF1 = qd$AgeF1,
                        AgeF2 = qd$AgeF2, AgeF3 = qd$AgeF3, LrnSL_1e_6 = qd$LrnSL * 1e-6, Block = qd$Block)
write_data_csv(scaled_df, file.path(data_dir, "quine_scaled.csv"))
sd_ <- read.csv(file.path(data_dir, "quine_scaled.csv"), stringsAsFactors = FALSE)
scaled_pred <- c("EthN_1e9", "SexM", "AgeF1", "AgeF2", "AgeF3", "LrnSL_1e_6")
scaled_fit <- fit_dataset(sd_, "Days", scaled_pred, clusters = list(Block = sd_$Block))
# Scaling sanity: the scaled fit is the unscaled fit with coefficients rescaled.
stopifnot(abs(scaled_fit$r$nb2$coefficients[["EthN_1e9"]] * 1e9 / quine_fit$r$nb2$coefficients[["EthN"]] - 1) < 1e-9)
stopifnot(abs(scaled_fit$r$nb2$coefficients[["LrnSL_1e_6"]] * 1e-6 / quine_fit$r$nb2$coefficients[["LrnSL"]] - 1) < 1e-9)
write_fixture("quine_scaled", "MASS::quine, rescaled predictors", "reference/data/quine_scaled.csv",
              spec_list("Days", scaled_pred, clusters = c("Block")), scaled_fit,
              "quine with EthN multiplied by 1e9 and LrnSL by 1e-6: a scaling-robustness check")

# =============================================================================================
# 2. MASS Insurance: Claims ~ District + Group + Age + offset(log(Holders)), treatment dummies
#    (Group and Age are ordered factors; R's default for ordered is contr.poly, so dummies are built by hand).
ins <- MASS::Insurance
ins_df <- data.frame(
  id = seq_len(nrow(ins)),
  Claims = ins$Claims,
  Holders = ins$Holders,
  LogHolders = log(ins$Holders),
  District = as.integer(as.character(ins$District)),
  District2 = as.integer(ins$District == "2"),
  District3 = as.integer(ins$District == "3"),
  District4 = as.integer(ins$District == "4"),
  Group1to1.5l = as.integer(ins$Group == "1-1.5l"),
  Group1.5to2l = as.integer(ins$Group == "1.5-2l"),
  GroupOver2l = as.integer(ins$Group == ">2l"),
  Age25to29 = as.integer(ins$Age == "25-29"),
  Age30to35 = as.integer(ins$Age == "30-35"),
  AgeOver35 = as.integer(ins$Age == ">35"),
  check.names = FALSE
)
write_data_csv(ins_df, file.path(data_dir, "insurance.csv"))
idd <- read.csv(file.path(data_dir, "insurance.csv"), check.names = FALSE)
names(idd) <- names(ins_df)
# R formulas need syntactic names; fit on a copy with make.names() and map the names back.
fit_with_names <- function(d, outcome, predictors, offset_col, clusters, nb2 = TRUE) {
  safe <- make.names(predictors)
  d2 <- d
  names(d2)[match(predictors, names(d2))] <- safe
  r <- fit_dataset(d2, outcome, safe, offset_col = offset_col, clusters = clusters, nb2 = nb2)
  rename <- function(x) {
    if (is.list(x)) {
      if (!is.null(names(x))) names(x) <- ifelse(names(x) %in% safe, predictors[match(names(x), safe)], names(x))
      return(lapply(x, rename))
    }
    if (!is.null(names(x))) names(x) <- ifelse(names(x) %in% safe, predictors[match(names(x), safe)], names(x))
    if (is.matrix(x)) {
      dimnames(x) <- lapply(dimnames(x), function(nm) ifelse(nm %in% safe, predictors[match(nm, safe)], nm))
    }
    if (inherits(x, "AsIs") && is.character(x)) x <- I(ifelse(unclass(x) %in% safe, predictors[match(unclass(x), safe)], unclass(x)))
    x
  }
  rename(r)
}
ins_pred <- c("District2", "District3", "District4", "Group1to1.5l", "Group1.5to2l", "GroupOver2l",
              "Age25to29", "Age30to35", "AgeOver35")
stopifnot(max(abs(unname(coef(glm(Claims ~ District + C(Group, contr.treatment) + C(Age, contr.treatment) + offset(log(Holders)),
                                      family = poisson, data = MASS::Insurance, control = CTRL))) -
                  unname(coef(glm(as.formula(paste("Claims ~", paste(make.names(ins_pred), collapse = "+"))),
                                  family = poisson, offset = LogHolders,
                                  data = setNames(idd, make.names(names(idd))), control = CTRL))))) < 1e-10)

# 2a. Full Insurance model: the NB2 likelihood is maximised at alpha = 0 (theta -> infinity; glm.nb
#     with default control reports theta ~ 4.5e5 and "iteration limit reached"; with maxit = 200
#     theta.ml runs off to a non-finite value and stops with an error). Only the Poisson numbers are references;
#     the expected NB2 answer is the boundary: alpha = 0, Poisson coefficients, LR statistic 0, p = 1.
ins_full <- fit_with_names(idd, "Claims", ins_pred, "LogHolders", list(District = idd$District), nb2 = FALSE)
glmnb_default <- suppressWarnings(glm.nb(as.formula(paste("Claims ~", paste(make.names(ins_pred), collapse = "+"), "+ offset(LogHolders)")),
                                         data = setNames(idd, make.names(names(idd)))))
ins_full$r$nb2Boundary <- list(
  note = "NB2 at the boundary: the score of alpha at the Poisson fit is <= 0, so alpha = 0 and the NB2 fit is the Poisson fit",
  alphaScoreAtPoisson = ins_full$r$poisson$alphaScoreAtPoisson,
  glmNbTheta = glmnb_default$theta,
  glmNbThetaWarning = if (is.null(glmnb_default$th.warn)) "none" else glmnb_default$th.warn,
  glmNbLogLik = as.numeric(logLik(glmnb_default))
)
stopifnot(ins_full$r$poisson$alphaScoreAtPoisson <= 0)
write_fixture("insurance", "MASS::Insurance", "reference/data/insurance.csv",
              spec_list("Claims", ins_pred, offset = "LogHolders", exposure = "Holders", clusters = c("District")), ins_full,
              "Claims ~ District + Group + Age + offset(log(Holders)), treatment dummies. NB2 alpha is at the boundary (see r.nb2Boundary); Poisson numbers are references. Cluster by District (4 groups).")

# 2b. Insurance without Group: Claims ~ District + Age + offset(log(Holders)). Clearly overdispersed
#     (theta ~ 34, SE ~ 13), a real public dataset with a real exposure for the NB2 comparisons.
ins_da_pred <- c("District2", "District3", "District4", "Age25to29", "Age30to35", "AgeOver35")
ins_da <- fit_with_names(idd, "Claims", ins_da_pred, "LogHolders", list(District = idd$District))
write_fixture("insurance_district_age", "MASS::Insurance", "reference/data/insurance.csv",
              spec_list("Claims", ins_da_pred, offset = "LogHolders", exposure = "Holders", clusters = c("District")), ins_da,
              "Claims ~ District + Age + offset(log(Holders)), treatment dummies; NB2 theta is finite (~34). Cluster by District (4 groups).")
