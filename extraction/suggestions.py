"""Which included reports probably describe the same study: those that share a registry id
(PubMed's DataBank field, an NCT number in the title or abstract) or a trial acronym in the
title (HARMONi-2, KEYNOTE-189, CheckMate 227). A person confirms each suggestion; nothing is
linked without them."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from references.models import Reference
from screening.models import Review

from .models import Study
from .selectors import unlinked_reports

# Three or more letters, two of them capitals, then a hyphen or a space and a number: HARMONi-2,
# KEYNOTE-189, CheckMate 227. A separator is required so that drug codes (AK112, SMT112) and
# short markers (PD-1) do not group every report of a drug.
ACRONYM = re.compile(r"\b((?=[A-Za-z]*[A-Z][A-Za-z]*[A-Z])[A-Za-z]{3,}[- ]\d{1,4}[a-z]?)\b")
NOT_TRIALS = {"covid-19", "cov-2", "sars-cov-2"}


def acronyms(title: str) -> list[str]:
    """Trial acronyms in a title, as written ("HARMONi-2"); compared case-insensitively."""
    found = []
    for match in ACRONYM.finditer(title or ""):
        name = match.group(1)
        if name.lower() not in NOT_TRIALS and name.lower() not in {f.lower() for f in found}:
            found.append(name)
    return found


def _key(text: str) -> str:
    return re.sub(r"[- ]", "", text).upper()


REGISTRY_ID, ACRONYM_IN_TITLE = "registry_id", "acronym"


@dataclass
class Suggestion:
    key: str  # the registry id or acronym as written
    by: str  # REGISTRY_ID or ACRONYM_IN_TITLE
    why: str  # "the same registry id", "the same trial acronym in the title"
    reports: list[Reference] = field(default_factory=list)  # included, in no study yet
    study: Study | None = None  # an existing study with that id or acronym, if any

    @property
    def name(self) -> str:
        return self.study.name if self.study else self.key


def suggestions(review: Review) -> list[Suggestion]:
    """Groups of unlinked included reports sharing a key: two or more reports, or one report
    whose key an existing study already carries. Registry ids first, then acronyms."""
    unlinked = list(unlinked_reports(review))
    studies = list(Study.objects.in_review(review))
    by_registry = {_key(i): s for s in studies for i in s.registry_ids}
    by_acronym = {_key(s.acronym): s for s in studies if s.acronym}

    kinds = (
        (REGISTRY_ID, "the same registry id", lambda r: r.registry_ids, by_registry),
        (
            ACRONYM_IN_TITLE,
            "the same trial acronym in the title",
            lambda r: acronyms(r.title),
            by_acronym,
        ),
    )
    claimed: set[int] = set()
    result = []
    for by, why, keys_of, existing in kinds:
        groups: dict[str, list[Reference]] = defaultdict(list)
        written: dict[str, str] = {}
        for reference in unlinked:
            if reference.pk in claimed:
                continue
            for key in keys_of(reference):
                groups[_key(key)].append(reference)
                written.setdefault(_key(key), key)
        for key, reports in groups.items():
            study = existing.get(key)
            if len(reports) >= 2 or study is not None:
                result.append(Suggestion(written[key], by, why, reports, study))
                claimed.update(r.pk for r in reports)
    return result
