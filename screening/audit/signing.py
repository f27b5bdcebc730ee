"""The audit log's keys and signatures: HMAC-SHA256 with a key that lives in the environment
(settings.AUDIT_KEY), never in the database.

A key is named by its id, a short fingerprint of the key itself, stored beside whatever it
signed, so that after a rotation (a new AUDIT_KEY, the old one moved to AUDIT_PREVIOUS_KEYS)
each event is checked with the key that signed it. No ORM here."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings


def key_id(key: str) -> str:
    """A key's public name: 16 hex characters that identify it without revealing it."""
    return hmac.new(key.encode(), b"screening audit key id", hashlib.sha256).hexdigest()[:16]


def current_key() -> tuple[str, str]:
    """(id, key) of the key new events and seals are signed with."""
    key = settings.AUDIT_KEY
    if not key:
        raise RuntimeError("AUDIT_KEY is empty: the audit log cannot be signed.")
    return key_id(key), key


def known_keys() -> dict[str, str]:
    """Every key this server holds, current and previous, by id."""
    keys = [settings.AUDIT_KEY, *settings.AUDIT_PREVIOUS_KEYS]
    return {key_id(key): key for key in keys if key}


def canonical(payload: dict[str, Any]) -> str:
    """One text for one payload: sorted keys, no spaces, non-ASCII kept."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sign(key: str, payload: dict[str, Any]) -> str:
    return hmac.new(key.encode(), canonical(payload).encode(), hashlib.sha256).hexdigest()


def signature_matches(key: str, payload: dict[str, Any], signature: str) -> bool:
    return hmac.compare_digest(sign(key, payload), signature or "")
