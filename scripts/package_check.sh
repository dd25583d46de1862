#!/usr/bin/env bash
# Builds the Lambda package of a stage exactly as `zappa deploy`/`zappa update` would, from a fresh virtualenv
# with requirements/production.txt only (Zappa's zip callback, scripts/package_build.py, included), checks it
# against Lambda's limits (35 MiB zipped so `zappa rollback` can re-upload it directly under the 50 MiB limit,
# 250 MiB unzipped), then unpacks it and drives Zappa's handler from the unpacked tree with AWS on moto
# (scripts/package_check.py): /health, signing in, a signed-in API request, an admin page and each scheduled
# event. Prints the zipped and unzipped sizes and the cold start. Nothing is sent to AWS; pip and Zappa fetch
# wheels from PyPI. Needs the test virtualenv (make test installs it) and PostgreSQL on 127.0.0.1:5432 (or
# PACKAGE_CHECK_DATABASE=postgres://user@host:port; the check drops and recreates the database
# PACKAGE_CHECK_DATABASE_NAME, fsp_package_check by default). About 4 minutes here, most of it pip and zappa package.
#
#   bash scripts/package_check.sh [stage]        # stage defaults to production
#   KEEP=1 bash scripts/package_check.sh         # keep the archive and print where it is
set -euo pipefail
cd "$(dirname "$0")/.."

STAGE="${1:-production}"
PYTHON="${PYTHON:-python3.11}"
ZIP_LIMIT=$((35 * 1024 * 1024))
UNZIPPED_LIMIT=$((250 * 1024 * 1024))

WORK=$(mktemp -d)
cleanup() { if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT
started=$(date +%s)

echo "==> fresh virtualenv ($("$PYTHON" --version)) with requirements/production.txt"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
"$WORK/venv/bin/pip" install --quiet --disable-pip-version-check -r requirements/production.txt
installed=$(date +%s)

# Zappa packages the active virtualenv. It builds a boto3 session while reading the settings, so it needs a
# region and some credentials even though `package` never calls AWS.
export VIRTUAL_ENV="$WORK/venv"
export PATH="$WORK/venv/bin:$PATH"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-package-check}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-package-check}"

archive="$WORK/flight-schedule-pro-$STAGE.zip"
echo "==> zappa package $STAGE"
zappa package "$STAGE" -o "$archive" --disable_progress
packaged=$(date +%s)

site_packages=$("$WORK/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
"$WORK/venv/bin/python" - "$archive" "$ZIP_LIMIT" "$UNZIPPED_LIMIT" "$site_packages" <<'PY'
import os
import re
import sys
import zipfile
from pathlib import Path

path, zip_limit, unzipped_limit, site_packages = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
# The python3.11 Lambda runtime is Amazon Linux 2 (glibc 2.26): a compiled wheel built for a newer glibc, or
# compiled on this machine, would import here and fail there.
LAMBDA_GLIBC = (2, 26)
legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


def glibc(platform):
    match = re.match(r"manylinux_(\d+)_(\d+)_", platform)
    if match:
        return int(match[1]), int(match[2])
    return legacy.get(platform.split("_x86_64")[0], (99, 0))  # linux_x86_64: built here, for this glibc


too_new, compiled = [], 0
for wheel in Path(site_packages).glob("*.dist-info/WHEEL"):
    tags = [line.split(":", 1)[1].strip() for line in wheel.read_text().splitlines() if line.startswith("Tag:")]
    platforms = {tag.rsplit("-", 1)[-1] for tag in tags}
    if platforms <= {"any"}:
        continue
    compiled += 1
    if min(glibc(p) for p in platforms) > LAMBDA_GLIBC:
        too_new.append(f"{wheel.parent.name} ({', '.join(sorted(platforms))})")
mb = 1024 * 1024
with zipfile.ZipFile(path) as archive:
    infos = archive.infolist()
    names = {info.filename for info in infos}
    unzipped = sum(info.file_size for info in infos)
zipped = os.path.getsize(path)
required = {"handler.py", "zappa_settings.py", "django_zappa_app.py", "manage.py", "config/settings/production.py",
            "weather/jobs.py", "rescheduling/jobs.py", "notifications/jobs.py",
            "django/contrib/staticfiles/__init__.pyc", "config/__pycache__/wsgi.cpython-311.pyc"}
missing = sorted(required - names)
leaked = sorted(n for n in names if n.startswith((".venv/", ".git/", "tests/")) or n.endswith((".sqlite3", ".env")))
print(f"zipped:    {zipped / mb:7.1f} MiB (goal {zip_limit / mb:.0f} MiB: room under the 50 MiB direct upload of a rollback)")
print(f"unzipped:  {unzipped / mb:7.1f} MiB (limit {unzipped_limit / mb:.0f} MiB)")
print(f"files:     {len(infos)}")
print(f"compiled:  {compiled} wheels, {len(too_new)} built for a newer glibc than Lambda's {LAMBDA_GLIBC[0]}.{LAMBDA_GLIBC[1]}")
problems = []
if unzipped > unzipped_limit:
    problems.append("unzipped size is over Lambda's limit: set slim_handler to true")
if missing:
    problems.append(f"missing from the package: {', '.join(missing)}")
if too_new:
    problems.append(f"compiled for a newer glibc than Lambda's: {'; '.join(too_new)}")
if leaked:
    problems.append(f"should not be in the package: {', '.join(leaked[:10])}")
if zipped > zip_limit:
    problems.append("zipped size is over the goal: `zappa rollback` uploads old code directly, limited to 50 MiB")
for problem in problems:
    print(f"FAIL: {problem}")
sys.exit(1 if problems else 0)
PY

echo "==> Zappa's handler from the unpacked package, AWS on moto"
.venv/bin/python scripts/package_check.py "$archive" "$site_packages" --stage "$STAGE"
checked=$(date +%s)
echo "timing:    pip $((installed - started)) s, zappa package $((packaged - installed)) s, handler $((checked - packaged)) s, total $((checked - started)) s"
if [ -n "${KEEP:-}" ]; then echo "archive:   $archive"; fi
