"""Labels: a review's shared and private labels, putting them on references and taking them off,
and what each member sees of them. A private label is its maker's alone; under blind screening a
label put on a reference while it is open at a stage is hidden from a teammate until they have
voted there or the stage settles it, and neither shows through a list, a filter, a count or an
export."""

from __future__ import annotations

import pytest

from screening.constants import AuditAction, Stage
from screening.decisions.services import decision_record
from screening.labels.common import LabelRefused
from screening.labels.selectors import label_counts, reference_notes
from screening.labels.services import (
    label_apply,
    label_create,
    label_delete,
    label_remove,
    label_update,
)
from screening.models import AuditEvent, Label, ReferenceLabel
from screening.permissions.labels import labels_for, labels_on

pytestmark = pytest.mark.django_db

TA = Stage.TITLE_ABSTRACT


def _names(labels) -> list[str]:
    return [label.name for label in labels]


def _apply(team, user, label, *refs, screening=False) -> int:
    return label_apply(
        review=team.review, label_id=label.pk, reference_ids=[r.pk for r in refs], user=user,
        view=team.view(user, screening=screening),
    )  # fmt: skip


def _remove(team, user, label, *refs) -> int:
    return label_remove(
        review=team.review, label_id=label.pk, reference_ids=[r.pk for r in refs], user=user,
        view=team.view(user),
    )  # fmt: skip


def _seen(team, user, ref, *, screening=False) -> list[str]:
    return _names(
        labels_on(team.review, team.view(user, screening=screening), [ref.pk]).get(ref.pk, [])
    )


def _vote(team, user, ref, verdict="include"):
    decision_record(review=team.review, reference=ref, stage=TA, reviewer=user, verdict=verdict)


def test_a_shared_label_is_the_teams_and_a_private_one_only_its_makers(team):
    shared = label_create(review=team.review, user=team.a, name="Check dose", colour="blue")
    label_create(review=team.review, user=team.a, name="My doubts", colour="red", private=True)
    assert _names(labels_for(team.review, team.a.pk)) == ["Check dose", "My doubts"]
    for other in (team.b, team.o, team.v):
        assert _names(labels_for(team.review, other.pk)) == ["Check dose"]
    event = AuditEvent.objects.get(action=AuditAction.LABEL_CREATE, object_id=str(shared.pk))
    assert event.after == {"name": "Check dose", "colour": "blue", "private": False}


def test_names_are_unique_among_shared_labels_and_among_ones_own_private_ones(team):
    label_create(review=team.review, user=team.a, name="Check dose", colour="blue")
    with pytest.raises(LabelRefused, match="already a label"):
        label_create(review=team.review, user=team.b, name="  check   DOSE ", colour="red")
    label_create(review=team.review, user=team.a, name="Later", colour="grey", private=True)
    with pytest.raises(LabelRefused, match="already a label"):
        label_create(review=team.review, user=team.a, name="later", colour="grey", private=True)
    # A teammate's private label blocks nothing (it would tell them it exists), nor does a
    # shared one block a private name.
    label_create(review=team.review, user=team.b, name="Later", colour="grey", private=True)
    label_create(review=team.review, user=team.b, name="Later", colour="green")
    label_create(review=team.review, user=team.a, name="Check dose", colour="red", private=True)
    with pytest.raises(LabelRefused, match="name"):
        label_create(review=team.review, user=team.a, name="   ", colour="red")
    with pytest.raises(LabelRefused, match="colour"):
        label_create(review=team.review, user=team.a, name="Pink", colour="pink")


def test_viewers_read_labels_but_do_not_make_or_use_them(team):
    with pytest.raises(LabelRefused, match="owners and reviewers"):
        label_create(review=team.review, user=team.v, name="Mine", colour="red")
    label = label_create(review=team.review, user=team.a, name="Team", colour="red")
    with pytest.raises(LabelRefused, match="owners and reviewers"):
        _apply(team, team.v, label, team.refs[0])


def test_only_the_maker_or_an_owner_renames_or_deletes_a_shared_label(team):
    label = label_create(review=team.review, user=team.a, name="Team", colour="red")
    with pytest.raises(LabelRefused, match="maker or an owner"):
        label_update(label=label, user=team.b, name="Hijack", colour="red")
    label_update(label=label, user=team.o, name="Team flag", colour="green")
    label.refresh_from_db()
    assert (label.name, label.colour) == ("Team flag", "green")
    edit = AuditEvent.objects.get(action=AuditAction.LABEL_EDIT)
    assert edit.before == {"name": "Team", "colour": "red"}
    with pytest.raises(LabelRefused, match="maker or an owner"):
        label_delete(label=label, user=team.b)
    _apply(team, team.a, label, team.refs[0])
    label_delete(label=label, user=team.a)
    assert not Label.objects.exists() and not ReferenceLabel.objects.exists()
    deleted = AuditEvent.objects.get(action=AuditAction.LABEL_DELETE)
    assert deleted.before["name"] == "Team flag" and deleted.after == {"private": False}


def test_a_private_label_is_its_makers_alone_even_for_an_owner(team):
    mine = label_create(review=team.review, user=team.a, name="Mine", colour="red", private=True)
    for other in (team.o, team.b):
        with pytest.raises(LabelRefused, match="No such label"):
            label_update(label=mine, user=other, name="Seen", colour="red")
        with pytest.raises(LabelRefused, match="No such label"):
            _apply(team, other, mine, team.refs[0])
    # Settled or not, no one else ever sees it on a reference.
    ref = team.refs[0]
    _apply(team, team.a, mine, ref)
    _vote(team, team.a, ref)
    _vote(team, team.o, ref)
    assert _seen(team, team.a, ref) == ["Mine"]
    for other in (team.o, team.b, team.v):
        assert _seen(team, other, ref) == []
        assert label_counts(team.review, team.view(other)) == {}
        assert reference_notes(team.review, team.view(other), ref.pk).labels == []


def test_a_label_on_an_open_reference_is_hidden_from_a_blind_teammate_until_the_stage_settles(
    team,
):
    label = label_create(review=team.review, user=team.a, name="Team", colour="red")
    ref = team.refs[0]
    assert _apply(team, team.a, label, ref) == 1
    assert ReferenceLabel.objects.get().stage == TA  # stamped with the stage it is open at
    assert _seen(team, team.a, ref) == ["Team"]
    for blind in (team.b, team.v):
        assert _seen(team, blind, ref) == []
        assert label_counts(team.review, team.view(blind)) == {}
    # An owner sees all, except on the screening page, where they screen blind too.
    assert _seen(team, team.o, ref) == ["Team"]
    assert _seen(team, team.o, ref, screening=True) == []
    # A's vote alone settles nothing: still hidden.
    _vote(team, team.a, ref)
    assert _seen(team, team.b, ref) == []
    # The owner's vote settles it: every member sees the label.
    _vote(team, team.o, ref)
    for member in (team.b, team.v, team.o):
        assert _seen(team, member, ref) == ["Team"]
    assert label_counts(team.review, team.view(team.b)) == {label.pk: 1}


def test_a_blind_teammate_sees_the_label_once_they_have_voted_there_too(team):
    label = label_create(review=team.review, user=team.a, name="Team", colour="red")
    ref = team.refs[1]
    _apply(team, team.a, label, ref)
    assert _seen(team, team.b, ref) == []
    _vote(team, team.b, ref, "exclude")
    assert _seen(team, team.b, ref) == ["Team"]
    assert _seen(team, team.v, ref) == []  # the viewer never votes: hidden until it settles


def test_a_label_put_on_where_nothing_is_open_shows_at_once(team):
    ref = team.refs[2]
    _vote(team, team.a, ref)
    _vote(team, team.o, ref)  # settled: included at title and abstract
    label = label_create(review=team.review, user=team.a, name="Team", colour="red")
    _apply(team, team.a, label, ref)
    assert ReferenceLabel.objects.get().stage == ""
    assert _seen(team, team.b, ref) == ["Team"]


def test_each_member_puts_a_shared_label_on_as_their_own(team):
    """B, who cannot see A's use, may put the same label on: B's own row, seen by B; A's stays
    hidden from B, and B's from A, until the stage settles."""
    label = label_create(review=team.review, user=team.o, name="Team", colour="red")
    ref = team.refs[0]
    _apply(team, team.a, label, ref)
    assert _apply(team, team.b, label, ref) == 1
    assert ReferenceLabel.objects.count() == 2
    assert _apply(team, team.b, label, ref) == 0  # already on, as B sees it
    # Taking it off takes off what B sees: B's own use, not A's hidden one.
    assert _remove(team, team.b, label, ref) == 1
    assert list(ReferenceLabel.objects.values_list("applied_by", flat=True)) == [team.a.pk]
    assert _seen(team, team.a, ref) == ["Team"]


def test_taking_a_shared_label_off_takes_off_every_use_the_member_sees(team):
    label = label_create(review=team.review, user=team.o, name="Team", colour="red")
    ref = team.refs[3]
    _apply(team, team.a, label, ref)
    _apply(team, team.b, label, ref)  # each blind to the other's
    _vote(team, team.a, ref)
    _vote(team, team.b, ref)  # settled, so everyone sees every use
    assert _apply(team, team.o, label, ref) == 0  # on already, as the owner sees it
    assert _remove(team, team.o, label, ref) == 1  # one reference
    assert not ReferenceLabel.objects.exists()
    removals = AuditEvent.objects.filter(action=AuditAction.LABEL_REMOVE).order_by("seq")
    assert [event.after["applied_by"] for event in removals] == [
        team.a.username,
        team.b.username,
    ]
    assert all(event.actor_id == team.o.pk for event in removals)


def test_a_label_goes_only_on_the_reviews_references(team, other_review, owner):
    label = label_create(review=team.review, user=team.a, name="Team", colour="red")
    assert label_apply(
        review=team.review, label_id=label.pk, reference_ids=[team.refs[0].pk, 10**6],
        user=team.a, view=team.view(team.a),
    ) == 1  # fmt: skip
    # Another review's label is no label here.
    elsewhere = label_create(review=other_review, user=owner, name="Elsewhere", colour="red")
    with pytest.raises(LabelRefused, match="No such label"):
        _apply(team, team.o, elsewhere, team.refs[0])


def test_every_use_is_audited_with_its_reference_and_stage(team):
    label = label_create(review=team.review, user=team.a, name="Team", colour="red")
    _apply(team, team.a, label, *team.refs[:2])
    events = AuditEvent.objects.filter(action=AuditAction.LABEL_APPLY).order_by("seq")
    assert [(e.after["reference"], e.after["stage"], e.after["name"]) for e in events] == [
        (team.refs[0].pk, TA, "Team"),
        (team.refs[1].pk, TA, "Team"),
    ]
    assert all(e.actor_id == team.a.pk and e.after["private"] is False for e in events)
