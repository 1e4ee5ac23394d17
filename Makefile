# Set-up path for a fresh clone with only Python installed.
# The CPU build of torch is installed first so that pip never pulls the
# multi-GB CUDA build; pyproject.toml keeps the normal `torch>=2.2` range.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_SPEC ?= torch==2.13.0

.PHONY: install compare test clean

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

clean:
	rm -rf $(VENV) build *.egg-info
