# Jinro: `make demo` to try it in a browser, `make test` to run every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)

.PHONY: install demo test test-clocks run migrate lint format messages bench clean lock

# Every dependency, transitive ones too, at the version and with the hashes of
# requirements.lock (what CI tested); then Jinro itself, editable, adding nothing.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Jinro needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

## lock: after changing pyproject.toml's dependencies, write requirements.lock again
## (pip-tools in a venv of its own, so that it is not among what the lock describes)
LOCK_TOOLS := $(VENV)-lock
lock:
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/pip install --quiet --disable-pip-version-check pip-tools==7.7.0
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev \
		--strip-extras --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

install: $(STAMP)

## demo: fresh demo database, the Telegram sandbox and the bot; open the printed address
demo: $(STAMP)
	$(BIN)/python -m bot demo

# Parallel test workers (pytest-xdist); the tests mostly wait, so more than the cores pay off.
TEST_WORKERS ?= 4

## test: lint, then the whole suite (PostgreSQL too when TEST_POSTGRES_URL is set)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=15

# Moments the clock is moved to (tests/conftest.py, --clock): the whole suite under a leap day
# past the years anyone typed holidays for; the modules that are not end-to-end (quick, and
# where the date arithmetic lives) on SQLite under a year's last half hour, a new month's
# first minutes after February, and 03:00 on a Monday.
WHOLE_SUITE_CLOCK := 2028-02-29T12:00+09:00
CLOCKS := 2026-12-31T23:30+09:00 2027-03-01T00:10+09:00 2027-01-04T03:00+09:00
DATED_TESTS = $(filter-out %_e2e.py tests/test_sandbox%.py,$(wildcard tests/test_*.py))

## test-clocks: the suite with the machine's clock moved (CI runs it after `make test`)
test-clocks: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --clock=$(WHOLE_SUITE_CLOCK)
	@for moment in $(CLOCKS); do \
		echo "== the clock at $$moment"; \
		TEST_POSTGRES_URL= $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --clock=$$moment $(DATED_TESTS) || exit 1; \
	done

## run: the real bot (needs BOT_TOKEN); migrates the database first
run: $(STAMP)
	$(BIN)/python -m bot run

migrate: $(STAMP)
	$(BIN)/python -m bot migrate

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .

## messages: re-extract texts and update both catalogs (then translate what is new)
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k label:2 -k nlabel:2,3 -k N_ --no-location --omit-header \
		-o messages/locales/messages.pot .
	$(BIN)/pybabel update -i messages/locales/messages.pot -d messages/locales \
		--no-fuzzy-matching --ignore-obsolete
	@# Babel puts placeholder header lines back on every update; they say nothing here.
	sed -i -e '/^"Report-Msgid-Bugs-To/d' -e '/^"PO-Revision-Date/d' \
		-e '/^"Last-Translator/d' -e '/^"Language-Team/d' messages/locales/*/LC_MESSAGES/messages.po

bench: $(STAMP)
	$(BIN)/python -m bench updates

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
