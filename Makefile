# Two commands do everything: `make run` and `make test`. Both create or reuse .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck clean

$(STAMP): pyproject.toml clients/python/pyproject.toml clients/simulator/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev]' -e clients/python -e clients/simulator
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/washline run

test: $(STAMP)
	$(BIN)/ruff check app realtime domain persistence tests bench clients/python clients/simulator
	$(BIN)/ruff format --check app realtime domain persistence tests bench clients/python clients/simulator
	$(BIN)/mypy
	sh tests/support/ensure_chromium.sh
	sh tests/support/ensure_prometheus.sh
	$(BIN)/python -m pytest -q --durations=20 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check app realtime domain persistence tests bench clients/python clients/simulator
	$(BIN)/ruff format --check app realtime domain persistence tests bench clients/python clients/simulator

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) washline.db .pytest_cache .mypy_cache .ruff_cache
