# Everyday commands. `make chat` and `make test` do everything they need first.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
RASA := $(BIN)/rasa
# `rasa` with a quicker start and replies (bot/cli/rasa.py)
RASA_FAST := $(BIN)/python -m bot.cli.rasa
# the spaCy pipeline SpacyNLP loads: written once, in config.yml
SPACY_MODEL := $(shell sed -n 's/^ *model: *\(build\/spacy\/[^ ]*\).*/\1/p' config.yml)

# quiet TensorFlow start-up chatter; no usage telemetry leaves this machine
export TF_CPP_MIN_LOG_LEVEL ?= 2
export RASA_TELEMETRY_ENABLED ?= false

.PHONY: help install spacy train chat shell test test-fast validate test-stories lint format clean
.DEFAULT_GOAL := help

help:  ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-17s %s\n", $$1, $$2}'

install:  ## create .venv with Python 3.10 and the locked dependencies
	@scripts/bootstrap.sh

$(SPACY_MODEL)/meta.json: bot/nlu/spacy_pipeline.py | install
	$(BIN)/python -m bot.nlu.spacy_pipeline --force $(SPACY_MODEL)

spacy: install $(SPACY_MODEL)/meta.json  ## build the spaCy pipeline from packages

train: spacy  ## train the model (skipped in a second when nothing changed: bot/cli/train.py)
	$(BIN)/python -m bot.cli.train

chat: train  ## talk to the bot in the terminal (CHAT_ARGS="--port 5006" for other options)
	$(RASA_FAST) shell $(CHAT_ARGS)

shell: chat  ## the same as `make chat`

validate: install  ## check domain, data and stories (tests/test_rasa_cli.py allows no other warning)
	$(RASA) data validate

test-stories: train  ## run the test stories, failing on any wrong prediction
	$(RASA) test core --stories tests/test_stories.yml --fail-on-prediction-errors --out results

test: lint validate spacy widget browser install-services  ## lint, validate, then the whole test suite (CI runs this: .ci/run)
	$(BIN)/python -m pytest

test-fast: spacy  ## the unit tests that need no model, server or browser (under a minute)
	$(BIN)/python -m pytest -m "not slow" -n auto --timeout 60 -q

PY_CODE := bot bench tests scripts

lint: install  ## ruff: lint and format check
	$(BIN)/ruff check $(PY_CODE)
	$(BIN)/ruff format --check $(PY_CODE)

format: install  ## ruff: fix what it can and format
	$(BIN)/ruff check --fix $(PY_CODE)
	$(BIN)/ruff format $(PY_CODE)

clean:  ## remove what is built and trained (build/, models/, results/)
	rm -rf build models results .pytest_cache

.PHONY: telegram-poll
telegram-poll: train  ## Telegram without a public HTTPS address (TELEGRAM_TOKEN, README "Telegram")
	$(BIN)/python -m bot.channels.telegram_polling

# --- website widget (web/) and `make serve` ---
WIDGET := web/dist/chat-widget.js

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund

$(WIDGET): web/node_modules/.package-lock.json $(wildcard web/src/*)
	cd web && npm run --silent build

.PHONY: widget browser serve
widget: $(WIDGET)  ## build the chat widget (its libraries bundled in, no CDN): web/dist/

browser:  ## Debian's chromium for the browser tests
	@scripts/install-chromium.sh

serve: train widget  ## the Rasa server (all channels in credentials.yml) + the widget demo page
	@scripts/serve.sh

# ---- benchmark (issue 4): not part of `make test`; BENCH_ARGS="--runs 1" for a quick one
BENCH_ARGS ?= --runs 3

.PHONY: bench
bench: spacy  ## this bot against Rasa's default config: bench/results.md, bench/latency.png
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# --- production: persistence, scale-out services, privacy (issue 5) ---
.PHONY: install-services server migrate forget

install-services:  ## Debian's postgresql and redis-server, for the scale-out tests
	@scripts/install-services.sh

server: train  ## run the server (API only with BOT_ENABLE_API=1 and RASA_AUTH_TOKEN)
	scripts/run-server.sh

migrate: install  ## update a tracker database made by an earlier version (ENDPOINTS=endpoints.yml)
	$(BIN)/python -m bot.cli.migrate --endpoints "$(or $(ENDPOINTS),endpoints.yml)"

forget: install  ## erase one conversation: make forget SENDER=<key> (rest:alice, telegram:995001)
	$(BIN)/python -m bot.cli.forget "$(SENDER)"
