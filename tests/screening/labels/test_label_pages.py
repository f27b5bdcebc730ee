"""Labels and the discussion on the pages: the labels page, the panel beside a record (htmx and
plain), a reference's page, the reference list's label filter, bulk form and downloads, and
the audit log, each as the blinding rule and private labels allow."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from screening.constants import AuditAction, Stage
from screening.decisions.services import decision_record
from screening.labels.discussion import post_create
from screening.labels.services import label_apply, label_create
from screening.models import AuditEvent, Label, Post, ReferenceLabel

pytestmark = pytest.mark.django_db

TA = Stage.TITLE_ABSTRACT
HTMX = {"HX-Request": "true"}


def _url(name: str, team, *args) -> str:
    return reverse(f"screening:{name}", args=[team.review.slug, *args])


def _body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8-sig")


@pytest.fixture
def labelled(team):
    """A's shared label "Team" on R1 (open: hidden from B and V) and on R4 (settled), and A's
    private label "Mine" on R2; A's post on R1."""
    team.shared = label_create(review=team.review, user=team.a, name="Team", colour="blue")
    team.mine = label_create(
        review=team.review, user=team.a, name="Mine", colour="red", private=True
    )
    r1, r2, _, r4 = team.refs
    for who in (team.a, team.o):
        decision_record(review=team.review, reference=r4, stage=TA, reviewer=who, verdict="include")
    for label, refs in ((team.shared, [r1, r4]), (team.mine, [r2])):
        label_apply(
            review=team.review, label_id=label.pk, reference_ids=[r.pk for r in refs],
            user=team.a, view=team.view(team.a),
        )  # fmt: skip
    post_create(review=team.review, reference_id=r1.pk, user=team.a, text="Wrong dose, A thinks")
    return team


def _listed(team, user, **query) -> list[str]:
    response = team.client(user).get(_url("reference-list", team), query)
    assert response.status_code == 200
    return [reference.title.split()[-4] for reference, _ in response.context["rows"]]


def _csv(team, user, **query) -> dict[str, str]:
    """title number -> labels cell."""
    response = team.client(user).get(_url("reference-list", team), {**query, "format": "csv"})
    rows = csv.DictReader(io.StringIO(_body(response)))
    return {row["title"].split()[-4]: row["labels"] for row in rows}


def test_the_list_filters_by_label_as_each_member_sees_them(labelled):
    team = labelled
    shared, mine = str(team.shared.pk), str(team.mine.pk)
    assert _listed(team, team.a, label=shared) == ["1", "4"]
    assert _listed(team, team.a, label=mine) == ["2"]
    assert _listed(team, team.a, label="none") == ["3"]
    # B sees "Team" on R4 only, and no "Mine": a filter by it reads like a filter by a label
    # that does not exist (no filter), so it tells nothing, not even by the count.
    assert _listed(team, team.b, label=shared) == ["4"]
    assert _listed(team, team.b, label="none") == ["1", "2", "3"]
    assert _listed(team, team.b, label=mine) == _listed(team, team.b, label="999999")
    response = team.client(team.b).get(_url("reference-list", team), {"label": shared})
    assert response.context["page"].paginator.count == 1
    assert "Mine" not in response.content.decode()
    assert _listed(team, team.o, label=shared) == ["1", "4"]  # the owner sees all shared ones
    assert _listed(team, team.o, label=mine) == _listed(team, team.o)


def test_the_rows_and_downloads_carry_the_labels_a_member_sees(labelled):
    team = labelled
    assert _csv(team, team.a) == {"1": "Team", "2": "Mine", "3": "", "4": "Team"}
    assert _csv(team, team.b) == {"1": "", "2": "", "3": "", "4": "Team"}
    assert _csv(team, team.o) == {"1": "Team", "2": "", "3": "", "4": "Team"}
    ris = _body(team.client(team.a).get(_url("reference-list", team), {"format": "ris"}))
    assert "labels Team" in ris and "labels Mine" in ris
    ris_b = _body(team.client(team.b).get(_url("reference-list", team), {"format": "ris"}))
    assert ris_b.count("labels Team") == 1 and "Mine" not in ris_b
    page = team.client(team.b).get(_url("reference-list", team)).content.decode()
    assert page.count('<span class="label-chip label-blue">Team</span>') == 1


def test_the_bulk_form_puts_a_label_on_the_filtered_list_and_takes_it_off(labelled):
    team = labelled
    target = _url("reference-label-bulk", team) + "?q=number+3"
    client = team.client(team.b)
    response = client.post(target, {"label": team.shared.pk, "action": "apply"}, follow=True)
    assert "The label was put on 1 reference." in response.content.decode()
    assert _listed(team, team.b, label=team.shared.pk) == ["3", "4"]
    response = client.post(target, {"label": team.shared.pk, "action": "remove"}, follow=True)
    assert "The label was taken off 1 reference." in response.content.decode()
    assert _listed(team, team.b, label=team.shared.pk) == ["4"]
    # Another's private label is refused as a label that does not exist.
    response = client.post(target, {"label": team.mine.pk, "action": "apply"}, follow=True)
    assert "No such label." in response.content.decode()
    assert team.client(team.v).post(target, {"label": team.shared.pk}).status_code == 403


def test_the_panel_answers_htmx_with_itself_and_a_plain_post_with_a_redirect(labelled):
    team = labelled
    r3 = team.refs[2]
    notes = _url("reference-notes", team, r3.pk)
    client = team.client(team.b)
    fragment = client.get(notes, {"on": "screen"}, headers=HTMX)
    assert fragment.templates[0].name == "screening/labels/_notes.html"
    assert '<dialog id="label-picker"' in fragment.content.decode()  # the t key's picker
    page = client.get(notes)
    assert page.templates[0].name == "screening/labels/notes.html"
    response = client.post(
        _url("reference-label", team, r3.pk), {"apply": team.shared.pk, "on": "screen"},
        headers=HTMX,
    )  # fmt: skip
    assert 'aria-pressed="true"' in response.content.decode()
    assert ReferenceLabel.objects.filter(reference=r3, applied_by=team.b).exists()
    back = _url("screen", team, "title-abstract") + f"?reference={r3.pk}"
    response = client.post(
        _url("reference-label", team, r3.pk), {"remove": team.shared.pk, "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    assert not ReferenceLabel.objects.filter(reference=r3).exists()
    response = client.post(_url("post-create", team, r3.pk), {"text": "Looks fine"}, headers=HTMX)
    assert "Looks fine" in response.content.decode()
    assert '<details class="discussion"' in response.content.decode()
    refused = client.post(_url("post-create", team, r3.pk), {"text": " "}, headers=HTMX)
    assert "Write something to post." in refused.content.decode()
    assert (
        team.client(team.v).post(_url("post-create", team, r3.pk), {"text": "x"}).status_code == 403
    )
    assert team.client(team.v).get(notes).status_code == 200  # viewers read


def test_a_refused_post_comes_back_in_its_box_with_why(labelled):
    """Its words are not lost: the panel (htmx) or the notes page (a plain form) shows the
    refusal and the draft, and nothing is posted."""
    team = labelled
    r3 = team.refs[2]
    too_long = "A long thought about the dose. " * 200  # over the 5,000 characters a post has
    client = team.client(team.b)
    back = _url("screen", team, "title-abstract") + f"?reference={r3.pk}"
    for headers in (HTMX, {}):
        response = client.post(
            _url("post-create", team, r3.pk), {"text": too_long, "next": back, "on": "screen"},
            headers=headers,
        )  # fmt: skip
        assert response.status_code == 200
        html = response.content.decode()
        assert "A post has at most 5,000 characters." in html
        assert f"required>{too_long}</textarea>" in html
        assert re.search(r'<details class="discussion"\s+id="discussion"\s+open>', html)
    assert not Post.objects.filter(reference=r3).exists()
    # Once posted, the box is empty again.
    done = client.post(_url("post-create", team, r3.pk), {"text": "Shorter."}, headers=HTMX)
    assert "required></textarea>" in done.content.decode()


def test_the_screening_page_loads_the_panel_beside_the_record(labelled):
    team = labelled
    client = team.client(team.b)
    page = client.get(_url("screen", team, "title-abstract")).content.decode()
    assert 'id="reference-notes"' in page and 'hx-trigger="load"' in page
    # Without JavaScript, a link to the panel as a page of its own, which leads back here.
    link = re.search(r'<noscript>\s*<a href="([^"]+)"', page).group(1).replace("&amp;", "&")
    shown = re.search(r'data-reference="(\d+)"', page).group(1)
    assert link.startswith(_url("reference-notes", team, shown) + "?on=screen&next=")
    notes = client.get(link).content.decode()
    back = _url("screen", team, "title-abstract") + f"?reference={shown}"
    assert f'<a href="{back}">Back</a>' in notes
    # Its forms come back to it.
    assert f'name="next" value="{link}"'.replace("&", "&amp;") in notes


def test_a_references_page_shows_its_labels_and_discussion_as_the_member_sees_them(labelled):
    team = labelled
    r1 = team.refs[0]
    detail = _url("reference-detail", team, r1.pk)
    on = re.compile(r'aria-pressed="true"[^>]*data-label-name="Team"')
    seen_by_a = team.client(team.a).get(detail).content.decode()
    assert "Wrong dose, A thinks" in seen_by_a and on.search(seen_by_a)
    seen_by_b = team.client(team.b).get(detail).content.decode()
    assert "Wrong dose, A thinks" not in seen_by_b and not on.search(seen_by_b)
    assert re.search(r'aria-pressed="false"[^>]*data-label-name="Team"', seen_by_b)
    assert 'id="notes-hidden"' in seen_by_b
    assert 'Discussion (<span id="post-count">0</span>)' in seen_by_b


def test_the_labels_page_makes_renames_and_deletes_with_a_confirmation(labelled):
    team = labelled
    client = team.client(team.b)
    listing = client.get(_url("label-list", team))
    assert [(label.name, uses) for label, uses, _ in listing.context["rows"]] == [("Team", 1)]
    response = client.post(_url("label-list", team), {"name": "Ask Bea", "colour": "green"})
    assert response.status_code == 302
    made = Label.objects.get(name="Ask Bea")
    assert client.get(_url("label-edit", team, team.shared.pk)).status_code == 403
    assert client.get(_url("label-edit", team, team.mine.pk)).status_code == 404
    client.post(_url("label-edit", team, made.pk), {"name": "Ask B", "colour": "teal"})
    made.refresh_from_db()
    assert (made.name, made.colour) == ("Ask B", "teal")
    confirm = client.get(_url("label-delete", team, made.pk))
    assert "Delete the label" in confirm.content.decode() and Label.objects.filter(pk=made.pk)
    client.post(_url("label-delete", team, made.pk))
    assert not Label.objects.filter(pk=made.pk).exists()
    viewer = team.client(team.v)
    assert viewer.get(_url("label-list", team)).status_code == 200
    assert viewer.post(_url("label-list", team), {"name": "V", "colour": "red"}).status_code == 403


def _log(team, user) -> str:
    page = team.client(user).get(_url("audit-log", team)).content.decode()
    log_csv = _body(team.client(user).get(_url("audit-log", team), {"format": "csv"}))
    return page + log_csv


def test_the_audit_log_hides_what_the_pages_hide(labelled):
    team = labelled
    seen_by_a = _log(team, team.a)
    assert "put the private label ‘Mine’ on" in seen_by_a
    assert "Wrong dose, A thinks" in seen_by_a
    for other in (team.b, team.v, team.o):
        log = _log(team, other)
        assert "Mine" not in log  # another's private label, for every role
    for blind in (team.b, team.v):
        log = _log(team, blind)
        assert "Wrong dose, A thinks" not in log
        # The label on R4 (settled) shows; the one on R1 (open) does not.
        assert log.count("put the label ‘Team’ on") == 1
    assert _log(team, team.o).count("put the label ‘Team’ on") == 2
    decision_record(
        review=team.review, reference=team.refs[0], stage=TA, reviewer=team.b, verdict="include"
    )
    log = _log(team, team.b)
    assert log.count("put the label ‘Team’ on") == 2 and "Wrong dose, A thinks" in log
    assert AuditEvent.objects.filter(action=AuditAction.LABEL_APPLY).count() == 3
