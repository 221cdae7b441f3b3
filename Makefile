# s3video: the two commands a newcomer needs are `make run` and `make test` (see README.md).
VENV      := .venv
PYTHON    := $(VENV)/bin/python
PIP       := $(VENV)/bin/pip
INI       ?= development.ini
STAMP     := $(VENV)/.installed

.PHONY: run test bench install system-packages js js-build clean

# Create the virtualenv and install the project (editable) with what the tests need.
$(STAMP): setup.cfg pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[development,testing]'
	touch $(STAMP)

install: $(STAMP)

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

# The whole suite: Python (unit, functional, integration, browser, notebooks, PHP, JS).
test: system-packages install js
	node --test tests/js/*.test.mjs
	npx eslint .
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

# The benchmarks (docs/benchmarks.md): figures on stdout, never a failed build.
# Needs PostgreSQL and Redis on loopback (as the tests do) and Debian's wrk.
bench: system-packages install
	$(VENV)/bin/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules var .pytest_cache
