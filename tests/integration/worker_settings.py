"""Settings for the Celery worker processes that the integration tests start.

The test settings, with the database, broker and media folder taken from the environment the
test gives the worker (DATABASE_URL names the test database). One knob of the tests' own:
TEST_CELERY_VISIBILITY_TIMEOUT=N makes this worker hand back, within about a second, any
message that a dead worker took and never acknowledged N seconds ago. Redis has no other
way to learn that a worker died: the default is an hour.
"""

import os

from config.settings.test import *  # noqa: F403

if os.environ.get("TEST_CELERY_VISIBILITY_TIMEOUT"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": int(os.environ["TEST_CELERY_VISIBILITY_TIMEOUT"]),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }

# PubMed: the tests' fake E-utilities server, and Redis to pace requests across workers.
for name in ("PUBMED_EUTILS_URL", "NCBI_API_KEY", "PUBMED_RATE_LIMIT_REDIS_URL"):
    if name in os.environ:
        globals()[name] = os.environ[name]
for name in ("PUBMED_BATCH_SIZE", "PUBMED_JOB_STALE_SECONDS"):
    if name in os.environ:
        globals()[name] = int(os.environ[name])
