# Usage: Rscript bench/fit-csv-r.R <csv>
# The whole job an R user would time: read.csv, then MASS::glm.nb with default control.
# Prints the log-likelihood so the runner can check agreement.
suppressPackageStartupMessages(library(MASS))
d <- read.csv(commandArgs(trailingOnly = TRUE)[1])
fit <- glm.nb(y ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8, data = d)
cat(sprintf('{"logLikelihood": %.10g}\n', as.numeric(logLik(fit))))
