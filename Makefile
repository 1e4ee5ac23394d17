# Set-up path for a fresh clone with only Python installed.
# torch is installed first, from TORCH_INDEX (PyTorch's CPU-only index) so
# that pip does not pull the multi-GB CUDA build that the default index
# serves on Linux. When that index cannot be reached (no connection within
# 10 s, no retry) torch comes from the default index instead, which on Linux
# may be the CUDA build; `make install TORCH_INDEX=` skips the CPU index.
# pyproject.toml keeps the normal `torch>=2.2` range.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: install compare test docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	@if [ -n "$(TORCH_INDEX)" ] && $(BIN)/python -m pip install --quiet \
	    --timeout 10 --retries 0 --index-url "$(TORCH_INDEX)" "$(TORCH_SPEC)" 2>/dev/null; then \
	  echo "torch: $(TORCH_SPEC) via $(TORCH_INDEX) (or already installed)"; \
	else \
	  echo "torch: $(TORCH_SPEC) from the default index ($(if $(TORCH_INDEX),$(TORCH_INDEX) not reachable,TORCH_INDEX empty))"; \
	  $(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"; \
	fi
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
