# s3video: the two commands a newcomer needs are `make run` and `make test` (see README.md).
VENV      := .venv
PYTHON    := $(VENV)/bin/python
PIP       := $(VENV)/bin/pip
INI       ?= development.ini
STAMP     := $(VENV)/.installed
# Every Python dependency (install_requires, the development and testing extras), pinned with
# hashes: `make lock` writes it from setup.cfg, as package-lock.json is written from package.json.
LOCK      := requirements/lock.txt

.PHONY: run test lint lock bench install system-packages js js-build clean

# Create the virtualenv and install the pinned dependencies, then the project (editable) alone.
$(STAMP): $(LOCK) setup.cfg pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r $(LOCK)
	$(PIP) install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Re-pin $(LOCK) after changing a dependency in setup.cfg. Deterministic: the pins already in the
# file are kept and only what setup.cfg's change needs is resolved (from PyPI, for CPython 3.11 on
# any platform); `make lock UPGRADE=1` moves every pin to its newest release.
lock:
	test -x $(VENV)/bin/uv || { test -x $(PYTHON) || python3 -m venv $(VENV); $(PIP) install -q uv; }
	$(VENV)/bin/uv pip compile setup.cfg --extra development --extra testing --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command 'make lock' --quiet $(if $(UPGRADE),--upgrade) --output-file $(LOCK)

# The static checks, with zero findings: lint, formatting, types (pyproject.toml) and the layers'
# import contracts (setup.cfg's [importlinter]).
lint: install
	$(VENV)/bin/ruff check
	$(VENV)/bin/ruff format --check
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

# Node packages (pinned in package-lock.json): the JS build tooling, Video.js for the demo page.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

js: node_modules/.package-lock.json

# Rebuild moodle_plugin/amd/build and the demo's engine copy after editing amd/src.
js-build: js
	node tools/js/build.mjs

system-packages:
	tools/system-packages.sh

# Serve development.ini (or INI=other.ini) on http://localhost:6543 with the worker beside it.
run: install
	mkdir -p var
	$(VENV)/bin/s3video-migrate $(INI)
	$(MAKE) --no-print-directory js
	@# The job worker runs beside the web server and stops when pserve exits (Ctrl-C included).
	$(VENV)/bin/s3video-worker $(INI) & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(VENV)/bin/pserve $(INI)

# The static checks, then the whole suite: Python (unit, functional, integration, browser, notebooks,
# PHP, JS).
test: system-packages install js lint
	node --test tests/js/*.test.mjs
	npx eslint .
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

# The benchmarks (docs/benchmarks.md): figures on stdout, never a failed build.
# Needs PostgreSQL and Redis on loopback (as the tests do) and Debian's wrk.
bench: system-packages install
	$(VENV)/bin/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .grimp_cache
