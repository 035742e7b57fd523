# The two commands: `make run` (laptop: SQLite + Celery's file-system broker, no servers) and
# `make test` (the whole suite; honours DATABASE_URL and CELERY_BROKER_URL when set).
# While working: `make test-fast` (no browser, no worker or other processes), `make lint`, `make fmt`.
# `make bench` runs the benchmarks against the machine's PostgreSQL and Redis.

PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The address in the portal's e-mails: the one `make run` serves, whichever PORT it is given.
SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run totp test test-fast install lint fmt messages api-schema check-deploy bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python 3.12 or newer is needed (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $@

install: $(VENV)/.installed

# Benchmark-only tools (locust), kept out of requirements-dev.txt so that `make test` never pays for them.
$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-bench.txt
	@touch $@

run: install
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 SITE_URL=$(SITE_URL) $(PY) manage.py seed_demo
	@echo ""
	@echo "  Portal:   $(SITE_URL)/"
	@echo "  Admin:    $(SITE_URL)/admin/"
	@echo "  Mailbox:  var/mail/ (every e-mail the portal sends lands there as a file)"
	@echo "  Staff's code after the password: an authenticator app with the secret above, or make totp"
	@echo "  Stop with Ctrl-C."
	@echo ""
	DEBUG=1 SITE_URL=$(SITE_URL) PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start --port $(PORT)

# The code the demo reviewer's and operator's authenticator app shows now (their second factor).
totp: install
	DEBUG=1 $(PY) manage.py demo_totp

# The suite runs in TEST_WORKERS processes side by side (pytest-xdist; each has its own test
# database, Redis cache database, var folder and ports: CONTRIBUTING.md's "Tests run in parallel").
# More workers than cores pays: many tests wait on a worker, a browser or a server. TEST_WORKERS=0
# runs it in this one process. A module-scoped fixture keeps its module on one worker (loadgroup).
TEST_WORKERS ?= 4
XDIST = -n $(TEST_WORKERS) --dist loadgroup

# The whole suite, with the coverage of the portal's code (a figure to read, not a threshold) and its
# 25 slowest tests (where the time goes).
test: install
	$(VENV)/bin/pytest $(XDIST) --cov --cov-report=term:skip-covered --durations=25

# Everything but the tests that start processes (a Celery worker, the browser, manage.py).
test-fast: install
	$(VENV)/bin/pytest $(XDIST) -m "not integration"

# Style, formatting, the import contracts between the apps (pyproject.toml) and the types.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DEBUG=1 $(VENV)/bin/mypy

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenerate the message catalogues after changing strings (needs GNU gettext); the compiled
# .mo files are committed so that a machine with only Python shows Korean.
messages: install
	DEBUG=1 $(PY) manage.py makemessages --locale ko --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	DEBUG=1 $(PY) manage.py compilemessages --ignore '.venv/*'

# The committed OpenAPI schema (api/openapi.yaml), after changing an endpoint; in English, validated,
# as production serves it: PostgreSQL's integer ranges (the URL names no server: nothing connects).
# tests/api/test_schema_committed.py fails while it differs from what the code generates.
SCHEMA_DATABASE_URL = postgres://schema@127.0.0.1:1/schema
api-schema: install
	DEBUG=1 DATABASE_URL=$(SCHEMA_DATABASE_URL) $(PY) manage.py spectacular --validate --fail-on-warn --lang en --file api/openapi.yaml

# The production settings' own audit, with a production-like environment.
check-deploy: install
	DEBUG=0 SECRET_KEY=check-deploy-$$(date +%s)-a-long-random-secret-key-for-the-audit-only-0123456789 \
	ALLOWED_HOSTS=portal.example.kr CSRF_TRUSTED_ORIGINS=https://portal.example.kr \
	$(PY) manage.py check --deploy --fail-level WARNING

# Every benchmark in bench/, one table of their figures (also var/bench.json); under 15 minutes on
# two cores. Needs PostgreSQL and Redis, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal
# CELERY_BROKER_URL=redis://127.0.0.1:6379/0 (as .ci/run sets them); scratch databases and Redis DB 12.
bench: $(VENV)/.bench-installed
	$(PY) bench/report.py

clean:
	rm -rf var/celery var/cache var/mail var/test-db.sqlite3* .coverage
