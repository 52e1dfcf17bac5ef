# `make run`: set up and serve the app with demo data. `make test`: set up and run the tests.
# Needs only Python 3.11+; PostgreSQL and Redis are used when DATABASE_URL / REDIS_URL are set.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test test-sqlite test-postgres lint bench static check-python clean

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'

$(VENV)/.installed: requirements.txt | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	@touch $@

# Production is the app's default; this target asks for development (dev secret key, SQLite, mail shown in the app).
run: export WHOLESALE_ENV = development
run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@$(FLASK) welcome --base-url http://$(HOST):$(PORT)
	$(FLASK) run --host $(HOST) --port $(PORT)

# The suite runs on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is given.
# With REQUIRE_SERVICES=1 a missing PostgreSQL, Redis or browser fails the run instead of skipping.
# Each pass runs in parallel (pytest-xdist; TEST_WORKERS=1 for one process), every worker on a database of its
# own. Tests marked `processes` (real redis-server, gunicorn, RQ workers, the timed load) or `db_independent`
# need one pass only: when the PostgreSQL pass follows, the SQLite pass leaves them to it (setup.cfg).
TEST_WORKERS ?= auto
XDIST := -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder
ONE_PASS_ONLY := not processes and not db_independent

test: $(VENV)/.installed-test
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-sqlite SQLITE_MARKS="$(ONE_PASS_ONLY)"; \
	else $(MAKE) --no-print-directory test-sqlite; fi
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	elif [ "$$REQUIRE_SERVICES" = "1" ]; then echo "REQUIRE_SERVICES=1 but TEST_DATABASE_URL is not set" >&2; exit 1; \
	else echo "TEST_DATABASE_URL not set: skipped the PostgreSQL run"; fi

# `make test-sqlite` alone runs everything; SQLITE_MARKS (a -m expression) narrows it, as `make test` does.
test-sqlite: $(VENV)/.installed-test
	@echo "== tests on SQLite$(if $(SQLITE_MARKS), ($(SQLITE_MARKS): the PostgreSQL pass runs the rest)) =="
	env -u TEST_DATABASE_URL $(BIN)/pytest $(XDIST) $(if $(SQLITE_MARKS),-m "$(SQLITE_MARKS)") $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-test
	@echo "== tests on PostgreSQL =="
	$(BIN)/pytest $(XDIST) $(PYTEST_ARGS)

# Lint: ruff (rules and formatter in ruff.toml) and import-linter (the layers and no cycles, in setup.cfg).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports setup.cfg

# `make bench`: data at scale, gunicorn as the Procfile runs it, wrk, a phone, the reminder fan-out; prints a
# table and writes bench/results.json (bench/README.md says what each figure means). Uses DATABASE_URL and
# REDIS_URL when given (making databases of its own on that server), else the local services when they
# answer, else SQLite and in-process jobs. BENCH_ARGS passes options, e.g. BENCH_ARGS="--database sqlite".
$(VENV)/.installed-bench: bench/requirements.txt $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	@touch $@

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench $(BENCH_ARGS)

# The gzipped copies of the static files (wholesale/static_files.py) are committed, since a PaaS runs no build
# step of ours: after changing a file in wholesale/static, run this. A test fails when a copy is out of date.
static: $(VENV)/.installed
	$(BIN)/python -c 'from wholesale.static_files import compress_all; [print("wrote", p) for p in compress_all("wholesale/static")]'

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
