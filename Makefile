# salesdq: every command a developer or CI needs. `make demo` and `make test` are the two to know.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit functional e2e cdk-checks synth asl-validate bench mock-data clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,cdk]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/salesdq local run mock-data.json

test: $(STAMP) lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy salesdq services scripts

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

functional: $(STAMP)
	$(BIN)/pytest -q tests/functional

e2e: $(STAMP)
	$(BIN)/pytest -q tests/e2e

mock-data: $(STAMP)
	$(BIN)/python scripts/make_sales_file.py --records 100 --seed 7 --mock --out mock-data.json

bench: $(STAMP)
	$(BIN)/python -m bench.run --records 20000

clean:
	rm -rf $(VENV) cdk.out .pytest_cache .mypy_cache .ruff_cache
