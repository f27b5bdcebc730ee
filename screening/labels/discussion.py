"""Writes of a reference's discussion: a post, its author's edit or deletion. The rules, said on
the page too: owners and reviewers post (viewers read); a post is its author's to edit or
delete at any time, and no one else's (an owner included); the audit log keeps every version,
a deleted post's words included. A post written or edited while the reference is open at a
stage is stamped with it, and blind screening hides it from teammates as it hides their votes
there (VoteView.notes): a note on an open reference can tell its author's vote."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from screening.audit.chain import audit_record, review_lock
from screening.constants import AuditAction
from screening.labels.common import LabelRefused, in_review, open_stages, writer_membership
from screening.models import Post, Review
from screening.models.labels import POST_LENGTH


def _clean(text: str) -> str:
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise LabelRefused("Write something to post.")
    if len(text) > POST_LENGTH:
        raise LabelRefused(f"A post has at most {POST_LENGTH:,} characters.")
    return text


def _own(post: Post, user: AbstractBaseUser) -> None:
    writer_membership(post.review, user)
    if post.author_id != user.pk:
        raise LabelRefused("Only its author can edit or delete a post.")


def _stage_now(post: Post) -> str:
    return open_stages(post.review, [post.reference_id]).get(post.reference_id, "")


@transaction.atomic
def post_create(*, review: Review, reference_id: int, user: AbstractBaseUser, text: str) -> Post:
    """A new post in the reference's discussion."""
    writer_membership(review, user)
    text = _clean(text)
    if not in_review(review, [reference_id]):
        raise LabelRefused("That reference is not in this review.")
    review_lock(review)
    stage = open_stages(review, [reference_id]).get(reference_id, "")
    post = Post.objects.create(
        review=review, reference_id=reference_id, author=user, text=text, stage=stage
    )
    audit_record(
        review=review,
        review_locked=True,
        actor=user,
        action=AuditAction.POST_CREATE,
        obj=post,
        after={"reference": reference_id, "stage": stage, "text": text},
    )
    return post


@transaction.atomic
def post_edit(*, post: Post, user: AbstractBaseUser, text: str) -> Post:
    """The author's new words for their post, stamped with the stage open now."""
    _own(post, user)
    text = _clean(text)
    review_lock(post.review)
    before = post.text
    post.text, post.stage, post.edited_at = text, _stage_now(post), timezone.now()
    post.save(update_fields=["text", "stage", "edited_at"])
    audit_record(
        review=post.review,
        review_locked=True,
        actor=user,
        action=AuditAction.POST_EDIT,
        obj=post,
        before={"text": before},
        after={"reference": post.reference_id, "stage": post.stage, "text": text},
    )
    return post


@transaction.atomic
def post_delete(*, post: Post, user: AbstractBaseUser) -> None:
    """Delete the author's post; its words stay in the audit log."""
    _own(post, user)
    review_lock(post.review)
    audit_record(
        review=post.review,
        review_locked=True,
        actor=user,
        action=AuditAction.POST_DELETE,
        obj=post,
        before={"text": post.text},
        after={"reference": post.reference_id, "stage": _stage_now(post)},
    )
    post.delete()
