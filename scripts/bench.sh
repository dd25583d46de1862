#!/usr/bin/env bash
# make bench: the benchmarks of docs/benchmarks.md on this machine, against a throwaway PostgreSQL database
# (fsp_bench, created and dropped here). PostgreSQL comes from DATABASE_URL's server, else 127.0.0.1:5432.
# The API load is driven by wrk (Debian package `wrk`), installed here when missing; without it bench/run.py
# falls back to scripts/load.py and says so, since a Python client on the same cores caps what it measures.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  if command -v apt-get >/dev/null; then
    SUDO=""
    [ "$(id -u)" = "0" ] || SUDO="sudo -n"
    echo "Installing wrk (the API load generator)"
    ($SUDO apt-get install -y -qq wrk >/dev/null 2>&1 \
      || ($SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)) \
      || echo "Could not install wrk: the API part falls back to scripts/load.py" >&2
  else
    echo "wrk is not installed and there is no apt-get: the API part falls back to scripts/load.py" >&2
  fi
fi
exec .venv/bin/python -m bench.run "$@"
