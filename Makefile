# Two commands for a fresh machine with python3 (3.11+) and make:
#   make lab    set up .venv from the lock and open JupyterLab on the learner's own copies (my-lab/)
#   make test   set up .venv, run every test (fakeapi, lab helpers, every notebook under nbval), then
#               the notebooks, version claims and exercise checks again on each other Python of PYTHONS
# Without make (Windows): python tools/lab_env.py, then .venv\Scripts\jupyter lab (see README.md).
PYTHON ?= python3
PYTHONS ?= 3.11 3.12 3.13 3.14 3.15
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg
NPM_INSTALLED := tests/hub/node_modules/.installed
# One lock for every supported Python and OS (environment markers where they differ).
LOCK_FLAGS := --quiet --universal --python-version 3.11 --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)

.PHONY: lab reset test test-offline notebooks workshop bench bench-hub lock venv venv-dev clean

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

# The matrix runs even when the main run failed, so one run tells what fails on which Python.
test: venv-dev $(NPM_INSTALLED)
	@status=0; \
	$(PY) -m pytest -n 2 --dist loadscope tests notebooks $(NBVAL) || status=$$?; \
	$(PY) tools/matrix.py --main-venv $(VENV) $(PYTHONS) || status=1; \
	if [ $$status != 0 ]; then echo "make test: FAILED (see above: the main run on $(VENV), then the matrix)"; fi; \
	exit $$status

# The same tests with no network but loopback (a Linux network namespace): once installed, the lab
# needs nothing from outside this machine.
test-offline: venv-dev $(NPM_INSTALLED)
	unshare -rn sh -c 'ip link set lo up && $(PY) -m pytest -n 2 --dist loadscope tests notebooks $(NBVAL)'

# Re-execute every notebook in place, so committed outputs come from a real run.
notebooks: venv
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace notebooks/*.ipynb

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
