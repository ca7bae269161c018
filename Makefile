# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tallybot run

# The suite runs on SQLite, then again on PostgreSQL when TALLYBOT_TEST_POSTGRES_URL names a
# server (each test on a fresh schema there; tests about the SQLite file itself are left out).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest
	@if [ -n "$$TALLYBOT_TEST_POSTGRES_URL" ]; then \
		echo "== the suite again on PostgreSQL (TALLYBOT_TEST_ENGINE=postgres) =="; \
		TALLYBOT_TEST_ENGINE=postgres $(BIN)/pytest -m "not sqlite_only"; \
	else \
		echo ""; \
		echo "NOTICE: TALLYBOT_TEST_POSTGRES_URL is not set: the PostgreSQL tests were SKIPPED."; \
		echo "        Set it (e.g. postgresql://postgres@127.0.0.1:5432/test) to run them."; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
