# kt_lrsearch: `make test` is what CI runs; `make install` builds .venv once.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp
SOURCES := $(wildcard kt_lrsearch cli.py tests bench)

.PHONY: install test test-portable test-slow test-all lint format bench bench-install clean search

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $(BENCH_STAMP)

install: $(STAMP)

# Fast suite (no model training): a few minutes on 2 cores.
test: $(STAMP)
	$(PY) -m pytest -m "not slow"

# The fast suite with one thread and with the instruction set held back to AVX2.
test-portable: $(STAMP)
	PY=$(PY) bash .ci/portability

# Tests that train models or run whole searches.
test-slow: $(STAMP)
	$(PY) -m pytest -m slow || [ $$? -eq 5 ]  # 5: no slow test collected

test-all: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check $(SOURCES)
	$(PY) -m ruff format --check $(SOURCES)

format: $(STAMP)
	$(PY) -m ruff format $(SOURCES)
	$(PY) -m ruff check --fix $(SOURCES)

bench-install: $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) bench/bench_oracle.py

# The main job; pass options with ARGS="--quick --data-dir DIR".
search: $(STAMP)
	$(PY) cli.py search $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
