"""What goes wrong talking to PubMed: errors for the caller, and the failures that are retried."""

from __future__ import annotations


class PubmedError(Exception):
    """PubMed could not answer the request; `str(error)` is a sentence for the user."""


class PubmedUnavailable(PubmedError):
    """PubMed did not answer properly, even after waiting and trying again: try later."""


class TransientFailure(Exception):
    """A transient failure: wait, then try again. Never leaves the client (after the last try
    it becomes a PubmedUnavailable)."""

    def __init__(self, reason: str, retry_after: float = 0.0):
        super().__init__(reason)
        self.retry_after = retry_after
