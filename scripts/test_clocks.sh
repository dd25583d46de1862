#!/usr/bin/env bash
# The suite, less the browser tests (they pin their own story clock), with the clock of the whole run moved to
# instants that stress it: a US daylight-saving change, the turn of a year and a summer afternoon. Child processes
# started by tests (workers, the Lambda handler) share the moved clock. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
INSTANTS=${TEST_CLOCKS:-"2027-03-14T09:30:00Z 2026-12-31T23:50:00Z 2027-07-01T20:00:00Z"}
for instant in $INSTANTS; do
  echo "== The suite with the clock moved to $instant"
  started=$SECONDS
  TEST_CLOCK="$instant" bash scripts/test.sh -m "not browser" -p no:cacheprovider -q "$@"
  echo "== $instant: passed in $((SECONDS - started)) s"
done
