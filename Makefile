# shopops: `make run` starts the whole system, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test fuzz install install-dev lint ui ui-test browser-test chromium migrate-check bench chaos clean help load image image-smoke

help:
	@echo "make run    - start Temporal, worker, API + UI, Shoptet sandbox with a demo shop"
	@echo "make test   - install test dependencies and run lint, layer contracts and all tests"
	@echo "make fuzz   - long schemathesis + webhook fuzz and the tenant matrix; last line cases=<n> server_errors=<m>"

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/activate
	$(PIP) install -q -e '.[local]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/activate
	$(PIP) install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The UI is built once (and again when its sources change) and served by the API.
ui/dist/index.html: $(shell find ui/src ui/index.html ui/package.json ui/package-lock.json ui/vite.config.ts -type f 2>/dev/null)
	@if [ -f ui/package.json ]; then cd ui && npm ci --no-audit --no-fund && npm run build; fi

ui: ui/dist/index.html

run: $(VENV)/.installed ui
	$(PY) -m infra.devrun

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pyright

chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

ui-test: ui
	@if [ -f ui/package.json ]; then cd ui && npm run test; fi

browser-test: $(VENV)/.installed-dev chromium ui
	@if [ -f ui/package.json ] && [ -d tests/browser ]; then $(VENV)/bin/pytest tests/browser -q; fi

migrate-check: $(VENV)/.installed-dev
	$(PY) -m db.migrate_check

# the short chaos run (tests/foundation/test_chaos.py: five faults on private servers) is part of it
test: $(VENV)/.installed-dev lint ui-test
	$(VENV)/bin/pytest -q --ignore=tests/browser --durations=15
	$(MAKE) browser-test

# the short chaos run alone
chaos-ci: $(VENV)/.installed-dev
	$(VENV)/bin/pytest -q -m chaos tests/foundation/test_chaos.py

# The long fuzz (`make test` runs the same tests with 2 examples per operation and mode).
FUZZ_EXAMPLES ?= 40
FUZZ_WEBHOOKS ?= 2000
FUZZ_SEED ?= 0
fuzz: $(VENV)/.installed-dev
	@rm -f .data/fuzz/last.txt
	@SHOPOPS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) SHOPOPS_FUZZ_WEBHOOKS=$(FUZZ_WEBHOOKS) SHOPOPS_FUZZ_SEED=$(FUZZ_SEED) \
		$(VENV)/bin/pytest -q -p no:cacheprovider --timeout=0 tests/fuzz; status=$$?; \
		if [ -f .data/fuzz/last.txt ]; then cat .data/fuzz/last.txt; \
		else echo "cases=0 server_errors=unknown (the fuzz run did not finish)"; fi; exit $$status

# Benchmarks (each prints its figure as a ratio against a baseline measured in the same run)
bench: $(VENV)/.installed-dev
	$(PY) -m bench.pagination_memory
	$(PY) -m bench.snapshot_ingest --orders 100000
	$(PY) -m bench.snapshot_e2e --orders 100000
	$(PY) -m bench.settings_cache
	$(PY) -m bench.db_scale --items 1000000
	$(PY) -m bench.customers --customers 200000
	$(PY) -m bench.inventory --variants 10000
	$(PY) -m bench.ui --orders 100000

# Locust on loopback: 50 merchants + signed webhooks against 1 then 2 API processes (README "Scaling");
# last line users=50 p95_ms=… errors=… webhooks_per_s=…. Not part of `make test` or CI.
LOAD_ITEMS ?= 1000000
LOAD_SECONDS ?= 60
load: $(VENV)/.installed-dev
	$(PY) -m bench.load --items $(LOAD_ITEMS) --seconds $(LOAD_SECONDS) $(if $(LOAD_DATABASE),--database $(LOAD_DATABASE))

# The whole system on private servers under faults (worker/API killed, Temporal, PostgreSQL,
# Redis restarted), then checked against the sandbox: faults=… lost=0 duplicated=0 stuck=0 orphans=0
chaos: $(VENV)/.installed-dev
	$(PY) -m infra.chaos --faults $${FAULTS:-30} --seed $${SEED:-1} --orders $${ORDERS:-200000}

# The production image (infra/deploy/Dockerfile; needs a Docker daemon) and its smoke test on this
# host's PostgreSQL, Redis and a Temporal dev server.
IMAGE ?= shopops:0.1.0
image:
	docker build -f infra/deploy/Dockerfile -t $(IMAGE) .

image-smoke: $(VENV)/.installed-dev
	$(PY) -m infra.deploy.smoke_image $(IMAGE)

clean:
	rm -rf .data/test ui/dist
