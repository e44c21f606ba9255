# Two commands for a fresh machine with python3 (3.11+) and make:
#   make lab         set up .venv from the lock and open JupyterLab on the learner's own copies (my-lab/)
#   make test        set up .venv, run every test (fakeapi, lab helpers, every notebook under strict nbval and
#                    again in the same kernel, browser, hub), ruff and mypy, then the notebooks, version claims
#                    and exercise checks again on each other Python of PYTHONS
#   make test-fast   ruff, mypy and every test that starts no kernel, browser or hub (a few minutes)
# nbval's flags are defined once, in pyproject.toml's pytest addopts: `pytest notebooks` is strict nbval.
# Without make (Windows): python tools/lab_env.py, then .venv\Scripts\jupyter lab (see README.md).
PYTHON ?= python3
PYTHONS ?= 3.11 3.12 3.13 3.14 3.15
# The Python whose outputs are committed in notebooks/: the one Binder runs (docs/AUTHORING.md).
NOTEBOOK_PYTHON ?= 3.14
NOTEBOOK_VENV := .venv-$(NOTEBOOK_PYTHON)
NOTEBOOKS ?= $(wildcard notebooks/*.ipynb notebooks/deeper/*.ipynb)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
NPM_INSTALLED := tests/hub/node_modules/.installed
# One lock for every supported Python and OS (environment markers where they differ).
LOCK_FLAGS := --quiet --universal --python-version 3.11 --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)

.PHONY: lab reset test test-fast lint test-offline notebooks normalise workshop bench bench-hub lock venv venv-dev clean

# tools/lab_env.py does nothing when the venv's stamp matches the lock and pyproject.toml.
venv:
	@$(PYTHON) tools/lab_env.py --venv $(VENV)

venv-dev:
	@$(PYTHON) tools/lab_env.py --venv $(VENV) --dev

# The JupyterHub test's proxy (configurable-http-proxy, from npm).
$(NPM_INSTALLED): tests/hub/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix tests/hub --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the JupyterHub test will be skipped (apt-get install nodejs npm)"; fi

# JupyterLab at the top of the checkout, opening the learner's own copy of lesson 00 in my-lab/ (created
# and kept up to date by the lab's server: lab_setup/server.py). LAB_ARGS: more options for jupyter lab,
# e.g. LAB_ARGS="--port 8890 --no-browser".
lab: venv
	$(BIN)/jupyter lab --ServerApp.root_dir=. --ServerApp.default_url=/lab/tree/my-lab/00_start_here.ipynb \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(LAB_ARGS)

# A fresh copy of one lesson in my-lab/ (LESSON=03); the learner's previous copy goes to my-lab/.backup/.
reset: venv
	@test -n "$(LESSON)" || { echo "make reset LESSON=03: which lesson to replace with a fresh copy"; exit 2; }
	$(PY) tools/workshop.py --reset $(LESSON)

# ruff and mypy as a make step, not a test: they check the tree once (not once per Python of the matrix)
# and print their own reports. Configured in pyproject.toml; pinned in requirements-dev.txt.
lint: venv-dev
	$(BIN)/ruff check
	$(BIN)/mypy
	$(BIN)/mypy conftest.py

# The fast tier: fakeapi, lab helpers, the checks' right and wrong answers, docs, notebooks normalised.
# Selected by marker (registered in pyproject.toml), so a new test file joins it unless it is marked.
test-fast: venv-dev
	@status=0; \
	$(MAKE) --no-print-directory lint || status=1; \
	$(PY) -m pytest -n 2 -m "not notebook and not browser and not hub and not slow" || status=1; \
	exit $$status

# The main run executes each notebook twice in one kernel (--run-twice, conftest.py), each compared under
# strict nbval. The matrix runs even when the main run failed, so one run tells what fails on which Python.
test: venv-dev $(NPM_INSTALLED)
	@status=0; \
	$(MAKE) --no-print-directory lint || status=1; \
	$(PY) -m pytest -n 2 --dist loadscope tests notebooks --run-twice || status=1; \
	$(PY) tools/matrix.py --main-venv $(VENV) $(PYTHONS) || status=1; \
	if [ $$status != 0 ]; then echo "make test: FAILED (see above: lint, the main run on $(VENV), then the matrix)"; fi; \
	exit $$status

# The same tests with no network but loopback (a Linux network namespace): once installed, the lab
# needs nothing from outside this machine.
test-offline: venv-dev $(NPM_INSTALLED)
	unshare -rn sh -c 'ip link set lo up && $(PY) -m pytest -n 2 --dist loadscope tests notebooks'

# Re-execute notebooks in place on Python $(NOTEBOOK_PYTHON) (in $(NOTEBOOK_VENV), found by tools/lab_env.py --find),
# so committed outputs come from a real run, then normalise them. One lesson: make notebooks NOTEBOOKS=notebooks/07_*.ipynb
notebooks:
	@python=$$($(PYTHON) tools/lab_env.py --find $(NOTEBOOK_PYTHON)) \
	  || { echo "make notebooks: no Python $(NOTEBOOK_PYTHON) here (README.md says where to get one)"; exit 1; }; \
	$$python tools/lab_env.py --venv $(NOTEBOOK_VENV) --dev
	$(NOTEBOOK_VENV)/bin/jupyter nbconvert --to notebook --execute --inplace $(NOTEBOOKS)
	$(NOTEBOOK_VENV)/bin/python tools/normalise_notebooks.py $(NOTEBOOKS)

# Only normalise (after saving from JupyterLab): tests/test_notebooks_normalised.py fails until this has run.
normalise: venv-dev
	$(PY) tools/normalise_notebooks.py

# Learner copies to hand out (OUT=folder, default workshop/): solutions stubbed, outputs cleared. Run again,
# it adds new lessons and never overwrites a copy someone changed. (Learners get my-lab/ from make lab.)
OUT ?= workshop
workshop: venv
	$(PY) tools/workshop.py $(OUT)

bench: venv-dev
	$(PY) bench/fakeapi_bench.py
	$(PY) bench/notebook_suite.py

# A class of learners through one JupyterHub on loopback (about 12 minutes; not part of make test).
bench-hub: venv-dev $(NPM_INSTALLED)
	$(PY) bench/hub_load.py --learners 5 10 20 30

# Re-pin requirements.txt and requirements-dev.txt from requirements.in and requirements-dev.in.
# Versions already pinned stay unless an input changed; `make lock UPGRADE=1` moves all to the newest.
lock: venv
	@test -x $(BIN)/uv || $(PY) -m pip install --quiet -r requirements-uv.txt
	$(BIN)/uv pip compile $(LOCK_FLAGS) requirements.in -o requirements.txt
	$(BIN)/uv pip compile $(LOCK_FLAGS) requirements-dev.in -o requirements-dev.txt
	@# Every pin must have a wheel for each supported Python on Linux, Apple-silicon macOS and Windows.
	@# (Intel macOS is not checked: argon2-cffi-bindings 26.2 and cryptography 50 ship no wheel for it.)
	@for platform in x86_64-manylinux_2_28 aarch64-apple-darwin x86_64-pc-windows-msvc; do \
	  for version in $(PYTHONS); do \
	    $(BIN)/uv pip install --quiet --dry-run --only-binary :all: --target $(VENV)/.lock-check \
	      --python-platform $$platform --python-version $$version -r requirements-dev.txt \
	    || { echo "make lock: no wheel for some pin on $$platform, Python $$version"; exit 1; }; \
	  done; done; echo "make lock: every pin has a wheel for Python $(PYTHONS) on Linux, Apple-silicon macOS and Windows"

clean:
	rm -rf $(VENV) $(VENV)-3.*
