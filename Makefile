# Peta Aduan — two commands: `make run` and `make test`. Everything else here serves them.
# With DATABASE_URL set, no private cluster is started and that database is used instead.
SHELL := /bin/bash
PORT ?= 8000
PETA_PG_PORT ?= 54329
export PETA_PG_PORT
VENV := .venv
FLASK := $(VENV)/bin/flask --app app
EMBEDDED_URL := postgresql+psycopg://postgres@127.0.0.1:$(PETA_PG_PORT)/peta_aduan
DB_URL := $(or $(DATABASE_URL),$(EMBEDDED_URL))
TEST_DB_URL := $(or $(TEST_DATABASE_URL),$(if $(DATABASE_URL),,postgresql+psycopg://postgres@127.0.0.1:$(PETA_PG_PORT)/peta_aduan_test))

.PHONY: run test bench screenshots setup db stop lint migrate seed

setup:
	@scripts/bootstrap.sh $(if $(filter test bench,$(MAKECMDGOALS)),--with-browser,)

db: setup
	@if [ -z "$$DATABASE_URL" ]; then scripts/pgcluster.sh start; fi

migrate: db
	@DATABASE_URL=$(DB_URL) $(FLASK) db upgrade

seed: migrate
	@DATABASE_URL=$(DB_URL) $(FLASK) seed-demo --if-empty

var/secret_key:
	@mkdir -p var && umask 077 && $(VENV)/bin/python -c 'import secrets; print(secrets.token_hex(32))' > $@

# Every web worker must sign sessions with the same key: SECRET_KEY from the environment, else one kept in var/.
# The outbox worker (flask worker) runs beside the web server and stops with it.
run: seed var/secret_key
	@echo "==> serving Peta Aduan on http://127.0.0.1:$(PORT) with its worker  (Ctrl-C to stop; 'make stop' stops the database)"
	@export SECRET_KEY=$${SECRET_KEY:-$$(cat var/secret_key)} DATABASE_URL=$(DB_URL); \
		$(FLASK) worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
		$(VENV)/bin/gunicorn --bind 127.0.0.1:$(PORT) 'app:create_app()'

test: db
	@$(VENV)/bin/ruff check .
	@DATABASE_URL=$(DB_URL) TEST_DATABASE_URL=$(TEST_DB_URL) $(VENV)/bin/pytest -q $(PYTEST_ARGS)

bench: seed
	@DATABASE_URL=$(DB_URL) $(VENV)/bin/python -m bench

# The README's screenshots, taken by the browser tests (demo city and test city) into docs/screenshots.
screenshots: db
	@PETA_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots DATABASE_URL=$(DB_URL) TEST_DATABASE_URL=$(TEST_DB_URL) \
		$(VENV)/bin/pytest -q -m e2e

lint: setup
	@$(VENV)/bin/ruff check .

stop:
	@scripts/pgcluster.sh stop
