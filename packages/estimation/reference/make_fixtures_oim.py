"""Adds statsmodels' NB2 OIM numbers to the fixtures written by make_fixtures.R.

Run from packages/estimation with Debian's python (the pyenv python3 on PATH has no statsmodels):
    /usr/bin/python3 reference/make_fixtures_oim.py

For every src/__fixtures__/*.json that has an `r.nb2` section, fits
    statsmodels.discrete.discrete_model.NegativeBinomial(y, X, loglike_method="nb2", offset=...)
by Newton (analytic Hessian of (beta, alpha), alpha untransformed) from R's estimates, to a tight
tolerance, and stores params (betas and alpha), bse (inverse observed information of the joint
(beta, alpha) = "oim"), llf and cov_params() under the key `statsmodels`. Floats are written with
Python's repr, which round-trips exactly.
"""
import csv
import glob
import json
import os
import sys

import mpmath as mp
import numpy as np
import statsmodels
from statsmodels.discrete.discrete_model import NegativeBinomial

PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_csv(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: [r[k] for r in rows] for k in rows[0].keys()}


def high_precision_check(y, nb, pois, reps):
    """Recomputes deviance, logLik and Pearson chi2 at R's fitted means with 50-digit mpmath and
    returns R's value minus the exact one (evidence that the reference sums are not cancellation-bound)."""
    mp.mp.dps = 50
    th = mp.mpf(nb["theta"])
    mu = [mp.mpf(m) for m in nb["fitted"]]
    mup = [mp.mpf(m) for m in pois["fitted"]]
    ys = [mp.mpf(float(v)) for v in (y if reps is None else y[np.cumsum(reps) - reps])]
    w = [1] * len(ys) if reps is None else [int(r) for r in reps]
    dev = ll = pe = llp = mp.mpf(0)
    for yi, mi, pi, wi in zip(ys, mu, mup, w):
        dev += wi * 2 * ((yi * mp.log(yi / mi) if yi > 0 else 0) - (yi + th) * mp.log((yi + th) / (mi + th)))
        ll += wi * (mp.loggamma(th + yi) - mp.loggamma(th) - mp.loggamma(yi + 1) + th * mp.log(th) + yi * mp.log(mi) - (th + yi) * mp.log(th + mi))
        pe += wi * (yi - mi) ** 2 / (mi + mi ** 2 / th)
        llp += wi * (yi * mp.log(pi) - pi - mp.loggamma(yi + 1))
    return {
        "nb2DevianceMinusExact": float(mp.mpf(nb["deviance"]) - dev),
        "nb2LogLikMinusExact": float(mp.mpf(nb["logLik"]) - ll),
        "nb2PearsonMinusExact": float(mp.mpf(nb["pearsonChi2"]) - pe),
        "poissonLogLikMinusExact": float(mp.mpf(pois["logLik"]) - llp),
    }


def main():
    for path in sorted(glob.glob(os.path.join(PKG, "src", "__fixtures__", "*.json"))):
        with open(path) as fh:
            fx = json.load(fh)
        if "r" not in fx or "nb2" not in fx["r"]:
            continue
        spec = fx["spec"]
        data = read_csv(os.path.join(PKG, fx["csv"]))
        y = np.array([float(v) for v in data[spec["outcome"]]])
        preds = spec["predictors"]
        X = np.column_stack([np.ones(len(y))] + [np.array([float(v) for v in data[p]]) for p in preds])
        offset = None
        if "offset" in spec:
            offset = np.array([float(v) for v in data[spec["offset"]]])
        if "weights" in spec:
            # Frequency weights = replicated rows (as the R reference, which fits the expanded data).
            reps = np.array([int(v) for v in data[spec["weights"]]])
            y, X = np.repeat(y, reps), np.repeat(X, reps, axis=0)
            offset = None if offset is None else np.repeat(offset, reps)
        r = fx["r"]["nb2"]
        terms = ["(Intercept)"] + preds
        start = np.array([r["coefficients"][t] for t in terms] + [r["alpha"]])

        model = NegativeBinomial(y, X, loglike_method="nb2", offset=offset)
        res = model.fit(start_params=start, method="newton", maxiter=1000, tol=1e-14, disp=0)
        params = np.asarray(res.params)
        score = model.score(params)
        # Relative Newton step at the solution: how far from the optimum the reported params are.
        hess = model.hessian(params)
        step = np.linalg.solve(hess, score)
        converged = bool(res.mle_retvals["converged"])
        if not converged:
            sys.exit(f"{path}: statsmodels did not converge")
        cov = np.asarray(res.cov_params())
        names = terms + ["alpha"]
        fx["statsmodels"] = {
            "call": "NegativeBinomial(y, X, loglike_method='nb2'%s).fit(start_params=<R estimates>, method='newton', maxiter=1000, tol=1e-14)"
            % (", offset=" + spec["offset"] if offset is not None else "")
            + (" on rows repeated by " + spec["weights"] if "weights" in spec else ""),
            "version": statsmodels.__version__,
            "converged": converged,
            "iterations": int(res.mle_retvals["iterations"]),
            "params": dict(zip(names, map(float, params))),
            "bse": dict(zip(names, map(float, np.asarray(res.bse)))),
            "llf": float(res.llf),
            "covParams": {"terms": names, "matrix": cov.tolist()},
            "check": {
                "scoreMaxAbs": float(np.max(np.abs(score))),
                "newtonStepRelMax": float(np.max(np.abs(step) / np.abs(params))),
                "llfMinusRLogLik": float(res.llf - fx["r"]["nb2"]["logLik"]),
            },
        }
        fx["r"]["nb2"]["check"]["highPrecision"] = high_precision_check(y, r, fx["r"]["poisson"], reps if "weights" in spec else None)
        with open(path, "w") as fh:
            json.dump(fx, fh, indent=2)
            fh.write("\n")
        print("added statsmodels to", os.path.basename(path))


if __name__ == "__main__":
    main()
