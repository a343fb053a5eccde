# The two set-up commands of the README: `make run` and `make test`.
# Both build .venv from the pinned lock file first (and again when it changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint unit service integration e2e lock bench browser haproxy oidc

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/casebook serve --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

# The test tiers (the README, "Test", says what each runs). `make test` is lint and all four.
PYTEST := $(BIN)/pytest -p no:cacheprovider
unit: $(STAMP)
	$(PYTEST) tests/unit

service: $(STAMP)
	$(PYTEST) tests/service

# Real SQLite, PostgreSQL and NATS, and the service cases marked `stores` on both stores.
integration: $(STAMP) haproxy oidc
	$(PYTEST) tests/integration
	$(PYTEST) tests/service -m stores --stores sqlite,postgres

e2e: $(STAMP) browser oidc
	$(PYTEST) tests/e2e

test: lint unit service integration e2e

# The browser tests drive Debian's Chromium (never a downloaded browser build).
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# The cluster tests put Debian's HAProxy in front of several API processes.
HAPROXY ?= /usr/sbin/haproxy
haproxy:
	@test -x $(HAPROXY) || { echo "installing Debian's haproxy for the cluster tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy; }

# The sign-in tests run a real OpenID Connect provider (oidc-provider, from npm, on Node).
OIDC_DIR := tests/support/oidc
oidc: $(OIDC_DIR)/node_modules/.installed-stamp
$(OIDC_DIR)/node_modules/.installed-stamp: $(OIDC_DIR)/package.json $(OIDC_DIR)/package-lock.json
	cd $(OIDC_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

bench: $(STAMP)
	$(BIN)/python -m bench.write

# Re-pin every dependency (needs network access to PyPI).
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
		--no-header -o requirements.lock
