# Usage: /usr/bin/python3 bench/fit-csv-statsmodels.py <csv>
# The whole job a Python user would time: pandas read_csv, then statsmodels NegativeBinomial by
# Newton (as the reference). Prints the log-likelihood so the runner can check agreement.
import json, sys, warnings
import pandas as pd
import statsmodels.api as sm

warnings.simplefilter("ignore")
d = pd.read_csv(sys.argv[1])
X = sm.add_constant(d[["x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8"]].to_numpy())
fit = sm.NegativeBinomial(d["y"].to_numpy(), X).fit(method="newton", disp=0, maxiter=100)
print(json.dumps({"logLikelihood": float(fit.llf)}))
