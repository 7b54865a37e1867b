#!/bin/sh
# Regenerates the reference data (reference/data/*.csv) and fixtures (src/__fixtures__/*.json).
# Needs R with MASS and sandwich, and /usr/bin/python3 with statsmodels (tools only, not runtime deps).
set -eu
cd "$(dirname "$0")/.."
Rscript reference/make_fixtures.R
/usr/bin/python3 reference/make_fixtures_oim.py
