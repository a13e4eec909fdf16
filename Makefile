# The README's commands: `make run` and `make test`. `make bench` measures.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 5000
# Tests run in parallel, one pytest-xdist worker per core of a 2-core machine (PYTEST_WORKERS=0: in one process).
PYTEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -n $(PYTEST_WORKERS)

.PHONY: run test test-sqlite test-postgres bench fuzz clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	@mkdir -p instance
	@new=0; [ -n "$$CIVIC_DATABASE_URL" ] || [ -f instance/civic.db ] || new=1; \
	$(VENV)/bin/civic db upgrade; \
	if [ $$new = 1 ]; then $(VENV)/bin/civic demo; fi
	@echo ""
	@echo "Civic Platform on http://$(HOST):$(PORT)  (docs: http://$(HOST):$(PORT)/docs)"
	@echo "Demo credentials: '.venv/bin/civic demo' prints them again at any time."
	$(VENV)/bin/civic serve --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache
	CIVIC_TEST_BACKEND=sqlite $(PYTEST) $(PYTEST_ARGS)
	@if [ -n "$$CIVIC_TEST_POSTGRES_URL" ]; then \
		echo "== PostgreSQL pass =="; \
		CIVIC_TEST_BACKEND=postgres $(PYTEST) $(PYTEST_ARGS); \
	else \
		echo "CIVIC_TEST_POSTGRES_URL is not set: the PostgreSQL pass was skipped."; \
	fi

test-sqlite: $(STAMP)
	CIVIC_TEST_BACKEND=sqlite $(PYTEST) $(PYTEST_ARGS)

test-postgres: $(STAMP)
	CIVIC_TEST_BACKEND=postgres $(PYTEST) $(PYTEST_ARGS)

bench: $(STAMP)
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(PY) -m bench $(BENCH_ARGS)

fuzz: $(STAMP)
	CIVIC_FUZZ_EXAMPLES=$${CIVIC_FUZZ_EXAMPLES:-200} $(PY) -m pytest tests/assurance/test_fuzz.py -k fuzzed -q

clean:
	rm -rf $(VENV) instance build *.egg-info
