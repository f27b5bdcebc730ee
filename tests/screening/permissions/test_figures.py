"""Blind screening: figures and filters that would leak a vote without its text (the review
home's "relevant found" and curve, the reference list filtered by reviewer, verdict or reason,
the exclusion audit's reasons by reviewer, the audit log filtered by actor, the verdicts in the
reference list's CSV and RIS, agreement's 2x2 table on an open conflict). Where a verdict could
leak without a sentinel, a test records A's include and A's exclude on R3 in turn (savepoints)
and compares what B and V see. Then the positive controls: the owner sees every vote, and B sees
A's once B has voted.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.db import transaction
from django.urls import reverse

from screening.models import Membership, ScreeningItem
from tests.screening.permissions.world import (
    HTMX,
    LABEL_PRIVATE,
    NOTE_R1,
    NOTE_R2,
    NOTE_R6,
    POST_R2,
    REASON_R1,
    REASON_R6,
    SENTINELS,
    TA,
    World,
    _vote,
    body,
    sentinels_in,
)
from tests.screening.permissions.world_entries import ENTRY_SENTINELS
from tests.screening.permissions.world_rob import (
    ROB_SENTINELS,
)

pytestmark = pytest.mark.django_db

# --- 2. Figures and filters ---------------------------------------------------------------------


def _home(world: World, role: str, headers=None) -> str:
    url = reverse("screening:review-home", args=[world.review.slug])
    response = world.clients[role].get(url, headers=headers or {})
    assert response.status_code == 200
    return response.content.decode()


def _figure(page: str, element_id: str) -> str | None:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)<', page, re.S)
    return found.group(1).strip() if found else None


def _stopping_aid(page: str) -> str:
    """The home page's "order and stopping" section, without per-request tokens."""
    found = re.search(r'<section class="stopping-aid".*?</section>', page, re.S)
    section = found.group(0) if found else ""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", section)


def _seen_under(world: World, worlds: dict[str, list[tuple[str, str, str]]], fetch) -> dict:
    """What `fetch()` returns in each world: the (reference, voter, verdict) votes recorded in a
    savepoint, read, and rolled back."""
    voters = {"A": world.a, "O": world.owner}
    seen = {}
    for label, votes in worlds.items():
        savepoint = transaction.savepoint()
        for ref, who, verdict in votes:
            _vote(world.review, world.refs[ref], voters[who], verdict)
        seen[label] = fetch()
        transaction.savepoint_rollback(savepoint)
    return seen


def _without_tokens(page: str) -> str:
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", page)


# A's vote on R3 (which no one else has voted on), one way or the other.
A_ON_R3 = {"include": [("R3", "A", "include")], "exclude": [("R3", "A", "exclude")]}


@pytest.mark.parametrize("role", ["B", "V"])
def test_the_home_page_figures_do_not_move_with_a_hidden_include(world, role):
    """A includes R3 (which B has not voted on): what B or V sees on the review home must not
    change with A's verdict: not "relevant found", nor the curve, nor the records since the last
    relevant one."""

    def homes():
        return {h: _home(world, role, HTMX if h == "htmx" else None) for h in ("plain", "htmx")}

    before = homes()
    seen = _seen_under(world, A_ON_R3, homes)
    problems = []
    for h in ("plain", "htmx"):
        for figure in ("aid-found", "aid-since", "aid-estimate", "aid-recall"):
            values = (
                _figure(before[h], figure),
                _figure(seen["include"][h], figure),
                _figure(seen["exclude"][h], figure),
            )
            if values[0] != values[1]:
                problems.append(
                    f"[{h}] #{figure}: {values[0]!r} before A's include on R3, {values[1]!r} after"
                )
            if values[1] != values[2]:
                problems.append(
                    f"[{h}] #{figure}: {values[1]!r} after A includes R3, {values[2]!r} after "
                    "A excludes it"
                )
        if _stopping_aid(seen["include"][h]) != _stopping_aid(seen["exclude"][h]):
            problems.append(
                f"[{h}] the stopping-aid section (curve, figures) differs between A including "
                "and A excluding R3"
            )
    assert not problems, f"{role} learns A's hidden verdict from the review home:\n" + "\n".join(
        problems
    )


def _listed(response) -> set[str]:
    """The names (R1..R6) of the world's references a reference list or its CSV shows."""
    text = body(response)
    return {
        name
        for name, title in TITLES.items()
        if title in text  # every title ends " in lung cancer": number 1 is not number 10
    }


TITLES = {f"R{n}": f"Ivonescimab trial report number {n} in lung cancer" for n in range(1, 7)}


@pytest.mark.parametrize("role", ["B", "V"])
def test_the_reference_list_filters_do_not_find_hidden_votes(world, role):
    client = world.clients[role]
    url = reverse("screening:reference-list", args=[world.review.slug])
    hidden = set(world.hidden)
    problems = []
    for query in ({"reviewer": world.a.pk}, {"reviewer": world.a.pk, "format": "csv"}):
        found = _listed(client.get(url, query)) & hidden
        if found:
            problems.append(f"filtered by reviewer A ({query}) it lists {sorted(found)}")
    # Whatever a verdict filter does, it must not sort B's unvoted references by A's votes.
    by_verdict = {
        verdict: _listed(client.get(url, {"verdict": verdict})) & hidden
        for verdict in ("include", "exclude", "maybe")
    }
    if len({frozenset(v) for v in by_verdict.values()}) > 1:
        problems.append(f"filtered by verdict it lists {by_verdict}")
    for reason in (world.reason_r1, world.reason_r6):
        found = _listed(client.get(url, {"reason": reason.pk})) & hidden
        if found:
            problems.append(f"filtered by A's hidden reason {reason.pk} it lists {sorted(found)}")
    assert not problems, f"{role}'s reference list shows A's hidden votes:\n" + "\n".join(problems)


@pytest.mark.parametrize("role", ["B", "V"])
def test_the_exclusion_audit_counts_no_hidden_vote(world, role):
    url = reverse("screening:exclusion-audit", args=[world.review.slug])
    response = world.clients[role].get(url)
    assert response.status_code == 200
    rows = {
        (label, row["reviewer"]): row["total"]
        for label, distribution in response.context["distributions"]
        for row in distribution["rows"]
    }
    # A's only exclusions are R1 (awaiting a second vote) and R6 (in conflict): hidden both.
    counted = {key: n for key, n in rows.items() if key[1] == world.a.username and n}
    page = response.content.decode()
    assert not counted and not sentinels_in(page), (
        f"{role} sees A's hidden exclusions in the reasons by reviewer: {counted}; "
        f"sentinels on the page: {sentinels_in(page)}"
    )


@pytest.mark.parametrize("role", ["B", "V"])
def test_the_audit_log_filtered_by_actor_lists_no_hidden_decision(world, role):
    client = world.clients[role]
    url = reverse("screening:audit-log", args=[world.review.slug])
    hidden = {ref.pk for ref in world.hidden.values()}
    response = client.get(url, {"actor": world.a.pk})
    assert response.status_code == 200
    listed = [
        (event.action, (event.after or {}).get("reference"))
        for event in response.context["page"].object_list
        if (event.after or {}).get("reference") in hidden
        or (event.before or {}).get("reference") in hidden
    ]
    download = client.get(url, {"actor": world.a.pk, "format": "csv"})
    rows = list(csv.reader(io.StringIO(body(download).lstrip("\ufeff"))))
    in_csv = []
    for row in rows[1:]:
        if len(row) < 7 or not row[0].isdigit():
            continue
        after = json.loads(row[6].lstrip("'") or "null") or {}
        if isinstance(after, dict) and after.get("reference") in hidden:
            in_csv.append((row[3], after.get("reference")))
    assert not listed and not in_csv, (
        f"{role} filters the log by A and reads A's decisions on references {role} may not see "
        f"judged: page {listed}, CSV {in_csv}"
    )


def _entry_of(text: str, title: str, kind: str) -> str:
    """The CSV row or the RIS entry that holds `title`."""
    chunks = re.split(r"\r?\nER  -[^\n]*", text) if kind == "ris" else text.splitlines()
    return next((chunk.strip() for chunk in chunks if title in chunk), "")


@pytest.mark.parametrize("role", ["B", "V"])
def test_the_reference_export_does_not_name_a_hidden_verdict(world, role):
    """The reference list's CSV and RIS have a column of the live votes: R3's row must read the
    same whether A included it or excluded it."""
    url = reverse("screening:reference-list", args=[world.review.slug])
    client = world.clients[role]

    def rows():
        return {
            kind: _entry_of(body(client.get(url, {"format": kind})), TITLES["R3"], kind)
            for kind in ("csv", "ris")
        }

    seen = _seen_under(world, A_ON_R3, rows)
    differ = {
        kind: (seen["include"][kind], seen["exclude"][kind])
        for kind in ("csv", "ris")
        if seen["include"][kind] != seen["exclude"][kind]
    }
    assert not differ, f"{role}'s export of the references tells A's verdict on R3: {differ}"


@pytest.mark.parametrize("role", ["B", "V"])
def test_agreement_does_not_tell_who_voted_what_in_an_open_conflict(world, role):
    """O and A disagree on R3 (a conflict B has no vote in): the agreement page and its CSV must
    not tell which of them wanted it in."""
    url = reverse("screening:agreement", args=[world.review.slug])
    client = world.clients[role]

    def pages():
        return {
            "page": _without_tokens(client.get(url).content.decode()),
            "csv": client.get(url, {"format": "csv"}).content.decode(),
        }

    seen = _seen_under(
        world,
        {
            "O in, A out": [("R3", "O", "include"), ("R3", "A", "exclude")],
            "O out, A in": [("R3", "O", "exclude"), ("R3", "A", "include")],
        },
        pages,
    )
    differ = [
        kind for kind in ("page", "csv") if seen["O in, A out"][kind] != seen["O out, A in"][kind]
    ]
    assert not differ, (
        f"{role}'s agreement {' and '.join(differ)} tell(s) which of O and A included R3, in "
        "conflict: " + repr({label: views["csv"] for label, views in seen.items()})
    )


# --- 3. Positive controls -----------------------------------------------------------------------


def _history(world: World, role: str, name: str) -> str:
    url = reverse("screening:reference-detail", args=[world.review.slug, world.refs[name].pk])
    response = world.clients[role].get(url)
    assert response.status_code == 200
    return body(response)


def test_the_owner_sees_every_vote(world):
    assert set(sentinels_in(_history(world, "O", "R1"))) == {REASON_R1, NOTE_R1}
    # A's post on R2 too (the reference's page shows its discussion).
    assert set(sentinels_in(_history(world, "O", "R2"))) == {NOTE_R2, POST_R2}
    assert set(sentinels_in(_history(world, "O", "R6"))) == {REASON_R6, NOTE_R6}
    url = reverse("screening:audit-log", args=[world.review.slug])
    # Everything but A's private label, which no one but A ever sees, and A's risk-of-bias
    # answers, which no one sees before all of a result's assessors have submitted (and which
    # the log never carries: a submission logs its digest); nor an extractor's entry (its
    # drafts are not logged, its submission only by digest).
    seen = set(SENTINELS) - {LABEL_PRIVATE} - set(ROB_SENTINELS) - set(ENTRY_SENTINELS)
    assert set(sentinels_in(body(world.clients["O"].get(url)))) == seen
    csv_text = body(world.clients["O"].get(url, {"format": "csv"}))
    assert set(sentinels_in(csv_text)) == seen


def test_b_sees_a_vote_once_b_has_voted_too(world):
    b = world.b
    _vote(world.review, world.refs["R1"], b, "exclude")  # both exclude: R1 is excluded
    _vote(world.review, world.refs["R2"], b, "include")  # both include: R2 moves on
    states = dict(
        ScreeningItem.objects.filter(
            review=world.review, stage=TA, reference__in=[world.refs["R1"], world.refs["R2"]]
        ).values_list("reference_id", "state")
    )
    assert states == {world.refs["R1"].pk: "excluded", world.refs["R2"].pk: "included"}
    for role in ("B", "V"):  # settled: everyone in the review may read the votes
        assert set(sentinels_in(_history(world, role, "R1"))) == {REASON_R1, NOTE_R1}, role
        assert set(sentinels_in(_history(world, role, "R2"))) == {NOTE_R2, POST_R2}, role


def test_without_blind_screening_every_member_sees_every_vote(world):
    world.review.blind = False
    world.review.save(update_fields=["blind"])
    for role in ("B", "V"):
        assert set(sentinels_in(_history(world, role, "R1"))) == {REASON_R1, NOTE_R1}, role
        assert set(sentinels_in(_history(world, role, "R6"))) == {REASON_R6, NOTE_R6}, role


def test_a_resolver_sees_every_vote(world):
    Membership.objects.filter(review=world.review, user=world.b).update(can_resolve=True)
    assert set(sentinels_in(_history(world, "B", "R6"))) == {REASON_R6, NOTE_R6}
    url = reverse("screening:conflict-list", args=[world.review.slug])
    assert set(sentinels_in(body(world.clients["B"].get(url)))) == {REASON_R6, NOTE_R6}


def test_an_owner_screening_a_reference_is_blind_like_everyone(world):
    """The owner sees every vote on the history page (test above), but not on the screening
    page while voting on the reference themselves."""
    url = reverse("screening:screen", args=[world.review.slug, "title-abstract"])
    page = body(world.clients["O"].get(url, {"reference": world.refs["R1"].pk}))
    assert "Ivonescimab trial report number 1" in page  # R1 is on the page...
    assert not sentinels_in(page)  # ...without A's reason or note
