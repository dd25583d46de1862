PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-clocks lint audit bench load smoke package-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.local-installed: requirements/base.txt requirements/local.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/local.txt
	touch $@

$(VENV)/.test-installed: requirements/base.txt requirements/production.txt requirements/worker.txt requirements/test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/test.txt
	touch $@

## make run: set up the local app (SQLite, demo weather, console email) and serve it on http://127.0.0.1:8000
run: $(VENV)/.local-installed
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: install test dependencies and run the whole suite (PostgreSQL found or started; see scripts/test.sh)
test: $(VENV)/.test-installed
	bash scripts/test.sh $(ARGS)

## make test-clocks: the suite (browser tests aside) with the clock moved to a daylight-saving change, the turn of
## a year and a summer afternoon; TEST_CLOCKS="2027-... ..." chooses other instants
test-clocks: $(VENV)/.test-installed
	bash scripts/test_clocks.sh $(ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .

## make audit: known vulnerabilities in the pinned production and worker requirements (pip-audit, needs PyPI's JSON API:
## --strict fails rather than passing when a package could not be checked) and bandit's high-severity findings
audit: $(VENV)/.test-installed
	$(BIN)/pip-audit --strict --progress-spinner off --vulnerability-service pypi -r requirements/worker.txt
	$(BIN)/bandit -q -r accounts audit bookings availability weather rescheduling notifications web config bench scripts \
		-x '*/tests/*,*/migrations/*' --severity-level high

## make bench: measure the API, the weather sweep, the solver and email delivery on this machine
bench: $(VENV)/.test-installed
	bash scripts/bench.sh

## make package-check [STAGE=staging]: build the Lambda package exactly as `zappa package` does, unpack it and
## drive Zappa's handler from it with AWS on moto; prints sizes and the cold start (2-3 minutes; CI runs it)
package-check: $(VENV)/.test-installed
	bash scripts/package_check.sh $(or $(STAGE),production)

## make load URL=https://...: the benchmark's API load against any running deployment
load: $(VENV)/.test-installed
	$(BIN)/python scripts/load.py --url "$(URL)"

## make smoke URL=https://...: check a running deployment the way an operator would after a deploy
smoke: $(VENV)/.test-installed
	$(BIN)/python scripts/smoke.py --url "$(URL)"

clean:
	rm -rf $(VENV) .pytest_cache staticfiles db.sqlite3
