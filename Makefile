# Two commands do everything on a fresh machine:
#   make demo    set up, then run the virtual house with a chat in this terminal
#   make check   set up, then run every check (ruff, mypy --strict, the tests)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Test processes: most of a test's time is spent waiting on sockets, so more than the cores.
# worksteal: a process that runs out of tests takes half of another's (the tests' lengths
# vary from milliseconds to a minute); tests/conftest.py starts the slowest files first.
JOBS ?= 4
DIST ?= worksteal

.PHONY: setup demo check lint typecheck test bench clean

$(BIN)/dobby: pyproject.toml
	@# Debian packages the checks use: docker-compose validates docker-compose.yml
	@# without a Docker engine. Installed when missing and we may (root), else skipped.
	@command -v docker-compose >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null) \
	  || echo "note: docker-compose is not installed; the compose file checks will be skipped"; }
	@# Mosquitto is the real MQTT broker the MQTT adapter's tests and the demo's Zigbee corner use.
	@command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto >/dev/null) \
	  || echo "note: mosquitto is not installed; the MQTT tests will be skipped"; }
	@# espeak-ng speaks announcements on the speakers (a WAV Dobby serves them); offline.
	@command -v espeak-ng >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng >/dev/null) \
	  || echo "note: espeak-ng is not installed; announcements cannot be spoken and their tests will be skipped"; }
	@# Chromium runs the web page's browser tests (Playwright drives it; it downloads no browser).
	@[ -x /usr/bin/chromium ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "note: chromium is not installed; the web page's browser tests will be skipped"; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/dobby

setup: $(BIN)/dobby
	@# Bytecode for Dobby's own modules, as pip writes for every installed package (an
	@# editable install does not), so nothing compiles them again at each start.
	@$(BIN)/python -m compileall -q agent devices skills bench >/dev/null

demo: setup
	$(BIN)/dobby demo $(ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

test: setup
	$(BIN)/pytest -n $(JOBS) --dist $(DIST) $(ARGS)

check: lint typecheck test

bench: setup
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
