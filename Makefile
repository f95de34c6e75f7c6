# kklab: two commands matter (see README): `make lab` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KKLAB := $(BIN)/kklab
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# mkdocs-material prints a banner about MkDocs 2 on every build.
export NO_MKDOCS_2_WARNING := 1

.PHONY: venv toolchain cluster lab test lint unit cluster-tests down bench clean site serve-site

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

venv: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'

toolchain: venv
	$(KKLAB) toolchain install

cluster: toolchain
	$(KKLAB) up --provider local

lint: venv
	$(BIN)/ruff check kklab tests benchmarks tools graders
	$(BIN)/ruff format --check kklab tests benchmarks tools graders
	$(BIN)/mypy

# The whole suite on a fresh machine: set-up, lint, unit tests, cluster tests
# (which must run: KKLAB_REQUIRE_CLUSTER=1), then the stop/start lifecycle tests,
# then every lab again on a fresh local cluster made like kind (`--like kind`:
# only the `standard` StorageClass, kind's node name), as a kind user meets it.
# Notebooks and variants of every lab run on both; each lab's wrong answers run
# once: a namespaced lab's on the plain cluster (KKLAB_PROFILE=plain), those of a
# lab that reaches beyond its namespace on the kind-like one (tests/labs/test_mutations.py).
# `site` (mkdocs build --strict) runs right after lint, before the cluster is built.
test: lint site cluster
	bash tests/browser/ensure_browser.sh
	bash tools/ensure_graphviz.sh
	KKLAB_REQUIRE_CLUSTER=1 KKLAB_PROFILE=plain $(BIN)/pytest -m 'not lifecycle' -p no:cacheprovider --durations=12
	KKLAB_REQUIRE_CLUSTER=1 $(BIN)/pytest -m lifecycle -p no:cacheprovider
	$(KKLAB) up --provider local --fresh --like kind
	KKLAB_REQUIRE_CLUSTER=1 KKLAB_PROFILE=kind $(BIN)/pytest tests/labs -m 'not lifecycle' -p no:cacheprovider
	$(KKLAB) down --provider local

# Set everything up and open the course in JupyterLab. Graphviz draws `%kklab map`;
# without it (not root, no apt) the map is a text outline and the course still opens.
lab: cluster
	$(BIN)/pip install -q -e '.[course]'
	bash tools/ensure_graphviz.sh || echo "Graphviz could not be installed: maps will be shown as text"
	$(BIN)/python -m kklab workspace
	$(BIN)/jupyter lab --allow-root --ServerApp.root_dir="$$($(BIN)/python -m kklab workspace --path)"

# The course site (mkdocs.yml, pages in site/) into build/site; no cluster needed.
# Graphviz draws each lab's recorded solved state (its outline without Graphviz).
site: venv
	bash tools/ensure_graphviz.sh
	$(BIN)/mkdocs build --strict

serve-site: venv
	$(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:8000

bench: cluster
	$(BIN)/python benchmarks/cluster_lifecycle.py

down:
	$(KKLAB) down --provider local

clean: down
	rm -rf $(VENV)
