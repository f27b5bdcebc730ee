"""The worked example as a demo review: Ficoń W, Dobosz M, Całyniuk B. Ivonescimab - the future
of cancer therapy. Eur J Transl Clin Med. 2025;8(2):81-85 (CC BY-SA 4.0).

Built only from what the article states, from files the repository ships (demo_data/ivonescimab,
see its MANIFEST.tsv), through the same services a person's actions go through, so that every
number of its PRISMA diagram is computed from records and decisions:

- 133 records from one database search: the article searched PubMed, Google Scholar and
  ScienceDirect and gives only the combined total, so one source stands for the three. It
  identifies only the 10 database reports it included; the other 123 records are plainly marked
  placeholders ("Record 17 not identified in the published review"), never invented articles.
- 91 excluded at title and abstract for the article's three reasons. The article does not split
  the 91: the demo's split (31, 30, 30) is an assumption, and the review's description says so.
- 42 full texts sought and assessed (the 32 placeholders among them retrieved without a file),
  32 excluded for one reason that says the article gives none, 10 included.
- 5 reports found by other methods, as websites: the manufacturer's website (3) and
  ClinicalTrials.gov pages (2). 15 reports, of 13 studies (demo_data/ivonescimab/studies.json).
- Two demo reviewers screen; a few disagreements, settled by the owner, give the conflict and
  agreement pages something to show. Those votes are the demo's, not the article's.
- The same two extract HARMONi-A and HARMONi-2 independently, each entry with the article's
  values but for one slip of the second reviewer's per study, which the owner settles in the
  consensus (demo_entries.py); the owner enters the other studies once.
- Labels and a discussion post, the demo's too, give every list's label filter something to
  filter: "Conference abstract" (the owner's, on the meeting abstracts), "Grey literature" (the
  first reviewer's, on the web pages), the first reviewer's private "Read again", and a post.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser

from references.models import Reference
from screening.constants import ReasonStages, Role, SourceKind, Stage
from screening.decisions.review_settings import reason_create, reason_update, review_settings_update
from screening.decisions.services import conflict_resolve, decision_record
from screening.identification.imports import references_import, source_get_or_create
from screening.labels.discussion import post_create
from screening.labels.services import label_apply, label_create
from screening.models import ExclusionReason, Membership, Record, Review
from screening.permissions.blinding import VoteView
from screening.retrieval.services import full_text_record
from screening.reviews.services import review_create

from .demo_entries import SLIPS, double_extract, enter
from .services import study_create

DATA = Path(__file__).resolve().parent / "demo_data" / "ivonescimab"
SLUG = "ivonescimab"
TA, FT = Stage.TITLE_ABSTRACT, Stage.FULL_TEXT

DATABASES = "PubMed, Google Scholar and ScienceDirect (combined)"
# (source, kind, file). The article found its registry entries as web pages, not by searching a
# register, so PRISMA counts them under other methods.
FILES = [
    (DATABASES, SourceKind.DATABASE, "databases.ris"),
    ("Summit Therapeutics website", SourceKind.WEBSITE, "manufacturer.ris"),
    ("ClinicalTrials.gov", SourceKind.WEBSITE, "clinicaltrials.ris"),
]
REAL_DATABASE_REPORTS = range(1, 11)  # positions in databases.ris; 11-133 are placeholders
# The article's reasons at title and abstract, and how many of the 91 each excluded here (the
# article does not say: an assumption).
TA_REASONS = [
    ("No open-access full text", range(11, 42)),
    ("Low quality or unclear methodology", range(42, 72)),
    ("Different subject area", range(72, 102)),
]
FT_REASON = "Excluded at full text (the published review gives no reasons)"
# Kept from the default list, for one reviewer's disagreement on a conference abstract.
NOT_PRIMARY = "Not a primary report"
TA_CONFLICTS_EXCLUDED = (99, 100, 101)  # one reviewer kept them; the owner excluded them
TA_CONFLICT_INCLUDED = 133  # one reviewer excluded it; the owner kept it
TA_MAYBE = 3  # the second reviewer's "maybe" moves it on like an include
FT_CONFLICT_EXCLUDED = 131  # a placeholder one reviewer included at full text
FT_CONFLICT_INCLUDED = 6  # reference 7, a conference abstract the second reviewer excluded

DESCRIPTION = (
    "The worked example: Ficoń W, Dobosz M, Całyniuk B. Ivonescimab - the future of cancer "
    "therapy. Eur J Transl Clin Med. 2025;8(2):81-85. Built only from what the article states. "
    "One database source stands for PubMed, Google Scholar and ScienceDirect, whose combined "
    "total (133) is all the article gives. Records 11 to 133 are placeholders for the database "
    "records the article does not identify. The split of the 91 title-and-abstract exclusions "
    "between the article's three reasons (31, 30, 30) is an assumption: the article does not "
    "give it. The screeners' votes and their few disagreements are the demo's."
)
CRITERIA = (
    "Include: full-text reviews or original articles describing clinical trials or randomised "
    "controlled trials of ivonescimab, published in peer-reviewed journals in 2024 and 2025; "
    "information from the manufacturer's website and ClinicalTrials.gov.\n"
    "Exclude: no open-access full text; low quality or unclear methodology; a different "
    "subject area."
)


def ivonescimab_demo_load(
    owner: AbstractBaseUser, first: AbstractBaseUser, second: AbstractBaseUser
) -> Review:
    """The review, built once (call inside a transaction: all of it lands or none)."""
    review = Review.objects.filter(slug=SLUG).first()
    if review is not None:
        return review
    review = review_create(
        slug=SLUG,
        title="Ivonescimab in non-small cell lung cancer (worked example)",
        question=DESCRIPTION,
        owner=owner,
    )
    for reviewer in (first, second):
        Membership.objects.create(review=review, user=reviewer, role=Role.REVIEWER)
    review_settings_update(
        review=review,
        user=owner,
        criteria=CRITERIA,
        highlight_include="ivonescimab, AK112, SMT112, trial*, random*, phase",
        highlight_exclude="mice, in vitro, preclinical",
    )
    reasons = _reasons(review, owner)
    positions = _import(review, owner)
    _screen(review, owner, first, second, reasons, positions)
    _studies(review, owner, first, second, positions)
    _labels(review, owner, first, positions)
    return review


def _reasons(review: Review, owner) -> dict[str, ExclusionReason]:
    """The article's reasons; of the defaults only "Not a primary report" stays, at full text."""
    defaults = list(ExclusionReason.objects.in_review(review))
    for reason in defaults:
        if reason.label != NOT_PRIMARY:
            reason_update(reason=reason, user=owner, retired=True, hotkey=None)
    for reason in defaults:
        if reason.label == NOT_PRIMARY:
            reason_update(reason=reason, user=owner, stages=ReasonStages.FULL_TEXT, hotkey=2)
    for hotkey, (label, _) in enumerate(TA_REASONS, start=1):
        reason_create(
            review=review, user=owner, label=label, stages=ReasonStages.TITLE_ABSTRACT,
            hotkey=hotkey,
        )  # fmt: skip
    reason_create(
        review=review, user=owner, label=FT_REASON, stages=ReasonStages.FULL_TEXT, hotkey=1
    )
    return {r.label: r for r in ExclusionReason.objects.in_review(review).filter(retired=False)}


def _import(review: Review, owner) -> dict[tuple[str, int], Reference]:
    """Import the three files, each with how its search was run as far as the article says
    (searches.json); the references by (file, position)."""
    documentation = json.loads((DATA / "searches.json").read_text(encoding="utf-8"))["searches"]
    for source_name, kind, file_name in FILES:
        source = source_get_or_create(review=review, name=source_name, kind=kind, user=owner)
        references_import(
            review=review, source=source, path=DATA / file_name, file_name=file_name, user=owner,
            search_details=documentation[file_name],
        )  # fmt: skip
    records = Record.objects.in_review(review).select_related("search", "reference")
    return {(record.search.file_name, record.position): record.reference for record in records}


def _screen(review, owner, first, second, reasons, positions) -> None:
    database = {p: ref for (f, p), ref in positions.items() if f == "databases.ris"}
    other = [ref for (f, _), ref in sorted(positions.items()) if f != "databases.ris"]

    def vote(reference, stage, who, verdict, reason=None):
        decision_record(
            review=review, reference=reference, stage=stage, reviewer=who, verdict=verdict,
            reason=reasons[reason] if reason else None,
        )  # fmt: skip

    # Title and abstract: 91 placeholders excluded, the rest moves on.
    ta_reason = {p: label for label, span in TA_REASONS for p in span}
    for position, reference in sorted(database.items()):
        label = ta_reason.get(position)
        if position in TA_CONFLICTS_EXCLUDED:
            vote(reference, TA, first, "exclude", label)
            vote(reference, TA, second, "include")
            conflict_resolve(review=review, reference=reference, stage=TA, resolver=owner,
                             verdict="exclude", reason=reasons[label],
                             note="Off the review's subject on a second reading.")  # fmt: skip
        elif position == TA_CONFLICT_INCLUDED:
            vote(reference, TA, first, "include")
            vote(reference, TA, second, "exclude", TA_REASONS[2][0])
            conflict_resolve(review=review, reference=reference, stage=TA, resolver=owner,
                             verdict="include", note="Unclear from the abstract: read the full "
                             "text.")  # fmt: skip
        elif label:
            vote(reference, TA, first, "exclude", label)
            vote(reference, TA, second, "exclude", label)
        else:
            vote(reference, TA, first, "include")
            vote(reference, TA, second, "maybe" if position == TA_MAYBE else "include")

    # Retrieval: every report sought was found; the placeholders have no file to attach.
    sought = [ref for p, ref in sorted(database.items()) if p not in ta_reason or
              p == TA_CONFLICT_INCLUDED] + other  # fmt: skip
    for reference in sought:
        url = reference.urls[0] if reference.urls else ""
        full_text_record(review=review, reference=reference, user=owner, status="retrieved",
                         url=url, max_bytes=1)  # fmt: skip

    # Full text: the 32 placeholders excluded, the 10 database and 5 other reports included.
    placeholders = {p for p in database if p not in REAL_DATABASE_REPORTS}
    for position, reference in sorted(database.items()):
        if reference not in sought:
            continue
        if position == FT_CONFLICT_EXCLUDED:
            vote(reference, FT, first, "include")
            vote(reference, FT, second, "exclude", FT_REASON)
            conflict_resolve(review=review, reference=reference, stage=FT, resolver=owner,
                             verdict="exclude", reason=reasons[FT_REASON])  # fmt: skip
        elif position == FT_CONFLICT_INCLUDED:
            vote(reference, FT, first, "include")
            vote(reference, FT, second, "exclude", NOT_PRIMARY)
            conflict_resolve(review=review, reference=reference, stage=FT, resolver=owner,
                             verdict="include", note="A conference abstract of the phase I "
                             "study: included as a report of that study.")  # fmt: skip
        elif position in placeholders:
            vote(reference, FT, first, "exclude", FT_REASON)
            vote(reference, FT, second, "exclude", FT_REASON)
        else:
            vote(reference, FT, first, "include")
            vote(reference, FT, second, "include")
    for reference in other:
        vote(reference, FT, first, "include")
        vote(reference, FT, second, "include")


def _studies(review, owner, first, second, positions) -> None:
    """The 13 studies of studies.json, their reports (the first is primary) and their data:
    HARMONi-A and HARMONi-2 extracted twice, independently (demo_entries.py), the rest once."""
    plan = json.loads((DATA / "studies.json").read_text(encoding="utf-8"))
    report = {int(n): positions[(file, position)] for n, (file, position) in
              plan["reports"].items()}  # fmt: skip
    for entry in plan["studies"]:
        fields = {k: v for k, v in entry.items() if k not in ("reports", "arms", "outcomes")}
        study = study_create(
            review=review, user=owner, reports=[report[n] for n in entry["reports"]], **fields
        )
        if study.acronym in SLIPS:
            double_extract(study, entry, report, owner, first, second)
        else:
            enter(study, None, owner, entry, report)


def _labels(review: Review, owner, first, positions) -> None:
    """The demo's labels and post (see the module's docstring), put on as a member would."""
    references = list(positions.values())
    meetings = [
        r for r in references if r.title.startswith("PL02.04") or r.journal == "J Clin Oncol"
    ]
    web = [r for r in references if "Web Page" in r.publication_types]
    cureus = [r for r in references if r.journal == "Cureus"]
    plan = [
        (owner, "Conference abstract", "blue", False, meetings),
        (first, "Grey literature", "green", False, web),
        (first, "Read again", "orange", True, cureus),
    ]
    for user, name, colour, private, on in plan:
        label = label_create(review=review, user=user, name=name, colour=colour, private=private)
        view = VoteView.of(review, Membership.objects.get(review=review, user=user))
        label_apply(
            review=review, label_id=label.pk, reference_ids=[r.pk for r in on], user=user,
            view=view,
        )  # fmt: skip
    harmoni2 = next(r for r in meetings if r.title.startswith("PL02.04"))
    post_create(
        review=review, reference_id=harmoni2.pk, user=first,
        text="This abstract and the Lancet paper both report HARMONi-2: one study, two reports.",
    )  # fmt: skip
