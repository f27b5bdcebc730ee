"""PMIDs as people paste them: one per line, or separated by commas or spaces, with or without
a "PMID:" label."""

from __future__ import annotations

import re
from collections.abc import Iterable

PMID = re.compile(r"^[1-9]\d{0,9}$")
# "PMID: 123", "PMID 123", "pmid123": the label only where a number follows it.
_PMID_PREFIX = re.compile(r"(?i)(?<![\w-])pmid\s*[:=]?\s*(?=\d)")


def parse_pmid_list(text: str) -> tuple[list[str], list[str]]:
    """PMIDs from pasted text or a file: one per line, or separated by commas or spaces;
    "PMID: 123" and "pmid123" forms are accepted. Returns (unique PMIDs in order, invalid
    tokens)."""
    pmids: list[str] = []
    seen: set[str] = set()
    invalid: list[str] = []
    text = _PMID_PREFIX.sub(" ", text)
    for token in re.split(r"[\s,;]+", text):
        token = token.strip().strip("\"'")
        if not token:
            continue
        if PMID.match(token):
            if token not in seen:
                seen.add(token)
                pmids.append(token)
        else:
            invalid.append(token)
    return pmids, invalid


def unique_pmids(pmids: Iterable[str]) -> list[str]:
    """Each PMID once, in the order first seen."""
    return list(dict.fromkeys(pmids))
