# Usage: Rscript bench/fit-r.R <csv> <poisson|negbin2> <repeats>
# Times only the fit (system.time after reading), default control settings. Prints one JSON line.
suppressPackageStartupMessages(library(MASS))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], colClasses = "numeric")
family <- args[2]
repeats <- as.integer(args[3])
f <- y ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8
times <- numeric(repeats)
for (r in seq_len(repeats)) {
  gc()
  times[r] <- system.time(
    fit <- if (family == "negbin2") glm.nb(f, data = d) else glm(f, family = poisson, data = d)
  )[["elapsed"]]
}
alpha <- if (family == "negbin2") 1 / fit$theta else NA
cat(sprintf('{"medianMs": %.3f, "minMs": %.3f, "alpha": %s, "logLikelihood": %.10g}\n',
            1000 * median(times), 1000 * min(times), ifelse(is.na(alpha), "null", sprintf("%.10g", alpha)),
            as.numeric(logLik(fit))))
