# Two commands for a fresh machine with python3 (3.11+) and make:
#   make lab    set up .venv and open JupyterLab on notebooks/
#   make test   set up .venv and run every test (fakeapi, lab helpers, every notebook under nbval)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: lab test test-fast notebooks bench clean

$(INSTALLED): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (TaskGroup): found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(INSTALLED)

lab: $(INSTALLED)
	$(BIN)/jupyter lab notebooks/

test: $(INSTALLED)
	$(BIN)/python -m pytest -n 2 --dist loadscope tests notebooks $(NBVAL)

# Re-execute every notebook in place, so committed outputs come from a real run.
notebooks: $(INSTALLED)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/*.ipynb

bench: $(INSTALLED)
	$(BIN)/python bench/fakeapi_bench.py

clean:
	rm -rf $(VENV)
