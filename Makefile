# Set-up path for a fresh clone with only Python installed.
# The CPU build of torch is installed first so that pip never pulls the
# multi-GB CUDA build; pyproject.toml keeps the normal `torch>=2.2` range.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_SPEC ?= torch==2.13.0

.PHONY: install compare test docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)" || \
	  $(BIN)/python -m pip install --quiet torch --index-url https://download.pytorch.org/whl/cpu
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Writes results/compare-DATE-TIME/ (tables as CSV and JSON, comparison.png);
# options pass through: make compare ARGS="--methods inv_freq vitalroute --seeds 5"
ARGS ?=
compare: install
	$(BIN)/skvitalroute compare $(ARGS)

test: install
	$(BIN)/python -m pytest -q

# The HTML documentation (user guide and API reference) in docs/_build/html;
# every Sphinx warning is an error. The autosummary pages are made anew, so a
# name that left the API leaves no stale page behind.
$(VENV)/.docs-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev,docs]"
	touch $@

docs: $(VENV)/.docs-installed
	rm -rf docs/generated
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) build *.egg-info docs/_build docs/generated
