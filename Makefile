# The course's commands. `make book` and `make test` are the two commands of the README:
# each creates the virtual environment .venv first if it is missing or out of date.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test env browser sandbox npm poppler pdf clean help
SUDO   := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# The environment: rebuilt when requirements.txt or pyproject.toml changes.
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

## Only the environment (.venv), without building the book.
env: $(STAMP)

## The main job: set everything up and build the static site into _build/html.
book: $(STAMP)
	$(BIN)/jupyter-book build . -W -n --keep-going

# Headless Chromium and its driver from Debian's packages, for the browser test.
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; }

# axe-core, the accessibility rules of the book's test, from npm: the exact versions of
# package.json/package-lock.json, installed again when they change.
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

npm: node_modules/.package-lock.json

# pdftotext and pdfimages (Debian's poppler-utils): `make pdf` and its test read the PDF back.
poppler:
	@command -v pdftotext >/dev/null && command -v pdfimages >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq poppler-utils; }

## The whole book as one PDF, _build/pdf/book.pdf: printed offline by Debian's Chromium.
pdf: book browser poppler
	$(BIN)/python -m book._ext.book_pdf _build/html _build/pdf/book.pdf

## Install bubblewrap (Debian's package): the sandbox every submission is graded in.
sandbox:
	@command -v bwrap >/dev/null || { \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq bubblewrap; }

## Every test, with coverage of lib/: lib vs torch, nbval, book build, browser, accessibility, PDF, grading, JupyterLab, hub.
test: $(STAMP) browser sandbox npm poppler hub-proxy
	$(BIN)/python -m pytest --cov=lib --cov-report=term-missing

clean:
	rm -rf _build .pytest_cache .hypothesis .coverage

# ---------------------------------------------------------------------------------------------
# Instructors (nbgrader). ASSIGNMENT is one of the folders of solutions/.
ASSIGNMENTS := $(notdir $(wildcard solutions/*))
NBGRADER    := $(BIN)/nbgrader
# nbgrader runs alembic (its database migrations) by name: the venv must come first on PATH.
export PATH := $(abspath $(BIN)):$(PATH)
.PHONY: release student collect zip-collect autograde formgrader feedback grades summary similarity lab need-assignment
# nbgrader's commands go on with nbgrader's defaults when nbgrader_config.py fails to load (an
# import error, a typo): no sandbox, hidden tests in the feedback. This makes them stop instead.
release collect autograde formgrader feedback grades summary similarity student: \
	export TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR := 1
# JupyterLab refuses to run as root unless told to (a container, CI); a normal user needs nothing.
ALLOW_ROOT  := $(if $(filter 0,$(shell id -u)),--allow-root)

need-assignment:
	@test -n "$(ASSIGNMENT)" || { echo "set ASSIGNMENT to one of: $(ASSIGNMENTS)"; exit 2; }
	@case " $(ASSIGNMENTS) " in *" $(ASSIGNMENT) "*) ;; *) \
	  echo "unknown assignment '$(ASSIGNMENT)': the assignments are $(ASSIGNMENTS)"; exit 2;; esac

## Regenerate the student release exercises/ from solutions/ (commit the result).
release: $(STAMP)
	for a in $(ASSIGNMENTS); do $(NBGRADER) generate_assignment $$a --force || exit 1; done

## What students receive: the release and dist/student/ (+ .zip, grading.publish), and the site.
student: release book
	$(BIN)/python -m grading.publish

## Hand-ins into submitted/: make collect ASSIGNMENT=a FROM=canvas-download.zip (or a folder)
collect: $(STAMP) need-assignment
	@test -e "$(FROM)" || { echo "set FROM to the LMS download (.zip) or a folder of student folders"; exit 2; }
	$(BIN)/python -m grading.collect $(ASSIGNMENT) "$(FROM)"

# The former name of collect from a zip.
zip-collect: FROM = $(ZIP)
zip-collect: collect

## Autograde every submission of ASSIGNMENT in sandboxes, JOBS at a time (default: the cores).
autograde: $(STAMP) sandbox need-assignment
	$(BIN)/python -m grading.autograde $(ASSIGNMENT) $(if $(JOBS),--jobs $(JOBS))

## Manual grading: JupyterLab on 127.0.0.1, menu Nbgrader > Formgrader.
formgrader: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=. $(ALLOW_ROOT)

## Feedback HTML for each student in feedback/<student>/<assignment>/ (no hidden-test source).
feedback: $(STAMP) need-assignment
	$(BIN)/python -m grading.feedback $(ASSIGNMENT)

## Every student's grade on every assignment: grades.csv, and grades_canvas.csv for Canvas' import.
grades: $(STAMP)
	$(BIN)/python -m grading.grades

## Per-question mean, spread and zeros: summary/<assignment>-questions.csv and .png.
summary: $(STAMP) need-assignment
	$(BIN)/python -m grading.summary $(ASSIGNMENT)

## Integrity report: answer cells compared pairwise and with lib (no penalty): similarity/<assignment>.html and .csv
similarity: $(STAMP) need-assignment
	$(BIN)/python -m grading.similarity $(ASSIGNMENT) $(if $(THRESHOLD),--threshold $(THRESHOLD))

# ---------------------------------------------------------------------------------------------
# Students.
## JupyterLab on the exercises, served on 127.0.0.1.
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.root_dir=exercises \
		--KernelManager.transport_encryption=auto $(ALLOW_ROOT)

# ---------------------------------------------------------------------------------------------
# The course on a JupyterHub (deploy/; README, "Running the course on a JupyterHub").
.PHONY: hub hub-proxy
HUB_ENV := $(foreach v,DIR IP PORT INSTRUCTOR MEM_LIMIT CPU_LIMIT CULL_TIMEOUT,$(if $(HUB_$(v)),COURSE_HUB_$(v)=$(HUB_$(v))))

## configurable-http-proxy for the hub, from npm (pinned in package.json / package-lock.json).
hub-proxy: node_modules/.bin/configurable-http-proxy
node_modules/.bin/configurable-http-proxy: package.json package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## The course's JupyterHub on 127.0.0.1:8000, as root (HUB_PORT=, HUB_DIR=, HUB_INSTRUCTOR=, ...).
hub: $(STAMP) sandbox hub-proxy
	@test "$$(id -u)" -eq 0 || { echo "the hub runs as root (it starts each student's server as that student): sudo make hub"; exit 2; }
	$(HUB_ENV) $(BIN)/python -m deploy.banner
	$(HUB_ENV) $(BIN)/jupyterhub -f deploy/jupyterhub_config.py

## This list.
help:
	@awk '/^## /{doc=substr($$0,4); next} /^[a-z-]+:/{if(doc){split($$0,t,":"); printf "  make %-12s %s\n", t[1], doc}; doc=""}' $(MAKEFILE_LIST)
