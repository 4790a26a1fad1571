# Two commands do everything: `make run` and `make test`. Both create or reuse .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_WORKERS ?= 2

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
	# Two passes: tests with no shared state on $(TEST_WORKERS) workers, then those that run
	# real servers, a browser or the shared Redis, alone (tests/conftest.py marks them).
	# Exit code 5 (nothing selected, as with PYTEST_ARGS=tests/unit) is not a failure.
	# A failed test is run once more and listed as RERUN in the summary (a known flaky test
	# is a bug to fix, not to hide: see the summary's rerun lines).
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not serial" \
		--reruns 1 -rR --durations=10 $(PYTEST_ARGS) || test $$? -eq 5
	$(BIN)/python -m pytest -q -m serial --reruns 1 -rR --durations=10 $(PYTEST_ARGS) \
		|| test $$? -eq 5

lint: $(STAMP)
	$(BIN)/ruff check app realtime domain persistence tests bench clients/python clients/simulator
	$(BIN)/ruff format --check app realtime domain persistence tests bench clients/python clients/simulator

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) washline.db .pytest_cache .mypy_cache .ruff_cache
