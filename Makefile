# Two commands on a fresh machine: `make site` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
SITE_STAMP := $(VENV)/.site-installed
TEST_STAMP := $(VENV)/.test-installed

.PHONY: site test lint bench serve clean standins capture

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(SITE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(SITE_STAMP)

site: $(SITE_STAMP)  ## set up and build site/: pages, step images, standalone HTML, PDFs
	$(BIN)/guidesmith build

serve: $(SITE_STAMP)  ## live preview on http://127.0.0.1:8000
	$(BIN)/mkdocs serve

# A file per core at a time (pytest-xdist), at most four: each file builds sites whose own
# workers use every core, and runs a browser.
test: $(TEST_STAMP)  ## the test suite (offline)
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile

lint: $(TEST_STAMP)
	$(BIN)/ruff check generator tests scripts demo

bench: $(TEST_STAMP)  ## the build and capture benchmarks (see README)
	$(BIN)/python scripts/bench.py

# The sample's captured guide: serve the demo app (demo/app/) on 127.0.0.1:8765 and take
# its screenshots again; only those whose pixels changed are rewritten. The demo app takes
# any password and token: these stand in for the secrets a real guide reads from the
# environment (they are redacted, and written nowhere).
capture: $(TEST_STAMP)  ## re-capture the sample's demo-app guide (Playwright, Chromium)
	DEMO_PASSWORD=demo-password DEMO_TOKEN=orb_demo_0123456789 \
	  $(BIN)/python demo/serve.py -- $(BIN)/guidesmith capture guides/03-create-a-project.yml

standins: $(SITE_STAMP)  ## redraw the sample's stand-in screenshots
	$(BIN)/python scripts/make_standin_screenshots.py

clean:
	rm -rf site .cache
