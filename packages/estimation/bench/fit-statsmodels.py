# Usage: /usr/bin/python3 bench/fit-statsmodels.py <csv> <poisson|negbin2> <repeats>
# Times only the fit (after reading): NegativeBinomial by Newton (as the reference) and
# GLM Poisson (IRLS). Prints one JSON line.
import json, statistics, sys, time
import warnings
import pandas as pd
import statsmodels.api as sm

warnings.simplefilter("ignore")
path, family, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = pd.read_csv(path)
y = d["y"].to_numpy()
X = sm.add_constant(d[["x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8"]].to_numpy())
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    if family == "negbin2":
        fit = sm.NegativeBinomial(y, X).fit(method="newton", disp=0, maxiter=100)
        alpha = float(fit.params[-1])
    else:
        fit = sm.GLM(y, X, family=sm.families.Poisson()).fit()
        alpha = None
    times.append(1000 * (time.perf_counter() - t0))
print(json.dumps({"medianMs": statistics.median(times), "minMs": min(times), "alpha": alpha, "logLikelihood": float(fit.llf)}))
