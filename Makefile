# Two entry points (README): `make demo` and `make test`. Each creates .venv and installs what is
# missing (idempotent: a second run only re-installs when pyproject.toml changed).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fpgasnn-installed
PYTEST_ARGS ?=

.PHONY: demo test test-all setup clean

$(STAMP): pyproject.toml tools/install_system_data.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@bash tools/install_system_data.sh
	@touch $@

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/fpgasnn demo

# Fast tier + the end-to-end case through every level (golden, csim, rtlsim, synthesis).
test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" $(PYTEST_ARGS)

# Everything, including the slow tier (full data sets, many networks).
test-all: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
