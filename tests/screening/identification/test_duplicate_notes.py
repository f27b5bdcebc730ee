"""A merge carries the labels and discussion of the reference merged away onto the one kept
(else they would sit on a reference no list shows), and its undo takes exactly those back. The
merge's audit event, which every member sees, says nothing of them."""

from __future__ import annotations

import pytest

from screening.constants import AuditAction, CandidateStatus
from screening.identification.duplicates import duplicate_merge, duplicate_undo
from screening.labels.discussion import post_create
from screening.labels.services import label_apply, label_create
from screening.models import (
    AuditEvent,
    DuplicateCandidate,
    Membership,
    Post,
    Record,
    ReferenceLabel,
)
from screening.permissions.blinding import VoteView
from tests.screening.identification.test_duplicates import NEAR, NEAR_TYPO

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(import_text):
    """Two near duplicates of one article, from two databases, proposed as a pair."""
    import_text(NEAR, name="embase.ris", source="Embase")
    import_text(NEAR_TYPO, name="scopus.ris", source="Scopus")
    return DuplicateCandidate.objects.get()


def _uses(reference) -> list[int]:
    """Who put a label on the reference."""
    return list(
        ReferenceLabel.objects.filter(reference=reference).values_list("applied_by", flat=True)
    )


def _put(review, user, label, reference):
    view = VoteView.of(review, Membership.objects.get(review=review, user=user))
    label_apply(
        review=review, label_id=label.pk, reference_ids=[reference.pk], user=user, view=view
    )


def test_labels_and_posts_follow_the_merge_and_go_back_on_undo(pair, review, owner, reviewer):
    a, b = pair.reference_a, pair.reference_b
    shared = label_create(review=review, user=owner, name="Check dose", colour="blue")
    private = label_create(review=review, user=reviewer, name="Zqx-private", colour="red",
                           private=True)  # fmt: skip
    _put(review, owner, shared, b)
    _put(review, owner, shared, a)  # the owner's use on both: stays on b, a has it already
    _put(review, reviewer, shared, b)
    _put(review, reviewer, private, b)
    post = post_create(review=review, reference_id=b.pk, user=owner, text="Same trial as A?")

    duplicate_merge(candidate=pair, user=owner)  # keeps a
    on_a = set(ReferenceLabel.objects.filter(reference=a).values_list("label__name", "applied_by"))
    assert on_a == {
        ("Check dose", owner.pk),
        ("Check dose", reviewer.pk),
        ("Zqx-private", reviewer.pk),
    }
    assert _uses(b) == [owner.pk]
    assert Post.objects.get(pk=post.pk).reference_id == a.pk
    event = AuditEvent.objects.filter(action=AuditAction.DUPLICATE_MERGE).latest("id")
    assert "notes" not in event.after and "Zqx" not in str(event.after)

    # Meanwhile the reviewer takes the private label off and writes another post on a.
    ReferenceLabel.objects.filter(label=private).delete()
    later = post_create(review=review, reference_id=a.pk, user=reviewer, text="Yes, HARMONi-A.")
    duplicate_undo(candidate=pair, user=owner)
    assert set(
        ReferenceLabel.objects.filter(reference=b).values_list("label__name", "applied_by")
    ) == {("Check dose", owner.pk), ("Check dose", reviewer.pk)}
    assert _uses(a) == [owner.pk]
    assert Post.objects.get(pk=post.pk).reference_id == b.pk
    assert Post.objects.get(pk=later.pk).reference_id == a.pk  # written on a: stays there


def test_a_merge_from_before_labels_moved_undoes_as_it_did(pair, review, owner):
    """A pair merged before this change has no "notes" in its moved records."""
    duplicate_merge(candidate=pair, user=owner)
    pair.refresh_from_db()
    del pair.moved_records["notes"]
    pair.save(update_fields=["moved_records"])
    assert duplicate_undo(candidate=pair, user=owner).status == CandidateStatus.UNDONE
    assert {r.reference_id for r in Record.objects.all()} == {
        pair.reference_a_id,
        pair.reference_b_id,
    }
