"""A reference's discussion: owners and reviewers post, an author edits or deletes their own post
(and no one else's), every version stays in the audit log; under blind screening a post on a
reference open at a stage is hidden from a teammate until they have voted there or it settles,
as their labels are."""

from __future__ import annotations

import pytest

from screening.constants import AuditAction, Stage
from screening.decisions.services import decision_record
from screening.labels.common import LabelRefused
from screening.labels.discussion import post_create, post_delete, post_edit
from screening.labels.selectors import reference_notes
from screening.models import AuditEvent, Post

pytestmark = pytest.mark.django_db

TA = Stage.TITLE_ABSTRACT


def _post(team, user, ref, text: str) -> Post:
    return post_create(review=team.review, reference_id=ref.pk, user=user, text=text)


def _texts(team, user, ref, *, screening=False) -> list[str]:
    notes = reference_notes(team.review, team.view(user, screening=screening), ref.pk)
    return [post.text for post in notes.posts]


def _vote(team, user, ref, verdict="include"):
    decision_record(review=team.review, reference=ref, stage=TA, reviewer=user, verdict=verdict)


def test_a_post_on_an_open_reference_is_hidden_from_blind_teammates_until_they_vote_or_it_settles(
    team,
):
    ref = team.refs[0]
    post = _post(team, team.a, ref, "  Phase I only, I think.  ")
    assert (post.text, post.stage) == ("Phase I only, I think.", TA)
    assert _texts(team, team.a, ref) == ["Phase I only, I think."]
    assert _texts(team, team.b, ref) == [] and _texts(team, team.v, ref) == []
    assert _texts(team, team.o, ref) == ["Phase I only, I think."]
    assert _texts(team, team.o, ref, screening=True) == []
    notes = reference_notes(team.review, team.view(team.b), ref.pk)
    assert notes.blind  # the page says why B may not see everything
    _vote(team, team.b, ref)  # B has voted: B sees it; the viewer still does not
    assert _texts(team, team.b, ref) == ["Phase I only, I think."]
    assert _texts(team, team.v, ref) == []
    _vote(team, team.a, ref)  # settled
    assert _texts(team, team.v, ref) == ["Phase I only, I think."]
    assert not reference_notes(team.review, team.view(team.v), ref.pk).blind


def test_posts_come_in_the_order_they_were_written(team):
    ref = team.refs[1]
    _vote(team, team.a, ref)
    _vote(team, team.o, ref)
    for n, who in enumerate((team.a, team.b, team.o)):
        _post(team, who, ref, f"post {n}")
    assert _texts(team, team.v, ref) == ["post 0", "post 1", "post 2"]


def test_only_the_author_edits_or_deletes_a_post_and_the_log_keeps_every_version(team):
    ref = team.refs[2]
    post = _post(team, team.a, ref, "First words")
    for other in (team.b, team.o):
        with pytest.raises(LabelRefused, match="Only its author"):
            post_edit(post=post, user=other, text="Not mine")
        with pytest.raises(LabelRefused, match="Only its author"):
            post_delete(post=post, user=other)
    post_edit(post=post, user=team.a, text="Second words")
    post.refresh_from_db()
    assert post.text == "Second words" and post.edited_at is not None
    post_delete(post=post, user=team.a)
    assert not Post.objects.exists()
    events = AuditEvent.objects.filter(action__startswith="post.").order_by("seq")
    assert [(e.action, e.before, e.after.get("text")) for e in events] == [
        (AuditAction.POST_CREATE, None, "First words"),
        (AuditAction.POST_EDIT, {"text": "First words"}, "Second words"),
        (AuditAction.POST_DELETE, {"text": "Second words"}, None),
    ]
    assert all(e.after["reference"] == ref.pk and e.after["stage"] == TA for e in events)


def test_an_edit_is_stamped_with_the_stage_open_then(team):
    ref = team.refs[3]
    post = _post(team, team.a, ref, "Before")
    _vote(team, team.a, ref)
    _vote(team, team.o, ref)  # settled: nothing open
    post_edit(post=post, user=team.a, text="After")
    post.refresh_from_db()
    assert post.stage == ""
    assert _texts(team, team.v, ref) == ["After"]


def test_a_post_needs_words_a_writer_and_a_reference_of_the_review(team):
    with pytest.raises(LabelRefused, match="Write something"):
        _post(team, team.a, team.refs[0], " \n ")
    with pytest.raises(LabelRefused, match="at most"):
        _post(team, team.a, team.refs[0], "x" * 5001)
    with pytest.raises(LabelRefused, match="owners and reviewers"):
        _post(team, team.v, team.refs[0], "A viewer's words")
    with pytest.raises(LabelRefused, match="not in this review"):
        post_create(review=team.review, reference_id=10**6, user=team.a, text="Nowhere")
    assert not Post.objects.exists()
