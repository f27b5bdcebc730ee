"""Tests. SQLite unless DATABASE_URL names PostgreSQL (CI sets it)."""

import os

from .base import *  # noqa: F403
from .base import env

DEBUG = False
DEMO_ALLOWED = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Retrain as soon as the decision commits, so tests see the new order deterministically; the thread
# and the Celery task are tested on their own (tests/screening/prioritisation/test_ranking.py).
RANKING_RETRAIN = env("RANKING_RETRAIN", default="inline")
EMBEDDINGS_COMPUTE = "inline"
# One folder per test process: two workers' reviews can share an id and a set of records.
EMBEDDING_CACHE_DIR = f"/tmp/screening-test-embeddings/{os.getpid()}"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default="/tmp/screening-test-media")
# The test servers serve static files themselves; WhiteNoise would only warn of no STATIC_ROOT.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]  # noqa: F405

# Nothing reaches NCBI from a test: a closed local port, unless a test points this at its own
# fake E-utilities server (tests/fake_eutils.py). Failures are retried quickly.
PUBMED_EUTILS_URL = "http://127.0.0.1:9/entrez/eutils/"
PUBMED_TIMEOUT = 5.0
PUBMED_MAX_TRIES = 4
PUBMED_BACKOFF = 0.05
PUBMED_BACKOFF_CEILING = 0.5
PUBMED_RATE_LIMIT_REDIS_URL = ""
