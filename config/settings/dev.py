"""Development: `make run`. SQLite and in-process tasks unless the environment says otherwise."""

from .base import *  # noqa: F403

DEBUG = True
DEMO_ALLOWED = True
