# salesdq: every command a developer or CI needs. `make demo` and `make test` are the two to know.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: demo test lint typecheck unit functional engine e2e cli iam chaos model browser browser-tests report-screenshot cdk cdk-checks synth asl-validate bench mock-data clean

$(STAMP): pyproject.toml services/requirements.txt salesdq/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,cdk,local]"
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

demo: $(STAMP)
	$(BIN)/salesdq local run mock-data.json

test: $(STAMP) lint typecheck cdk-checks browser
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy salesdq salesdq_engine services scripts cdk bench

# The CloudFormation template, offline: no Docker, no AWS credentials (cdk-nag runs on every synth).
synth: $(STAMP)
	$(BIN)/python -m cdk.app

asl-validate: $(NODE_STAMP)
	npm run --silent validate-asl

cdk-checks: synth asl-validate
	$(BIN)/cfn-lint --ignore-checks W3005 -- cdk.out/salesdq.template.json

cdk: $(STAMP)
	$(BIN)/pytest -q tests/cdk

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

functional: $(STAMP)
	$(BIN)/pytest -q tests/functional

# The embedded engine's own tier (salesdq_engine/: each addition against moto's behaviour, then its own).
engine: $(STAMP)
	$(BIN)/pytest -q tests/engine

e2e: $(STAMP)
	$(BIN)/pytest -q tests/e2e

# The command-line tier: every command of the parser with malformed values, odd paths and a dead endpoint.
cli: $(STAMP)
	$(BIN)/pytest -q tests/cli

# Every AWS call the stack's principals make in a recorded run, evaluated against the synthesized template's
# policies by @cloud-copilot/iam-simulate (node).
iam: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest -q tests/iam

# The chaos tier in full: every fault alone at 0.1 and 0.3 over two seeds, thirty random mixes, larger files
# (tests/chaos/settings.py; `make test` runs its bounded default). CHAOS_SEEDS, CHAOS_RATES, CHAOS_MIXES,
# CHAOS_FILES and CHAOS_RECORDS override it.
chaos: $(STAMP)
	CHAOS_TIER=full $(BIN)/pytest -q -p no:cacheprovider tests/chaos --durations=15

# The model tier in full: random sequences of the operations (upload, redrive, replay, resolve, sweep, a failed
# run and its retry) on the engine, checked after every step against a model of each record's outcome, with and
# without faults, a failing sequence shrunk to its shortest (tests/model/settings.py; `make test` runs its
# bounded default). MODEL_EXAMPLES, MODEL_STEPS, MODEL_FAULT_EXAMPLES, MODEL_SHRINK, MODEL_SEED, MODEL_CHECKS and
# MODEL_SKIP override it.
model: $(STAMP)
	MODEL_TIER=full $(BIN)/pytest -q -p no:cacheprovider -p no:logging tests/model --hypothesis-show-statistics

# Debian's chromium, for tests/browser (the HTML report in a real browser). CI runs as root; elsewhere sudo.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	fi
	@/usr/bin/chromium --version 2>/dev/null

browser-tests: $(STAMP) browser
	$(BIN)/pytest -q tests/browser

# docs/report-screenshot.png: the HTML report of a real run on the embedded engine, in headless Chromium.
report-screenshot: $(STAMP) browser
	$(BIN)/python -m scripts.report_screenshot

mock-data: $(STAMP)
	$(BIN)/python scripts/make_sales_file.py --records 100 --seed 7 --mock --out mock-data.json

bench: $(STAMP)
	$(BIN)/python -m bench.run --records 20000

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache
