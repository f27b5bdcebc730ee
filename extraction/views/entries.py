"""Double extraction's pages: the extraction settings, an extractor's entry (started, filled
through the grid's views under the entry's address, and submitted), and the comparison of a
study's entries where the owners and resolvers take values into the consensus."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from screening.constants import EDITOR_ROLES, OWNER_ROLES
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt

from ..access import MAX_EXTRACTORS
from ..consensus import EVIDENCE, Aligned, compare, consensus_take, consensus_take_agreed, shown
from ..entries import (
    entry_digest_mismatches,
    entry_start,
    entry_submit,
    extraction_settings_update,
)
from ..models import Entry
from .common import back, posted_int, study_of_review, visible_entry
from .study_page import StudyPage


@require_POST
def settings_update(request: HttpRequest, slug: str) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=OWNER_ROLES)
    extractors = posted_int(request.POST.get("extractors"))

    def save() -> str:
        extraction_settings_update(review=review, user=request.user, extractors=extractors)
        if extractors == 1:
            return "Each study is now extracted once, straight into the data the review reports."
        return f"Each study is now extracted by {extractors} people independently."

    attempt(request, save)
    return back(request, reverse("extraction:study-list", args=[review.slug]) + "#settings")


@require_POST
def entry_start_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    study = study_of_review(review, pk)
    started: list[Entry] = []

    def start() -> None:
        started.append(entry_start(study=study, user=request.user))

    if attempt(request, start):
        return back(
            request, reverse("extraction:entry", args=[review.slug, study.pk, started[0].pk])
        )
    return back(request, study.get_absolute_url() + "#entries")


def entry_page(request: HttpRequest, slug: str, pk: int, entry: int) -> HttpResponse:
    """An entry: its extractor's to fill; the others' to read once every entry is in."""
    review, membership = review_for_user(request, slug)
    study = study_of_review(review, pk)
    found = visible_entry(study, request.user, entry)
    return StudyPage(review, membership, study, entry=found).render_entry(request)


@require_POST
def entry_submit_view(request: HttpRequest, slug: str, pk: int, entry: int) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    study = study_of_review(review, pk)
    found = visible_entry(study, request.user, entry)

    def submit() -> str:
        entry_submit(entry=found, user=request.user)
        return (
            "Your entry is submitted. The others' entries and the comparison open once every "
            "entry of the study is in."
        )

    attempt(request, submit)
    return back(request, study.get_absolute_url() + "#entries")


# --- The comparison ---------------------------------------------------------------------------


@dataclass
class Cell:
    text: str
    entry: int | None  # None where the entry lacks the row
    differs: bool


@dataclass
class FieldLine:
    name: str
    label: str
    cells: list[Cell]
    consensus: str
    agree: bool


def _lines(row: Aligned, entries: list[Entry], reports: dict[int, str]) -> list[FieldLine]:
    lines = []
    for f in row.fields:
        cells = [
            Cell(
                shown(f.name, value, reports) if row.rows[i] is not None else "(no such row)",
                entries[i].pk if row.rows[i] is not None else None,
                not f.agree,
            )
            for i, value in enumerate(f.values)
        ]
        consensus = shown(f.name, f.consensus, reports) if row.consensus is not None else ""
        lines.append(FieldLine(f.name, f.label, cells, consensus, f.agree))
    return lines


def _evidence(row: Aligned) -> list[str]:
    """Each entry's page, quote and note, side by side (not compared)."""
    if row.kind not in ("result", "comparison"):
        return []
    found = []
    for entry_row in row.rows:
        if entry_row is None:
            found.append("")
            continue
        parts = [getattr(entry_row, name) for name in EVIDENCE]
        page, quote, note = parts
        text = " · ".join(
            part
            for part in (f"p. {page}" if page else "", f"“{quote}”" if quote else "", note)
            if part
        )
        found.append(text)
    return found


def compare_page(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The study's entries side by side, field by field, once all are submitted; a POST (by an
    owner or resolver) takes the values the entries agree on, or one row's chosen values."""
    roles = EDITOR_ROLES if request.method == "POST" else None
    review, membership = review_for_user(request, slug, roles=roles)
    study = study_of_review(review, pk)
    page = StudyPage(review, membership, study)
    state = page.entries
    if request.method == "POST" and state.revealed:
        token = request.POST.get("row", "")
        if request.POST.get("action") == "agreed":

            def take_agreed() -> str:
                taken = consensus_take_agreed(study=study, user=request.user)
                return f"{taken} row(s) the entries agree on are now in the consensus."

            attempt(request, take_agreed)
        else:
            choices = {
                key.removeprefix("choice-"): posted_int(value)
                for key, value in request.POST.items()
                if key.startswith("choice-")
            }

            def take() -> str:
                consensus_take(study=study, user=request.user, token=token, choices=choices)
                return "Taken into the consensus."

            attempt(request, take)
        return redirect(reverse("extraction:compare", args=[review.slug, study.pk]))
    context = page.context(state=state, resolves=page.can_edit and membership.resolves)
    if state.revealed:
        entries = state.submitted
        compared = compare(study, entries)
        reports = {link.reference_id: link.reference.citation[:60] for link in page.links}
        context.update(
            entries=entries,
            compared=compared,
            # The rows that differ first (each kind in grid order): what the reader came for.
            rows=sorted(
                (
                    (row, _lines(row, entries, reports), _evidence(row), n)
                    for n, row in enumerate(compared.rows)
                ),
                key=lambda each: each[0].agree,
            ),
            agreed_open=sum(1 for row in compared.rows if row.agree and row.consensus is None),
            rewritten=entry_digest_mismatches(review, study),
            max_extractors=MAX_EXTRACTORS,
        )
    return render(request, "extraction/compare.html", context)
