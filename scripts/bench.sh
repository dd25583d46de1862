#!/usr/bin/env bash
# make bench: the benchmarks of docs/benchmarks.md on this machine, against a throwaway PostgreSQL database
# (fsp_bench, created and dropped here). PostgreSQL comes from DATABASE_URL's server, else 127.0.0.1:5432.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m bench.run "$@"
