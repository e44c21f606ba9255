# Two commands for a fresh machine with python3 (3.11+) and make:
#   make lab    set up .venv and open JupyterLab on notebooks/
#   make test   set up .venv and run every test (fakeapi, lab helpers, every notebook under nbval)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: lab test test-offline notebooks workshop bench clean

$(INSTALLED): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed (TaskGroup): found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(INSTALLED)

# What only the tests need: Playwright (driving Debian's chromium) and JupyterHub with its npm proxy.
$(TEST_INSTALLED): $(INSTALLED) requirements-dev.txt tests/hub/package-lock.json
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@if command -v npm >/dev/null; then npm ci --prefix tests/hub --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the JupyterHub test will be skipped (apt-get install nodejs npm)"; fi
	touch $(TEST_INSTALLED)

lab: $(INSTALLED)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

test: $(TEST_INSTALLED)
	$(BIN)/python -m pytest -n 2 --dist loadscope tests notebooks $(NBVAL)

# The same tests with no network but loopback (a Linux network namespace): once installed, the lab
# needs nothing from outside this machine.
test-offline: $(TEST_INSTALLED)
	unshare -rn sh -c 'ip link set lo up && $(BIN)/python -m pytest -n 2 --dist loadscope tests notebooks $(NBVAL)'

# Re-execute every notebook in place, so committed outputs come from a real run.
notebooks: $(INSTALLED)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/*.ipynb

# Learner copies for a workshop: solutions stubbed, outputs cleared (OUT=folder, default workshop/).
OUT ?= workshop
workshop: $(INSTALLED)
	$(BIN)/python tools/workshop.py $(OUT)

bench: $(INSTALLED)
	$(BIN)/python bench/fakeapi_bench.py
	$(BIN)/python bench/notebook_suite.py

clean:
	rm -rf $(VENV)
