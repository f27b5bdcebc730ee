"""Double data extraction's services: the settings, an extractor's entry started and
submitted (its digest logged), and the check that no submitted entry was rewritten since. Who
may write and see what is in access.py; the consensus made from the entries in consensus.py."""

from __future__ import annotations

import hashlib
import json

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from screening.audit.chain import audit_record, review_lock
from screening.constants import AuditAction
from screening.models import AuditEvent, Membership, Review

from .access import (
    MAX_EXTRACTORS,
    ExtractionRefused,
    check_editor,
    check_entry_writer,
    entry_state,
    has_consensus,
)
from .models import Arm, ArmResult, Comparison, Entry, ExtractionSettings, Outcome, Study
from .services import snapshot

# --- Services ---------------------------------------------------------------------------------


@transaction.atomic
def extraction_settings_update(
    *, review: Review, user: AbstractBaseUser | None, extractors: int
) -> ExtractionSettings:
    if user is not None:
        membership = Membership.objects.in_review(review).filter(user=user).first()
        if membership is None or not membership.can_manage:
            raise ExtractionRefused("Only the review's owners change the extraction settings.")
    if not 1 <= extractors <= MAX_EXTRACTORS:
        raise ExtractionRefused(f"Each study is extracted by 1 to {MAX_EXTRACTORS} people.")
    review_lock(review)
    current = ExtractionSettings.for_review(review)
    before = current.extractors
    if current.pk is not None and before == extractors:
        return current
    current.extractors = extractors
    current.save()
    audit_record(
        review=review,
        review_locked=True,
        actor=user,
        action=AuditAction.EXTRACTION_SETTINGS,
        obj=current,
        before={"extractors": before},
        after={"extractors": extractors},
    )
    return current


@transaction.atomic
def entry_start(*, study: Study, user: AbstractBaseUser) -> Entry:
    """The member's own entry of the study: the existing one, or a new empty one while the
    study needs more entries and has no consensus yet."""
    review = study.review
    check_editor(review, user)
    review_lock(review)
    state = entry_state(study)
    mine = state.mine(user.pk)
    if mine is not None:
        return mine
    if not state.double:
        raise ExtractionRefused(
            "This review extracts each study once: enter the data on the study's page."
        )
    if len(state.entries) >= state.wanted:
        raise ExtractionRefused(f"This study has its {state.wanted} entries already ({state.who}).")
    if has_consensus(study):
        raise ExtractionRefused(
            "This study's data were already entered without independent entries: an entry "
            "now would not be independent of them."
        )
    try:
        with transaction.atomic():
            entry = Entry.objects.create(study=study, extractor=user)
    except IntegrityError as error:  # a double click: the other request made it
        raise ExtractionRefused("You already have an entry of this study.") from error
    audit_record(
        review=review,
        review_locked=True,
        actor=user,
        action=AuditAction.ENTRY_START,
        obj=entry,
        after={"study": study.pk, "name": str(study)},
    )
    return entry


def entry_content(entry: Entry | None, study: Study) -> dict:
    """An entry's rows (None: the consensus) as plain JSON, each kind in a stable order: what
    an entry's submission digest is taken of, and what the export of both entries gives."""
    arms = list(Arm.objects.filter(study=study, entry=entry).order_by("position", "id"))
    outcomes = list(
        Outcome.objects.filter(study=study, entry=entry)
        .order_by("position", "id")
        .prefetch_related(
            Prefetch("results", queryset=ArmResult.objects.order_by("arm__position", "arm_id")),
            Prefetch("comparisons", queryset=Comparison.objects.order_by("id")),
        )
    )
    label = {arm.pk: arm.label for arm in arms}
    drop = {"id", "study", "entry", "consensus", "outcome", "position", "updated_at"}

    def plain(row, **names) -> dict:
        values = {k: v for k, v in snapshot(row).items() if k not in drop}
        return {**values, **names}

    return {
        "arms": [plain(arm) for arm in arms],
        "outcomes": [
            {
                **plain(outcome),
                "results": [
                    plain(result, arm=label[result.arm_id]) for result in outcome.results.all()
                ],
                "comparisons": [
                    plain(c, arm=label[c.arm_id], comparator=label[c.comparator_id])
                    for c in outcome.comparisons.all()
                ],
            }
            for outcome in outcomes
        ],
    }


def digest(content: dict) -> str:
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def entry_submit(*, entry: Entry, user: AbstractBaseUser | None) -> Entry:
    """Submit the draft: it is frozen, and its content's digest logged (not its values: the
    log is every member's, and the entry stays hidden until the study's entries are all in)."""
    study = entry.study
    review_lock(study.review)
    entry = Entry.objects.select_for_update().select_related("study").get(pk=entry.pk)
    check_entry_writer(entry, user)
    content = entry_content(entry, study)
    if not content["arms"] and not content["outcomes"]:
        raise ExtractionRefused("Not submitted: the entry is empty. Enter the study's data first.")
    entry.submitted_at = timezone.now()
    entry.digest = digest(content)
    entry.save(update_fields=["submitted_at", "digest"])
    audit_record(
        review=study.review,
        review_locked=True,
        actor=user,
        action=AuditAction.ENTRY_SUBMIT,
        obj=entry,
        after={"study": study.pk, "name": str(study), "digest": entry.digest},
    )
    return entry


def entry_digest_mismatches(review: Review, study: Study | None = None) -> list[Entry]:
    """Submitted entries (of the review, or of one study) whose rows no longer match the digest
    the (signed, chained) audit log holds for their submission: a rewrite behind the
    application's back. A submitted entry with no such event counts too."""
    logged = {
        int(object_id): after.get("digest")
        for object_id, after in AuditEvent.objects.in_review(review)
        .filter(action=AuditAction.ENTRY_SUBMIT)
        .values_list("object_id", "after")
    }
    found = []
    entries = Entry.objects.filter(study__review=review, submitted_at__isnull=False)
    if study is not None:
        entries = entries.filter(study=study)
    for entry in entries.select_related("study", "extractor"):
        current = digest(entry_content(entry, entry.study))
        if logged.get(entry.pk) != current or entry.digest != current:
            found.append(entry)
    return found
