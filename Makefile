# Everything a fresh machine needs, from Python 3.11 and make alone.
export NO_MKDOCS_2_WARNING := 1
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: site test serve check lint bench clean browser jekyll

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(STAMP)

## site: build the site into site/ (fails on any error in the docs)
site: $(STAMP)
	$(BIN)/generator site --strict

## browser: Debian's chromium and a font, for the browser tests (installed when missing, as root)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends chromium fonts-dejavu-core; \
	  else \
	    echo "note: chromium is missing and cannot be installed here (not root, or no apt-get):" \
	         "the browser tests will be skipped"; \
	  fi; }

# Real Jekyll, for the differential tests (tests/jekyll/test_jekyll_differential.py), with the
# plugins Jekyll's own docs use; Debian packages it. Installed when missing and we are root.
JEKYLL_PACKAGES := jekyll ruby-jekyll-avatar ruby-jekyll-feed ruby-jekyll-mentions \
                   ruby-jekyll-redirect-from ruby-jekyll-seo-tag ruby-jekyll-sitemap

## jekyll: install Jekyll 4 and its plugins from Debian where missing (needs root and apt)
jekyll:
	@if command -v jekyll >/dev/null 2>&1 && \
	    ! { command -v dpkg-query >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	        dpkg-query -W -f '$${Status}\n' $(JEKYLL_PACKAGES) 2>/dev/null | grep -qv 'ok installed'; }; then \
	    echo "jekyll: $$(jekyll --version) is installed"; \
	elif [ "$$(id -u)" != 0 ]; then \
	    echo "jekyll: not installing Jekyll (not root): the differential tests will skip"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	    echo "jekyll: not installing Jekyll (no apt-get): the differential tests will skip"; \
	else \
	    echo "jekyll: installing $(JEKYLL_PACKAGES)"; \
	    apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	        $(JEKYLL_PACKAGES) >/dev/null && jekyll --version; \
	fi

## test: run the whole test suite
test: $(STAMP) browser jekyll
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

## serve: live preview on http://127.0.0.1:8000
serve: $(STAMP)
	$(BIN)/mkdocs serve --dirty --dev-addr 127.0.0.1:8000

## check: check every page without building the site
check: $(STAMP)
	$(BIN)/generator check

## lint: ruff (rules and formatting) and mypy
lint: $(STAMP)
	$(BIN)/ruff check generator tests benchmarks
	$(BIN)/ruff format --check generator tests benchmarks
	$(BIN)/mypy

## bench: measure speed against peer tools (writes benchmarks/RESULTS.md)
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf site build .element-docs-cache
