"""The label filter and the label chips of the other lists: conflicts, My decisions and
retrieval. Each goes through the one rule (screening.permissions.labels): a teammate's private
label is no choice and matches nothing, and under blind screening a label put on a reference
while it was open is hidden from a teammate who has not voted on it yet."""

from __future__ import annotations

import pytest
from django.urls import reverse

from screening.constants import Stage
from screening.decisions.services import decision_record
from screening.labels.services import label_apply, label_create
from screening.models import ScreeningItem

pytestmark = pytest.mark.django_db

TA = Stage.TITLE_ABSTRACT


def _vote(team, user, ref, verdict):
    decision_record(review=team.review, reference=ref, stage=TA, reviewer=user, verdict=verdict)


def _apply(team, user, label, *refs):
    label_apply(
        review=team.review, label_id=label.pk, reference_ids=[r.pk for r in refs], user=user,
        view=team.view(user),
    )  # fmt: skip


def _number(reference) -> str:
    """The number ris() gives each reference (the fourth word from the end of its title)."""
    return reference.title.split()[-4]


@pytest.fixture
def labelled(team):
    """R1, R2 and R3 in conflict (A includes, B excludes); A's shared label "Team" on R1 and R2,
    A's private label "Mine" on R3; R4: A's vote, then A's "Team" on it (open, so hidden from
    B until B votes)."""
    team.shared = label_create(review=team.review, user=team.a, name="Team", colour="blue")
    team.mine = label_create(
        review=team.review, user=team.a, name="Mine", colour="red", private=True
    )
    r1, r2, r3, r4 = team.refs
    for ref in (r1, r2, r3):
        _vote(team, team.a, ref, "include")
        _vote(team, team.b, ref, "exclude")
    _apply(team, team.a, team.shared, r1, r2)
    _apply(team, team.a, team.mine, r3)
    _vote(team, team.a, r4, "include")
    _apply(team, team.a, team.shared, r4)
    return team


def _conflicts(team, user, **query) -> list[str]:
    url = reverse("screening:conflict-list", args=[team.review.slug])
    response = team.client(user).get(url, query)
    assert response.status_code == 200
    return sorted(_number(item.reference) for item in response.context["page"])  # by rank


def test_the_conflicts_filter_by_label_as_each_member_sees_them(labelled):
    team = labelled
    shared, mine = str(team.shared.pk), str(team.mine.pk)
    assert _conflicts(team, team.o) == ["1", "2", "3"]
    assert _conflicts(team, team.o, label=shared) == ["1", "2"]
    assert _conflicts(team, team.o, label="none") == ["3"]  # A's private label is not the owner's
    assert _conflicts(team, team.a, label=mine) == ["3"]
    # Another member's private label matches nothing, as a label that does not exist.
    assert _conflicts(team, team.o, label=mine) == _conflicts(team, team.o, label="999999") == []
    page = team.client(team.o).get(
        reverse("screening:conflict-list", args=[team.review.slug]), {"label": shared}
    )
    html = page.content.decode()
    assert '<select name="label">' in html and ">No label</option>" in html
    assert "Mine" not in html
    assert html.count('<span class="label-chip label-blue">Team</span>') == 2
    assert f"label={shared}" in html  # the stage tabs keep the label


def test_resolving_a_conflict_keeps_the_label_filter(labelled):
    team = labelled
    r1 = team.refs[0]
    item = ScreeningItem.objects.get(review=team.review, reference=r1, stage=TA)
    response = team.client(team.o).post(
        reverse("screening:conflict-resolve", args=[team.review.slug, item.pk]),
        {"verdict": "include", "label": str(team.shared.pk)},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?stage={TA}&label={team.shared.pk}")
    assert _conflicts(team, team.o, label=str(team.shared.pk)) == ["2"]


def _mine(team, user, **query) -> list[str]:
    url = reverse("screening:my-decisions", args=[team.review.slug, "title-abstract"])
    response = team.client(user).get(url, query)
    assert response.status_code == 200
    return [_number(vote.item.reference) for vote in response.context["page"]]


def test_my_decisions_filter_by_label(labelled):
    team = labelled
    shared, mine = str(team.shared.pk), str(team.mine.pk)
    assert _mine(team, team.a, label=shared) == ["4", "2", "1"]
    assert _mine(team, team.a, label=mine) == ["3"]
    assert _mine(team, team.b, label=shared) == ["2", "1"]
    assert _mine(team, team.b, label="none") == ["3"]
    assert _mine(team, team.b, label=mine) == []
    html = (
        team.client(team.b)
        .get(reverse("screening:my-decisions", args=[team.review.slug, "title-abstract"]))
        .content.decode()
    )
    assert "Mine" not in html and html.count('<span class="label-chip label-blue">Team</span>') == 2


def test_a_label_hidden_by_blind_screening_matches_nothing_until_the_teammate_votes(labelled):
    team = labelled
    r4 = team.refs[3]
    shared = str(team.shared.pk)
    assert _mine(team, team.a, label=shared)[0] == "4"
    _vote(team, team.b, r4, "exclude")  # now B has voted on R4: A's label shows to B
    assert _mine(team, team.b, label=shared) == ["4", "2", "1"]
    assert "4" in _conflicts(team, team.b, label=shared)


def _retrieval(team, user, **query) -> list[str]:
    url = reverse("screening:retrieval-list", args=[team.review.slug])
    response = team.client(user).get(url, query)
    assert response.status_code == 200
    return [_number(item.reference) for item, _ in response.context["rows"]]


def test_the_retrieval_list_filters_by_label(team):
    shared = label_create(review=team.review, user=team.a, name="Ask author", colour="green")
    mine = label_create(review=team.review, user=team.b, name="Bea's", colour="red", private=True)
    r1, r2, r3, _ = team.refs
    for ref in (r1, r2, r3):
        _vote(team, team.a, ref, "include")
        _vote(team, team.b, ref, "include")
    _apply(team, team.a, shared, r2)
    _apply(team, team.b, mine, r3)
    assert _retrieval(team, team.o) == ["1", "2", "3"]
    assert _retrieval(team, team.o, label=str(shared.pk)) == ["2"]
    assert _retrieval(team, team.o, label="none") == ["1", "3"]
    assert _retrieval(team, team.o, label=str(mine.pk)) == []
    assert _retrieval(team, team.b, label=str(mine.pk)) == ["3"]
    html = (
        team.client(team.o)
        .get(
            reverse("screening:retrieval-list", args=[team.review.slug]),
            {"label": str(shared.pk)},
        )
        .content.decode()
    )
    assert "Bea&#x27;s" not in html and "Bea's" not in html
    assert f"label={shared.pk}" in html  # the state tabs keep the label
    assert '<span class="label-chip label-green">Ask author</span>' in html
