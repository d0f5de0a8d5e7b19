# Jinro: `make demo` to try it in a browser, `make test` to run every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install demo test run migrate lint format messages bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Jinro needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

## demo: fresh demo database, the Telegram sandbox and the bot; open the printed address
demo: $(STAMP)
	$(BIN)/python -m bot demo

## test: lint, then the whole suite (PostgreSQL too when TEST_POSTGRES_URL is set)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

## run: the real bot (needs BOT_TOKEN); migrates the database first
run: $(STAMP)
	$(BIN)/python -m bot run

migrate: $(STAMP)
	$(BIN)/python -m bot migrate

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .

## messages: re-extract texts and update both catalogs (then translate what is new)
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k label:2 -k N_ --no-location --omit-header \
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
