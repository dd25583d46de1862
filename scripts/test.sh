#!/usr/bin/env bash
# Runs the whole suite. PostgreSQL is taken from DATABASE_URL, else a server on 127.0.0.1:5432, else a
# throwaway cluster started here with initdb/pg_ctl, else SQLite with the PostgreSQL-only tests skipped.
# With CI=true a missing PostgreSQL is an error, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

pg_reachable() {
  "$BIN/python" - "$1" <<'PY' >/dev/null 2>&1
import sys, psycopg
psycopg.connect(sys.argv[1], connect_timeout=3).close()
PY
}

ensure_database() {
  "$BIN/python" - "$DATABASE_URL" <<'PY'
import sys
from urllib.parse import urlsplit, urlunsplit
import psycopg
from psycopg import sql
url = urlsplit(sys.argv[1])
name = url.path.lstrip("/")
admin = urlunsplit(url._replace(path="/postgres"))
with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
PY
}

cleanup_cluster() {
  if [ -n "${PG_TMP:-}" ]; then
    $PG_AS pg_ctl -D "$PG_TMP/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}

start_throwaway_cluster() {
  PG_TMP=$(mktemp -d)
  PG_AS=""
  if [ "$(id -u)" = "0" ]; then
    id postgres >/dev/null 2>&1 || return 1
    chown postgres "$PG_TMP"
    PG_AS="runuser -u postgres --"
  fi
  local port=54329
  $PG_AS initdb -D "$PG_TMP/data" -U postgres -A trust >/dev/null || return 1
  $PG_AS pg_ctl -D "$PG_TMP/data" -o "-p $port -k $PG_TMP -h 127.0.0.1" -l "$PG_TMP/log" -w start >/dev/null || return 1
  trap cleanup_cluster EXIT
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/flight_schedule_pro"
}

if [ -n "${DATABASE_URL:-}" ]; then
  echo "Tests use PostgreSQL from DATABASE_URL."
elif pg_reachable "postgres://postgres@127.0.0.1:5432/postgres"; then
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/flight_schedule_pro"
  echo "Tests use the PostgreSQL server on 127.0.0.1:5432."
elif command -v initdb >/dev/null && command -v pg_ctl >/dev/null && start_throwaway_cluster; then
  echo "Tests use a throwaway PostgreSQL cluster started for this run."
elif [ "${CI:-}" = "true" ]; then
  echo "CI=true and no PostgreSQL is available: set DATABASE_URL or run a server on 127.0.0.1:5432." >&2
  exit 1
else
  unset DATABASE_URL
  export DATABASE_URL="sqlite:///$(pwd)/.pytest_cache/test.sqlite3"
  echo "No PostgreSQL found: tests run on SQLite and the PostgreSQL-only tests are skipped."
fi

case "$DATABASE_URL" in postgres*) ensure_database ;; esac

export DJANGO_SETTINGS_MODULE=config.settings.test
"$BIN/ruff" check .
"$BIN/python" manage.py makemigrations --check --dry-run >/dev/null || {
  echo "Models have changes without migrations: run manage.py makemigrations." >&2; exit 1; }
"$BIN/python" -m pytest "$@"
