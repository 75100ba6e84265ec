# molink-invoicing — every command a user or CI needs. `make run` and `make test` are the two
# commands of the README; both create the virtualenv and install what setup.cfg declares.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Integration tests: real services (overridable; CI exports them too).
IT_DATABASE_URL      ?= $(or $(DATABASE_URL),postgresql://postgres@127.0.0.1:5432/test)
IT_CELERY_BROKER_URL ?= $(or $(CELERY_BROKER_URL),amqp://guest:guest@127.0.0.1:5672//)

# setup.cfg is the one place dependencies are declared: this reads install_requires plus the
# extras named after it, so the virtualenv gets exactly what setup.cfg says.
define REQUIREMENTS_PY
import configparser, sys
cfg = configparser.ConfigParser()
cfg.read("setup.cfg")
reqs = cfg["options"]["install_requires"].splitlines()
for extra in sys.argv[1:]:
    reqs += cfg["options.extras_require"][extra].splitlines()
print("\n".join(r.strip() for r in reqs if r.strip()))
endef
export REQUIREMENTS_PY

.PHONY: install install-test run test test-unit test-integration test-e2e schema lint clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: setup.cfg | $(VENV)/bin/python
	$(PY) -c "$$REQUIREMENTS_PY" > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	touch $@

$(VENV)/.installed-test: setup.cfg | $(VENV)/bin/python
	$(PY) -c "$$REQUIREMENTS_PY" test dev > $(VENV)/requirements-test.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements-test.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## The service on its embedded default: SQLite, local files, tasks run in-process.
run: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(PY) manage.py demo_data
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

## The whole suite: unit tests on SQLite, then integration tests on PostgreSQL + RabbitMQ.
test: install-test test-unit test-integration

# Unit tests in parallel (pytest-xdist, one process per core; PYTEST_WORKERS=0 runs them in one).
PYTEST_WORKERS ?= auto

test-unit: install-test
	DEBUG=1 DATABASE_URL=sqlite:///var/unit-tests.sqlite3 CELERY_BROKER_URL= STORAGE_BACKEND=local \
		$(PY) -m pytest -m "not integration" -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-integration: install-test
	DEBUG=1 DATABASE_URL=$(IT_DATABASE_URL) CELERY_BROKER_URL=$(IT_CELERY_BROKER_URL) \
		$(PY) -m pytest -m integration $(PYTEST_ARGS)

## Browser end-to-end test: the openIMIS front end (npm packages, bundled under var/e2e) in headless
## Chromium against this backend on a fresh SQLite database. Needs node, npm and chromium.
test-e2e: install
	E2E_PYTHON=$(abspath $(PY)) bash tests/e2e/run.sh

## Re-export the committed GraphQL SDL after a schema change.
schema: install
	DEBUG=1 $(PY) manage.py graphql_schema

lint: install-test
	$(VENV)/bin/ruff check config core invoice payment_module schema tests bench

clean:
	rm -rf $(VENV) var media
