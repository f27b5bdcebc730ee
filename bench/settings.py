"""Settings for the processes the PubMed benchmark starts: the development settings without
DEBUG (which keeps the text of every query, as no server or worker does)."""

from config.settings.dev import *  # noqa: F403

DEBUG = False
