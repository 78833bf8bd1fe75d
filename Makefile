# The two commands a new user runs: `make run` and `make test`.
# Needs only Python 3.11+ and make (and Node's npm for the browser tests' axe-core):
# everything else is installed from the lock files.

PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
UV_VERSION := 0.13.8
BOOTSTRAP := .cache/bootstrap
UV := $(BOOTSTRAP)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
# A throwaway database: pytest-django creates test_<name> and drops it after the run.
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/facturier_ci

export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

.PHONY: run test install install-run lint test-sqlite test-postgres browser bench clean

$(UV):
	$(PYTHON) -m venv $(BOOTSTRAP)
	$(BOOTSTRAP)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install-run: $(UV)
	$(UV) sync --frozen --no-default-groups --inexact

install: $(UV)
	$(UV) sync --frozen

# Migrates, collects the static files, loads the demo data the first time, then serves
# with gunicorn and an outbox worker beside it, all stopped by Ctrl-C (web/management/commands/serve.py).
run: install-run
	@$(PY) manage.py serve --demo --bind $(HOST):$(PORT)

# Debian's Chromium for the browser tests (the only browser this project uses).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Chromium (Debian package) for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# axe-core, which the browser tests inject into each page; pinned by package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

lint: install
	$(VENV)/bin/ruff check src tests bench scripts
	$(PY) scripts/check_function_length.py
	$(VENV)/bin/lint-imports

# One pytest worker per core (pytest-xdist), each with its own test database (…_gw0,
# …_gw1); an idle worker takes tests from a busy one. Not --dist loadfile: it schedules
# by test id, and the API fuzz's cases (schemathesis) share one id, so all but one of
# them would silently not run.
PYTEST_PARALLEL ?= -n auto --dist worksteal

test-sqlite: install browser node_modules/.package-lock.json
	$(PY) -m pytest $(PYTEST_PARALLEL)

# On CI the suite runs again on PostgreSQL; an unreachable server fails the run.
test-postgres: install
	$(PY) -c "import psycopg, sys; psycopg.connect(sys.argv[1].rsplit('/', 1)[0] + '/postgres', connect_timeout=5).close()" "$(PG_TEST_URL)"
	DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest $(PYTEST_PARALLEL) --create-db -m "not e2e"

test: lint test-sqlite
	@if [ "$$CI" = "true" ]; then $(MAKE) --no-print-directory test-postgres; fi

# Benchmarks (not in CI): every figure against a baseline run side by side.
bench: browser $(UV)
	$(UV) sync --frozen --group bench
	$(PY) -m bench

clean:
	rm -rf $(VENV) $(BOOTSTRAP) var/static node_modules
