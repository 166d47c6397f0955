# The course's commands. `make book` and `make test` are the two commands of the README:
# each creates the virtual environment .venv first if it is missing or out of date.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test env browser clean
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# The environment: rebuilt when requirements.txt or pyproject.toml changes.
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

env: $(STAMP)

## The main job: set everything up and build the static site into _build/html.
book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

# Headless Chromium and its driver from Debian's packages, for the browser test.
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; }

## Every test, with coverage of lib/: lib against torch, nbval over book/ and solutions/,
## the book build (-W), the browser test.
test: $(STAMP) browser
	$(BIN)/python -m pytest --cov=lib --cov-report=term-missing

clean:
	rm -rf _build .pytest_cache .hypothesis .coverage
