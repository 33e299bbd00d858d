# Arrears Desk. `make run` and `make test` are all a fresh clone needs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test install messages migrate demo lint format check-migrations check-deploy system-deps bench bench-smoke bench-pages bench-http bench-load clean

$(STAMP): pyproject.toml
	@command -v python3.11 >/dev/null || command -v python3 >/dev/null || { echo "Python 3.11 is needed"; exit 1; }
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# Compiled catalogues are not committed: they are built from locale/*.po here.
messages: install
	@command -v msgfmt >/dev/null || { echo "msgfmt missing: apt-get install gettext"; exit 1; }
	$(PY) manage.py compilemessages --ignore=$(VENV) --verbosity 0

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

# Web server, Celery worker and beat on the embedded broker; Ctrl-C stops all three.
# `make run PORT=8001` serves on another port; SITE_URL (the links in e-mails) follows it
# unless given too. honcho hands PORT to the web process (the worker and beat get PORT+100,
# +200, which is why SITE_URL is passed to all three here).
PORT ?= 8000
SITE_URL ?= http://127.0.0.1:$(PORT)
run: messages demo
	@echo "Arrears Desk on http://127.0.0.1:$(PORT)  (Ctrl-C stops the web server, worker and beat)"
	PORT=$(PORT) SITE_URL=$(SITE_URL) honcho -f Procfile.dev start

# Browser tests drive Debian's chromium; the Excel tests open workbooks in LibreOffice; the
# Celery tests start their own redis-server. Install them when we may (CI runs as root).
SYSTEM_PACKAGES := chromium fonts-wqy-microhei libreoffice-calc-nogui redis-server
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v soffice >/dev/null \
	    || ! command -v redis-server >/dev/null || ! fc-list 2>/dev/null | grep -qi wenquanyi; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null) \
	      || echo "Could not install $(SYSTEM_PACKAGES): the tests that need them will be skipped"; \
	  else echo "Missing (apt-get install $(SYSTEM_PACKAGES)): the tests that need them will be skipped"; fi; \
	fi

# The suite runs in one worker per core (pytest-xdist; each has its own test database and
# temporary files): `make test TEST_WORKERS=0` runs it in this process alone.
TEST_WORKERS ?= auto
test: messages system-deps
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	ruff check .
	ruff format --check .

format: install
	ruff check --fix .
	ruff format .

check-migrations: install
	$(PY) manage.py makemigrations --check --dry-run

# Django's deployment checks on the production settings, with throwaway values for the
# variables production insists on (nothing is connected to: `check` opens no database).
check-deploy: install
	DJANGO_SETTINGS_MODULE=config.settings_production \
	SECRET_KEY=ci-check-deploy-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
	ALLOWED_HOSTS=arrears.example.com \
	DATABASE_URL=postgres://ci@127.0.0.1:5432/check-deploy \
	CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
	$(PY) manage.py check --deploy --fail-level WARNING

# The import and workbook benchmarks, each on its own throw-away data (bench/README.md).
bench: install
	set -e; for b in weekly_report import_ledger import_payments; do $(PY) bench/$$b.py; done

# The region's pages and the load test need a generated region (manage.py generate_load) in
# BENCH_DATABASE_URL, by default the PostgreSQL database arrears_load; figures go to var/bench/.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/arrears_load
BENCH_REGION ?= load
BENCH_REPEAT ?= 11
BENCH_USERS ?= 1,10,20,50
BENCH_SECONDS ?= 30
# --vacuum-analyze: this machine's PostgreSQL runs without autovacuum, and a generated region
# has neither planner statistics nor a visibility map until vacuumed (bench/README.md).
BENCH_ARGS = --database-url $(BENCH_DATABASE_URL) --region $(BENCH_REGION) --vacuum-analyze

# Every page in this process / over HTTP from gunicorn with 2 workers on the loopback.
bench-pages: install
	$(PY) bench/pages.py $(BENCH_ARGS) --repeat $(BENCH_REPEAT) --json var/bench/pages.json
bench-http: install
	$(PY) bench/pages.py --http $(BENCH_ARGS) --repeat $(BENCH_REPEAT) --json var/bench/pages-http.json

# The realistic mix under locust at 1, 10, 20 and 50 users (writes contact attempts).
bench-load: install
	$(PY) bench/load.py $(BENCH_ARGS) --users $(BENCH_USERS) --seconds $(BENCH_SECONDS) --json var/bench/load.json

# Every page once on two throw-away regions (2 offices × 500 and × 5,000 households): fails
# if a page errors or its query count grows with the households, never on time.
bench-smoke: install
	$(PY) bench/pages.py --smoke

clean:
	rm -rf var/ .pytest_cache
