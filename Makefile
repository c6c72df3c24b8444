# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/sponsor_test

export FLASK_APP := wsgi
export SPONSOR_ENV ?= development

.PHONY: run school test journeys reliability bench mutation install install-test install-bench install-mutation translations lint migrate-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[bench]"
	touch $@ $(VENV)/.installed

$(VENV)/.installed-mutation: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,mutation]"
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations
install-bench: $(VENV)/.installed-bench translations
install-mutation: $(VENV)/.installed-mutation translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d sponsor_app/translations

## make run: install, migrate, load the demo school when the database is empty, serve on :$(PORT) (5000)
PORT ?= 5000
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## make school SCHOOL="Trường THPT Nguyễn Du" [ADMIN=admin] [PORT=5000]: your own school from nothing, in its
## own database (instance/school.db, or DATABASE_URL): migrate, create the school and its first admin with
## a temporary password on the first run, print where to go next, serve
SCHOOL ?=
ADMIN ?= admin
SCHOOL_DATABASE_URL ?= $(or $(DATABASE_URL),sqlite:///$(CURDIR)/instance/school.db)
school: install
	@mkdir -p instance
	DATABASE_URL="$(SCHOOL_DATABASE_URL)" $(BIN)/flask db upgrade
	DATABASE_URL="$(SCHOOL_DATABASE_URL)" $(BIN)/flask start-school --school "$(SCHOOL)" --username "$(ADMIN)" \
		--url http://127.0.0.1:$(PORT)
	DATABASE_URL="$(SCHOOL_DATABASE_URL)" $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## make test: lint, the whole suite on SQLite (with browser journeys), then again on PostgreSQL
test: install-test
	$(BIN)/ruff check .
	$(BIN)/pytest
	$(BIN)/pytest --db-url "$(PG_TEST_URL)" -m "not e2e"

## make journeys N=10 LOAD=2: the browser journeys N times (default 5), each a fresh pytest process,
## with LOAD CPU-bound processes beside them (default 0); prints each journey's failures and slowest
## time (test-artifacts/journeys/summary.txt) and fails when any journey failed once
N ?= 5
LOAD ?= 0
journeys: install-test
	$(BIN)/python -m tests.e2e.repeat $(N) --load $(LOAD)

## make reliability: only the reliability and security tests (also part of `make test`), printing their
## figures, on SQLite then PostgreSQL; the figures land in test-artifacts/security-figures.json
reliability: install-test
	$(BIN)/pytest -s -m reliability
	$(BIN)/pytest -s -m reliability --db-url "$(PG_TEST_URL)"

## make bench: the performance benchmark of issue 10 (bench/run.py): generates or reuses the school and
## district databases (SQLite file under bench/.data/, PostgreSQL sponsor_bench_*), measures pages under
## gunicorn, SQL per page, report 1, the import and a deadline day; prints a table, writes bench/RESULTS.md.
## Options through BENCH_ARGS, e.g. make bench BENCH_ARGS="--sizes school --only pages,sql --duration 3"
bench: install-bench
	$(BIN)/python -m bench.run $(BENCH_ARGS)

## make mutation: proves the safety tests can fail (issue 19). mutmut ([tool.mutmut] in pyproject.toml) mutates
## every predicate and scope of sponsor_app/permissions.py and the login throttle (sponsor_app/auth/throttle.py)
## and runs, against each mutant, the tests that call the mutated function among the permission matrix, the
## predicate and field-filtering tests (a throttle mutant: the throttle's own tests, tests/mutation_order.py);
## tests/mutation_report.py then prints killed/total per file and every survivor not explained as equivalent
## (exit 1 if any). A clean run from scratch in mutants/, one mutant at a time: about 2 hours on a shared
## 2-core machine; MUTANTS="sponsor_app.permissions*" for one file.
MUTANTS ?=
mutation: install-mutation
	rm -rf mutants
	$(BIN)/mutmut run --max-children 1 $(MUTANTS)
	$(BIN)/python -m tests.mutation_report

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
