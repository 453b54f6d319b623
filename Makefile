# Two commands on a fresh machine with Python 3.11+ and make: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint format check-python clean

$(INSTALLED): pyproject.toml
	@$(MAKE) --no-print-directory check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "): run make with PYTHON=python3.11")'

## run: the whole service locally (web, worker, embedded Redis, sandbox upstreams unless configured);
##      `make run WHATSAPP=1`: WhatsApp first, SMS when WhatsApp cannot reach the recipient (sandbox/whatsapp_rules.toml)
run: $(INSTALLED)
	$(BIN)/python -m sandbox.local

## test: the whole suite against real servers (embedded Redis unless TEST_REDIS_URL is set)
test: $(INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## lint: style, formatting and types
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy web worker

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .run .pytest_cache .ruff_cache .mypy_cache test-artifacts
