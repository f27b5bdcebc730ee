"""The names of what a page of audit events points at (references, members, searches, studies...),
loaded in one query per kind of object whatever the number of events, for sentences.py.

Events name their objects by model label and id (`object_type`, `object_id`) and some name
others in their data (a decision's reference, a report link's study). The extraction app's
models are looked up by the label the events carry (as Django's admin log does with content
types), not imported: this package sits below every feature and knows labels, not apps. An
object deleted since its event (a study, a membership) is simply absent: the sentence then
names it from the event's own data, without a link.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps

from references.models import Reference
from screening.constants import AuditAction
from screening.models import (
    AuditEvent,
    DuplicateCandidate,
    ExclusionReason,
    Membership,
    Review,
    Search,
)

STUDY = "extraction.study"
STUDY_REPORT = "extraction.studyreport"

# Actions whose data names the reference at "reference".
ON_A_REFERENCE = {
    AuditAction.DECISION,
    AuditAction.DECISION_RETRACT,
    AuditAction.RESOLVE,
    AuditAction.REOPEN,
    AuditAction.FULL_TEXT,
    AuditAction.VERIFY_CHECK,
    AuditAction.REPORT_LINK,
    AuditAction.REPORT_UNLINK,
    AuditAction.LABEL_APPLY,
    AuditAction.LABEL_REMOVE,
    AuditAction.POST_CREATE,
    AuditAction.POST_EDIT,
    AuditAction.POST_DELETE,
}
# Actions whose data names the study at "study".
IN_A_STUDY = {
    AuditAction.REPORT_LINK,
    AuditAction.REPORT_UNLINK,
    AuditAction.EXTRACTION_EDIT,
    AuditAction.EXTRACTION_DELETE,
}
DUPLICATE_ACTIONS = {
    AuditAction.DUPLICATE_MERGE,
    AuditAction.DUPLICATE_REJECT,
    AuditAction.DUPLICATE_UNDO,
}
STUDY_ACTIONS = {AuditAction.STUDY_CREATE, AuditAction.STUDY_EDIT, AuditAction.STUDY_DELETE}


def as_id(value: Any) -> int | None:
    """An id from an event's data or object_id (stored as text), or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def data_of(event: AuditEvent) -> dict:
    """The event's after, or its before when it has no after (a deletion)."""
    after = event.after if isinstance(event.after, dict) else {}
    before = event.before if isinstance(event.before, dict) else {}
    return after or before


@dataclass
class AuditObjects:
    """What a page of events points at, by id: titles, names and labels only."""

    references: dict[int, str] = field(default_factory=dict)  # id -> title
    members: dict[int, str] = field(default_factory=dict)  # membership id -> username
    searches: dict[int, str] = field(default_factory=dict)  # id -> name
    pairs: dict[int, tuple[int, int]] = field(default_factory=dict)  # candidate -> references
    reasons: dict[int, str] = field(default_factory=dict)  # id -> label now
    studies: dict[int, str] = field(default_factory=dict)  # id -> name, if it still exists
    study_of_link: dict[int, int] = field(default_factory=dict)  # report link -> study


def audit_objects(review: Review, events: Iterable[AuditEvent]) -> AuditObjects:
    """Load the names the events point at, in one query per kind of object."""
    events = list(events)
    wanted: dict[str, set[int]] = defaultdict(set)
    for event in events:
        _want(event, wanted)
    found = AuditObjects()
    if wanted["pair"]:
        for pk, a, b in (
            DuplicateCandidate.objects.in_review(review)
            .filter(pk__in=wanted["pair"])
            .values_list("pk", "reference_a_id", "reference_b_id")
        ):
            found.pairs[pk] = (a, b)
            wanted["reference"] |= {a, b}
    if wanted["link"] and apps.is_installed("extraction"):
        rows = _model(STUDY_REPORT).objects.filter(review=review, pk__in=wanted["link"])
        found.study_of_link = dict(rows.values_list("pk", "study_id"))
        wanted["study"] |= set(found.study_of_link.values())
    if wanted["reference"]:
        found.references = dict(
            Reference.objects.filter(pk__in=wanted["reference"]).values_list("pk", "title")
        )
    if wanted["member"]:
        found.members = dict(
            Membership.objects.in_review(review)
            .filter(pk__in=wanted["member"])
            .values_list("pk", "user__username")
        )
    if wanted["search"]:
        found.searches = {
            search.pk: str(search)
            for search in Search.objects.in_review(review)
            .filter(pk__in=wanted["search"])
            .only("pk", "method", "run_at", "file_name", "query")
        }
    if wanted["reason"]:
        found.reasons = dict(
            ExclusionReason.objects.in_review(review)
            .filter(pk__in=wanted["reason"])
            .values_list("pk", "label")
        )
    if wanted["study"] and apps.is_installed("extraction"):
        studies = _model(STUDY).objects.filter(review=review, pk__in=wanted["study"])
        found.studies = {study.pk: str(study) for study in studies.only("pk", "name", "acronym")}
    return found


def _model(label: str):
    return apps.get_model(label)


def _want(event: AuditEvent, wanted: dict[str, set[int]]) -> None:
    """Note the ids the event's sentence names."""
    action, data, pk = event.action, data_of(event), as_id(event.object_id)
    if action in ON_A_REFERENCE:
        _add(wanted["reference"], data.get("reference"))
    if action in IN_A_STUDY:
        _add(wanted["study"], data.get("study"))
    if action == AuditAction.DUPLICATE_MERGE:
        _add(wanted["reference"], data.get("kept"), data.get("removed"))
    if action in DUPLICATE_ACTIONS:
        _add(wanted["pair"], pk)
    if action in (AuditAction.REMOVE, AuditAction.RESTORE):
        references = data.get("references") or []
        if len(references) == 1:
            _add(wanted["reference"], references[0])
    if action == AuditAction.MEMBER_ROLE:
        _add(wanted["member"], pk)
    if action in (AuditAction.SEARCH_SCHEDULE, AuditAction.SEARCH_DOCUMENT):
        _add(wanted["search"], pk)
    if action == AuditAction.REASON_EDIT:
        _add(wanted["reason"], pk)
    if action in STUDY_ACTIONS:
        _add(wanted["study"], pk)
    if action == AuditAction.REPORT_PRIMARY:
        _add(wanted["link"], pk)
        _add(wanted["reference"], *(event.before or {}).values(), *(event.after or {}).values())


def _add(ids: set[int], *values: Any) -> None:
    for value in values:
        pk = as_id(value)
        if pk is not None:
            ids.add(pk)
