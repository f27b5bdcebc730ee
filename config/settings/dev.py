"""Development: `make run`. SQLite and in-process tasks unless the environment says otherwise."""

from .base import *  # noqa: F403

DEBUG = True
DEMO_ALLOWED = True
# No broker here: a PubMed job started from a page runs in a thread, so its page shows progress.
PUBMED_EAGER_IN_THREAD = True
