"""The world the blind-screening tests share (see the package's test modules): a review with an
owner O, reviewers A and B, a viewer V and an outsider X; A has voted, B and V have not.

Setup (`world`): A votes exclude on R1 (a sentinel reason and a sentinel note) and include on R2
(a sentinel note); A excludes R6 (another sentinel reason and note) and O includes it, so R6 is
in conflict. R3 nobody touches. R4 was excluded by O alone (single screening then), R5 included
by O and A at both stages (its full text is a PDF; it is the report of a study with extracted
data). B and V vote on nothing.

The sentinel reasons are renamed to plain labels once A has voted (straight in the table, so that
no audit event carries the sentinel): a decision keeps the label it was made with, so the
sentinel then lives only in A's decisions and their audit events, and a page that lists the
review's reasons (the screening form, the reference list's filter) does not show it.

Labels and the discussion (screening/labels): A's private label (a sentinel name) is on R3 and
R5, and no one else may ever see it. A's shared label "Crawl team label" is on R5 (settled,
seen by all) and on R1 (open, hidden from B and V): it bore a sentinel name, straight in the
table, while A put it on R1, so that the sentinel lives only in that use's audit event. A's
post on R2 (open) is a sentinel; A's post on R5 is plain.

The world is built once per test module (and xdist worker), in a transaction rolled back when
the module is done, with its files in a folder of its own; each test gets a fresh copy of its
objects and clients, and its own savepoint inside that transaction (pytest-django's `db`), so a
test's writes never reach the next test. A module that uses `world` makes no cast of its own
(the `review`, `owner`... fixtures: the world's are in the database for the whole module) and
has no transactional test (`transactional_db`, `live_server`: they would empty the tables).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from extraction.constants import Measure, OutcomeKind
from extraction.custom_fields import custom_field_save
from extraction.models import Arm, ArmResult, Comparison, Outcome
from extraction.services import extraction_save, study_create
from meta_analysis.services import analysis_save
from references.models import Reference
from screening.constants import JobStatus, Role, SearchMethod, SourceKind, Stage
from screening.decisions.review_settings import reason_create, review_settings_update
from screening.decisions.services import decision_record
from screening.identification.import_jobs import import_job_create
from screening.identification.imports import references_import, source_get_or_create
from screening.labels.discussion import post_create
from screening.labels.services import label_apply, label_create
from screening.models import ExclusionReason, Label, Membership, PubmedJob, ScreeningItem
from screening.permissions.blinding import VoteView
from screening.retrieval.services import full_text_record
from screening.reviews.services import invitation_create, review_create
from screening.verification.services import verification_draw
from tests.factories import UserFactory
from tests.module_data import module_transaction
from tests.screening.decisions.test_screening import PDF, ris
from tests.screening.permissions.world_entries import ENTRY_SENTINELS, entries_world
from tests.screening.permissions.world_rob import ROB_SENTINELS, risk_of_bias_world
from tests.screening.test_views import RIS, RIS_NEAR

TA, FT = Stage.TITLE_ABSTRACT, Stage.FULL_TEXT

REASON_R1 = "Zqx-reason-sentinel-7731"  # A's reason for excluding R1 (awaiting a second vote)
NOTE_R1 = "Zqx-note-sentinel-4410"  # A's note on R1
NOTE_R2 = "Zqx-note-sentinel-5521"  # A's note on including R2 (awaiting a second vote)
REASON_R6 = "Zqx-reason-sentinel-8842"  # A's reason for excluding R6 (in conflict with O)
NOTE_R6 = "Zqx-note-sentinel-6632"  # A's note on R6
LABEL_PRIVATE = "Zqx-label-private-sentinel-3317"  # A's private label, on R3 and R5
LABEL_R1 = "Zqx-label-blind-sentinel-2290"  # A's shared label's name while put on R1 (open)
POST_R2 = "Zqx-post-sentinel-9154"  # A's post on R2 (awaiting a second vote)
SENTINELS = {
    LABEL_PRIVATE: "A's private label (on R3 and R5)",
    LABEL_R1: "A's shared label put on R1 (awaiting second)",
    POST_R2: "A's discussion post on R2 (awaiting second)",
    REASON_R1: "A's exclusion reason on R1 (awaiting second)",
    NOTE_R1: "A's note on R1 (awaiting second)",
    NOTE_R2: "A's note on R2 (awaiting second)",
    REASON_R6: "A's exclusion reason on R6 (conflict)",
    NOTE_R6: "A's note on R6 (conflict)",
    **ROB_SENTINELS,
    **ENTRY_SENTINELS,
}
HTMX = {"HX-Request": "true"}
# The modules of the project: a URL whose view lives in one of them is the crawl's to visit.
PROJECT_PACKAGES = {
    "config",
    "screening",
    "extraction",
    "grade",
    "references",
    "risk_of_bias",
    "meta_analysis",
}


# --- The world --------------------------------------------------------------------------------


@dataclass
class World:
    review: Any
    owner: Any  # O
    a: Any  # reviewer A, who votes
    b: Any  # reviewer B, who has not voted
    viewer: Any  # V
    outsider: Any  # X
    refs: dict[str, Reference]  # R1..R6
    reason_r1: ExclusionReason
    reason_r6: ExclusionReason
    objects: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    # What a test makes once for the whole module, outside the database (see _bulk_batch in
    # test_crawl.py): shared by every test's copy of the world.
    shared: dict[str, Any] = field(default_factory=dict)

    @property
    def hidden(self) -> dict[str, Reference]:
        """The references A voted on that B and V must learn nothing about."""
        return {name: self.refs[name] for name in ("R1", "R2", "R6")}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _vote(review, reference, who, verdict, stage=TA, **kwargs):
    return decision_record(
        review=review, reference=reference, stage=stage, reviewer=who, verdict=verdict,
        **kwargs,
    )  # fmt: skip


def _vote_under(review, reason: ExclusionReason, sentinel: str, **vote) -> None:
    """Vote with `reason` labelled `sentinel`, then give the reason back its plain label. Both
    renames go straight to the table: no audit event (which every member reads) carries the
    sentinel, only the decision (which keeps the label it was made with) and its own event."""
    plain = reason.label
    ExclusionReason.objects.filter(pk=reason.pk).update(label=sentinel)
    reason.refresh_from_db()
    _vote(review, reason=reason, **vote)
    ExclusionReason.objects.filter(pk=reason.pk).update(label=plain)
    reason.refresh_from_db()


@pytest.fixture(scope="module")
def world_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """The module's world (see the module's docstring): (the world without clients, each
    role's session cookie, the world's media folder)."""
    with module_transaction(django_db_blocker, tmp_path_factory, "world") as media:
        built = _build(media.parent)
        sessions = {
            role: client.cookies[django_settings.SESSION_COOKIE_NAME].value
            for role, client in built.clients.items()
        }
        built.clients = {}
        yield built, sessions, media


@pytest.fixture
def world(db, settings, world_module) -> World:
    """This test's copy of the module's world: its own objects (a test may change them) and its
    own clients, logged in with the module's sessions; the files in the module's folder."""
    built, sessions, media = world_module
    settings.MEDIA_ROOT = str(media)
    world = copy.deepcopy(built)
    world.shared = built.shared
    for role, session in sessions.items():
        client = Client()
        client.cookies[django_settings.SESSION_COOKIE_NAME] = session
        world.clients[role] = client
    return world


def _build(folder: Path) -> World:
    """The cast and the review of tests/conftest.py (owner, reviewer, outsider, review,
    import_text), then the world."""
    owner = UserFactory(username="olivia-owner", email="olivia@example.org")
    reviewer = UserFactory(username="rui-reviewer", email="rui@example.org")
    outsider = UserFactory(username="otto-outsider", email="otto@example.org")
    review = review_create(
        slug="ivonescimab",
        title="Ivonescimab in advanced non-small cell lung cancer",
        owner=owner,
        question="Does ivonescimab improve progression-free survival in advanced NSCLC?",
    )
    Membership.objects.create(review=review, user=reviewer, role=Role.REVIEWER)

    def import_text(text: str, *, name: str, source: str):
        path = folder / name
        path.write_text(text)
        src = source_get_or_create(review=review, name=source, kind=SourceKind.DATABASE,
                                   user=owner)  # fmt: skip
        return references_import(review=review, source=src, path=path, file_name=name,
                                 user=owner)  # fmt: skip

    return build_world(review, owner, reviewer, outsider, import_text)


def build_world(review, owner, reviewer, outsider, import_text: Callable[..., Any]) -> World:
    b = UserFactory(username="bea-blind")
    viewer = UserFactory(username="vic-viewer")
    Membership.objects.create(review=review, user=b, role=Role.REVIEWER)
    Membership.objects.create(review=review, user=viewer, role=Role.VIEWER)

    search = import_text(ris(6), name="embase.ris", source="Embase")
    refs = {f"R{n}": r.reference for n, r in enumerate(search.records.order_by("position"), 1)}
    # A near-duplicate pair (a duplicate candidate) and an import job waiting for confirmation.
    import_text(RIS, name="scopus.ris", source="Scopus")
    import_text(RIS_NEAR, name="central.ris", source="CENTRAL")
    job = import_job_create(
        review=review,
        upload=SimpleUploadedFile("more.ris", ris(2, start=40).encode()),
        source_name="Web of Science",
        source_kind="database",
        user=owner,
    )
    pubmed_job = PubmedJob.objects.create(
        review=review,
        method=SearchMethod.PUBMED_QUERY,
        query="ivonescimab",
        status=JobStatus.FAILED,
        error="PubMed did not answer.",
        created_by=owner,
    )
    invitation = invitation_create(
        review=review, email="ina@example.org", role=Role.REVIEWER, invited_by=owner,
    )  # fmt: skip

    # R4: excluded by the owner alone under single screening; a verification sample of it for B.
    design = ExclusionReason.objects.get(review=review, label="Wrong study design")
    review_settings_update(review=review, user=owner, reviewers_title_abstract=1)
    _vote(review, refs["R4"], owner, "exclude", reason=design)
    review_settings_update(review=review, user=owner, reviewers_title_abstract=2)
    sample = verification_draw(review=review, stage=TA, percent=100, seed=1, reviewer=b, user=owner)

    # R5: included by O and A at both stages, its full text a PDF; the report of a study.
    for who in (owner, reviewer):
        _vote(review, refs["R5"], who, "include")
    full_text = full_text_record(
        review=review, reference=refs["R5"], user=owner, status="retrieved",
        upload=SimpleUploadedFile("r5.pdf", PDF, content_type="application/pdf"),
        max_bytes=10**6,
    )  # fmt: skip
    for who in (owner, reviewer):
        _vote(review, refs["R5"], who, "include", stage=FT)
    study = study_create(review=review, user=owner, name="HARMONi-crawl", reports=[refs["R5"]])
    custom_field = custom_field_save(review=review, user=owner, key="funding", label="Funding",
                                     kind="text")  # fmt: skip
    link = study.links.get()
    arms = [
        extraction_save(instance=Arm(study=study), user=owner, label=label, report=refs["R5"],
                        comparator=n == 1, position=n)
        for n, label in enumerate(["Ivonescimab", "Pembrolizumab"])
    ]  # fmt: skip
    outcome = extraction_save(instance=Outcome(study=study), user=owner, name="Response",
                              kind=OutcomeKind.PROPORTION, position=0)  # fmt: skip
    for arm in arms:
        extraction_save(instance=ArmResult(outcome=outcome, arm=arm), user=owner,
                        value=Decimal("40"), ci_low=Decimal("30"), ci_high=Decimal("50"),
                        events=40, n=100, report=refs["R5"])  # fmt: skip
    comparison = extraction_save(
        instance=Comparison(outcome=outcome, arm=arms[0], comparator=arms[1]), user=owner,
        measure=Measure.ODDS_RATIO, estimate=Decimal("1.5"), ci_low=Decimal("1.1"),
        ci_high=Decimal("2.0"), report=refs["R5"],
    )  # fmt: skip

    # A's hidden votes.
    reason_r1 = reason_create(review=review, user=owner, label="Wrong dose")
    reason_r6 = reason_create(review=review, user=owner, label="Wrong setting")
    _vote_under(review, reason_r1, REASON_R1, reference=refs["R1"], who=reviewer,
                verdict="exclude", note=NOTE_R1)  # fmt: skip
    _vote(review, refs["R2"], reviewer, "include", note=NOTE_R2)
    _vote_under(review, reason_r6, REASON_R6, reference=refs["R6"], who=reviewer,
                verdict="exclude", note=NOTE_R6)  # fmt: skip
    _vote(review, refs["R6"], owner, "include")

    labels = _label_and_post(review, reviewer, refs)
    rob = risk_of_bias_world(review, owner, reviewer, study, outcome)
    entries = entries_world(review, owner, reviewer)
    analysis = analysis_save(review=review, user=owner, outcome="Response", measure="OR",
                             model="random", method="DL")  # fmt: skip

    states = {
        name: ScreeningItem.objects.get(review=review, reference=ref, stage=TA).state
        for name, ref in refs.items()
    }
    assert states == {
        "R1": "awaiting_second", "R2": "awaiting_second", "R3": "awaiting", "R4": "excluded",
        "R5": "included", "R6": "conflict",
    }  # fmt: skip

    world = World(
        review=review, owner=owner, a=reviewer, b=b, viewer=viewer, outsider=outsider,
        refs=refs, reason_r1=reason_r1, reason_r6=reason_r6,
    )  # fmt: skip
    world.objects = {
        "search": search,
        "job": job,
        "pubmed_job": pubmed_job,
        "invitation": invitation,
        "sample": sample,
        "full_text": full_text,
        "study": study,
        "custom_field": custom_field,
        "link": link,
        "arms": arms,
        "outcome": outcome,
        "comparison": comparison,
        "candidate": review.duplicate_candidates.get(),
        "membership_a": Membership.objects.get(review=review, user=reviewer),
        "item_r6": ScreeningItem.objects.get(review=review, reference=refs["R6"], stage=TA),
        **labels,
        **rob,
        **entries,
        "analysis": analysis,
    }
    world.clients = {
        "O": _client(owner), "B": _client(b), "V": _client(viewer), "X": _client(outsider),
    }  # fmt: skip
    return world


def _label_and_post(review, a, refs) -> dict[str, Any]:
    """A's labels and posts (see the module's docstring); the objects the crawl names."""
    view = VoteView.of(review, Membership.objects.get(review=review, user=a))

    def put(label, *names: str) -> None:
        label_apply(review=review, label_id=label.pk, reference_ids=[refs[n].pk for n in names],
                    user=a, view=view)  # fmt: skip

    private = label_create(review=review, user=a, name=LABEL_PRIVATE, colour="red", private=True)
    put(private, "R3", "R5")
    shared = label_create(review=review, user=a, name="Crawl team label", colour="blue")
    put(shared, "R5")
    Label.objects.filter(pk=shared.pk).update(name=LABEL_R1)
    put(Label.objects.get(pk=shared.pk), "R1")
    Label.objects.filter(pk=shared.pk).update(name="Crawl team label")
    post_create(review=review, reference_id=refs["R2"].pk, user=a, text=POST_R2)
    settled = post_create(review=review, reference_id=refs["R5"].pk, user=a, text="Settled.")
    return {"label_private": private, "label_shared": shared, "post_r5": settled}


# --- Reading a response -------------------------------------------------------------------------


def body(response) -> str:
    """The whole body, decoded (a streamed CSV or a file is read to its end), and the headers."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return raw.decode("utf-8", errors="replace") + "\n" + headers


def sentinels_in(text: str) -> list[str]:
    return [sentinel for sentinel in SENTINELS if sentinel in text]
