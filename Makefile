# The two commands of the README: `make run` and `make test`. Everything else is set up on the way.
SHELL := /bin/bash
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never
export UV_COMPILE_BYTECODE := 1
export UV_PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := .venv/bin/python
# manage.py outside the test suite runs with development settings.
MANAGE := DEBUG=1 $(PY) manage.py

.PHONY: run test test-pgbouncer install lint api-schema messages messages-update check-messages check-all mutation mutation-changed clean

$(UV):
	python3 -m pip install --user --quiet uv

.venv/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent

install: .venv/.installed

messages: install
	$(MANAGE) compilemessages --ignore .venv --ignore node_modules -v0

run: install messages
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	PORT=$(PORT) scripts/run.sh

lint: install
	.venv/bin/ruff check .
	.venv/bin/lint-imports --no-cache
	$(MANAGE) makemigrations --check --dry-run
	.venv/bin/mypy

# The API's OpenAPI schema, checked in (docs/api/openapi.yaml; tests/api/test_schema.py fails when it drifts).
api-schema: install
	$(MANAGE) spectacular --validate --fail-on-warn --file docs/api/openapi.yaml

messages-update: install
	$(MANAGE) makemessages --locale en --no-location --no-obsolete --ignore .venv \
		--ignore node_modules --ignore var --ignore tests --ignore bench

check-messages: install
	DEBUG=1 $(PY) scripts/check_messages.py

test: install node_modules/axe-core/axe.min.js messages lint check-messages
	DJANGO_ALLOW_ASYNC_UNSAFE=true .venv/bin/pytest $(PYTEST_ARGS)

# The main paths of the suite through PgBouncer in transaction mode (scripts/test-pgbouncer.sh says
# which and why a subset); needs PostgreSQL (PG_HOST/PG_PORT), Redis (REDIS_URL) and pgbouncer.
test-pgbouncer: install messages
	scripts/test-pgbouncer.sh $(PYTEST_ARGS)

# Every quality gate (issue 17, docs/testing.md "Quality gates"), then a pass/fail table:
#   make check-all                    lint, messages, tests, matrix, security, accessibility, pip-audit
#   make check-all LOAD=1             ... and the load test (bench/load.py)
#   make check-all GATES=matrix,security
check-all: install node_modules/axe-core/axe.min.js messages
	LOAD=$(LOAD) GATES=$(GATES) $(PY) scripts/check_all.py

# Mutation testing (docs/testing.md), on PostgreSQL (DATABASE_URL, default .../anef):
#   make mutation                                   every module in scope, capped at MUTATION_TIME_CAP s
#   make mutation MUTANTS="applications.clock.*"    the mutants matching these globs
#   make mutation-changed [BASE=ref]                the modules changed since BASE (what CI runs)
MUTATION_TIME_CAP ?= 14400
mutation: install messages
	set -f; MUTATION_TIME_CAP=$(MUTATION_TIME_CAP) $(PY) scripts/mutation.py $(if $(MUTANTS),$(MUTANTS),--all)

mutation-changed: install messages
	MUTATION_TIME_CAP=$(MUTATION_TIME_CAP) $(PY) scripts/mutation.py $(if $(BASE),--base $(BASE))

clean:
	rm -rf .venv var node_modules test-results mutants
