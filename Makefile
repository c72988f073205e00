# Two commands for a fresh machine: `make run` (the whole system on the embedded default)
# and `make test` (the whole suite). Both bootstrap .venv from the pinned lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench demo clean lock contracts browser
CHROMIUM := /usr/bin/chromium
PDFTOTEXT := /usr/bin/pdftotext

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/crm run

# The browser tests drive Debian's Chromium through Playwright; no browser is downloaded. Installed here when
# missing (as root, from Debian's packages); without root, install the `chromium` package yourself.
browser: $(CHROMIUM) $(PDFTOTEXT)
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core >/dev/null
# The PDF tests read the text and its place on the page back with poppler's pdftotext.
$(PDFTOTEXT):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null

# Lint first, so a style, type or layering violation fails CI before the suite runs.
test: $(STAMP) browser lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

demo: $(STAMP)
	$(BIN)/crm demo

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# The published event contracts: regenerate the JSON Schemas under contracts/ after changing an event or a
# services/<service>/contract.py, and commit them (a test fails while they differ).
# The list of contracts comes from the service registry (every service with an event store).
contracts: $(STAMP)
	$(BIN)/python -m shared.contracts contracts $$($(BIN)/python -m services.registry contracts) >/dev/null

# Regenerate requirements.lock after changing a pin in pyproject.toml.
lock:
	rm -rf /tmp/crm-lock && $(PYTHON) -m venv /tmp/crm-lock
	/tmp/crm-lock/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	/tmp/crm-lock/bin/pip freeze --all --exclude-editable | grep -v -E "^(chamber-crm|pip)==" > requirements.lock && /tmp/crm-lock/bin/pip install -q wheel && /tmp/crm-lock/bin/pip freeze --all | grep -E "^wheel==" >> requirements.lock

clean:
	rm -rf $(VENV) data
