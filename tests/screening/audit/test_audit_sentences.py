"""The audit log in sentences: each event reads as what happened, with links to what it names;
every action has its sentence and an unknown one a plain one; the names come in a few queries
for the whole page; the raw data stays beside the sentence; and a blind reviewer reads no
sentence of a vote they may not see yet."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from extraction.models import Arm
from extraction.services import extraction_save, study_create, study_delete
from screening.audit.chain import audit_record
from screening.audit.sentences import DESCRIBERS, audit_entries
from screening.audit.words import count
from screening.constants import AuditAction, Role, Stage
from screening.decisions.removal import references_remove
from screening.decisions.review_settings import reason_update, review_settings_update
from screening.decisions.services import conflict_resolve, decision_record, stage_reopen
from screening.identification.duplicates import duplicate_merge
from screening.models import AuditEvent, DuplicateCandidate, ExclusionReason, Membership
from screening.retrieval.services import full_text_record
from screening.reviews.services import membership_set_resolver
from tests.factories import UserFactory
from tests.screening.decisions.test_screening import ris
from tests.screening.test_views import RIS, RIS_NEAR

pytestmark = pytest.mark.django_db

TA, FT = Stage.TITLE_ABSTRACT, Stage.FULL_TEXT


def log_url(review) -> str:
    return reverse("screening:audit-log", args=[review.slug])


def sentences(review) -> dict[int, object]:
    """seq -> Sentence, for every event of the review."""
    events = AuditEvent.objects.filter(review=review).select_related("actor").order_by("seq")
    return {entry.event.seq: entry.sentence for entry in audit_entries(review, events)}


def texts(review) -> list[str]:
    return [sentence.text for sentence in sentences(review).values()]


def detail(review, reference) -> str:
    return reverse("screening:reference-detail", args=[review.slug, reference.pk])


@pytest.fixture
def refs(review, import_text):
    return [r.reference for r in import_text(ris(6), name="x.ris").records.order_by("position")]


@pytest.fixture
def busy(review, owner, reviewer, refs):
    """A conflict resolved and reopened, an inclusion to full text, a removal, a renamed
    reason, a settings change, a resolver designated, a study with an arm."""
    wrong = ExclusionReason.objects.get(review=review, label="Wrong patient population")
    decision_record(review=review, reference=refs[0], stage=TA, reviewer=reviewer,
                    verdict="exclude", reason=wrong, note="adults only")  # fmt: skip
    decision_record(review=review, reference=refs[0], stage=TA, reviewer=owner, verdict="include")
    conflict_resolve(review=review, reference=refs[0], stage=TA, resolver=owner,
                     verdict="include", note="the abstract says adults")  # fmt: skip
    stage_reopen(review=review, reference=refs[0], stage=TA, owner=owner)
    for stage in (TA, FT):
        if stage == FT:
            full_text_record(
                review=review, reference=refs[1], user=owner, status="retrieved", max_bytes=1
            )
        for who in (owner, reviewer):
            decision_record(review=review, reference=refs[1], stage=stage, reviewer=who,
                            verdict="include")  # fmt: skip
    references_remove(review=review, reference_ids=[refs[4].pk, refs[5].pk], reason="language",
                      detail="Chinese only", user=owner)  # fmt: skip
    reason_update(reason=wrong, user=owner, label="Wrong population")
    review_settings_update(review=review, user=owner, reviewers_title_abstract=1)
    membership_set_resolver(
        membership=Membership.objects.get(review=review, user=reviewer),
        resolves=True,
        changed_by=owner,
    )
    study = study_create(review=review, user=owner, name="HARMONi-X", reports=[refs[1]])
    extraction_save(instance=Arm(study=study), user=owner, label="Ivonescimab",
                    report=refs[1], position=0)  # fmt: skip
    return study


def test_screening_events_read_as_sentences(review, busy, refs):
    said = texts(review)
    title = "‘Ivonescimab trial report number 1 in lung cancer’"
    for sentence in [
        "olivia-owner imported 6 records from Embase (file x.ris): 6 new references, 0 duplicates.",
        f"rui-reviewer excluded {title} at title and abstract: Wrong patient population; "
        "note: “adults only”.",
        f"olivia-owner included {title} at title and abstract.",
        f"olivia-owner resolved a conflict on {title} at title and abstract as include; "
        "note: “the abstract says adults”.",
        f"olivia-owner reopened {title} at title and abstract (it was included).",
        "olivia-owner recorded the full text of ‘Ivonescimab trial report number 2 in lung "
        "cancer’ as retrieved.",
        "olivia-owner removed 2 references before screening (Language: Chinese only).",
        "olivia-owner renamed the exclusion reason ‘Wrong patient population’ to "
        "‘Wrong population’.",
        "olivia-owner changed the screening settings: reviewers per reference at title and "
        "abstract 2 → 1.",
        "olivia-owner let rui-reviewer resolve conflicts.",
        "olivia-owner created the study HARMONi-X.",
        "olivia-owner added the arm ‘Ivonescimab’ to the study HARMONi-X.",
    ]:
        assert sentence in said
    assert not [s for s in said if "recorded:" in s]  # no event fell back to the plain words


def test_a_sentence_links_to_what_it_names(review, busy, refs):
    by_text = {s.text: s for s in sentences(review).values()}
    resolved = next(s for text, s in by_text.items() if "resolved a conflict" in text)
    assert [link.url for link in resolved.links] == [detail(review, refs[0])]
    imported = next(s for text, s in by_text.items() if " imported 6 records" in text)
    search = refs[0].records.get().search
    assert imported.links[0].url == reverse(
        "screening:search-detail", args=[review.slug, search.pk]
    )
    removed = next(s for text, s in by_text.items() if "removed 2 references" in text)
    assert removed.links[0].url.endswith("?stage=title_abstract&state=removed")
    linked = next(s for text, s in by_text.items() if "linked ‘" in text)
    study_url = reverse("extraction:study-detail", args=[review.slug, busy.pk])
    assert [link.url for link in linked.links] == [detail(review, refs[1]), study_url]


def test_a_deleted_study_is_named_from_its_event_without_a_link(review, owner, busy):
    other = study_create(review=review, user=owner, name="Gone trial")
    study_delete(study=other, user=owner)
    said = list(sentences(review).values())
    created, deleted = said[-2], said[-1]
    assert created.text == "olivia-owner created the study Gone trial."
    assert created.links == []  # the study is gone: its name, no dead link
    assert deleted.text == "olivia-owner deleted the study Gone trial."


def test_duplicates_read_as_sentences(review, owner, import_text):
    import_text(RIS, name="embase.ris", source="Embase")
    import_text(RIS_NEAR, name="scopus.ris", source="Scopus")
    candidate = DuplicateCandidate.objects.get(review=review)
    duplicate_merge(candidate=candidate, user=owner)
    merged = list(sentences(review).values())[-1]
    assert re.fullmatch(
        r"olivia-owner merged ‘Ivonescimab plus chemotherapy in .+’ into ‘Ivonescimab plus "
        r"chemotherapy in .+’ as duplicates \(1 record moved\)\.",
        merged.text,
    )
    assert [link.url for link in merged.links] == [
        detail(review, candidate.reference_b),
        detail(review, candidate.reference_a),
    ]


def test_every_action_has_a_sentence_and_an_unknown_one_a_plain_one(review, owner):
    assert set(AuditAction.values) - set(DESCRIBERS) == set()
    audit_record(review=review, actor=owner, action="mystery.thing", obj=review, after={"n": 1})
    # An event whose data is not of the shape its describer knows (older, or hand-made).
    audit_record(review=review, actor=None, action=AuditAction.DECISION, obj=review, after={})
    *_, mystery, odd = sentences(review).values()
    assert mystery.text == f"olivia-owner recorded: mystery.thing (screening.review {review.pk})."
    assert odd.text == f"The system recorded: Decision recorded (screening.review {review.pk})."


def test_numbers_agree_with_their_nouns():
    assert count(1, "record") == "1 record"
    assert count(2, "record") == "2 records"
    assert count(1, "entry", "entries") == "1 entry"
    assert count(1200, "entry", "entries") == "1,200 entries"


def test_the_log_page_shows_the_sentences_with_their_links_and_raw_data(
    client_owner, review, busy, refs
):
    response = client_owner.get(log_url(review))
    page = response.content.decode()
    link = f'<a href="{detail(review, refs[0])}">‘Ivonescimab trial report number 1 in lung'
    assert f"rui-reviewer excluded {link}" in page
    assert '<details class="event-data">' in page
    assert "&quot;object&quot;: &quot;screening.decision:" in page  # the raw data, kept
    assert "&quot;note&quot;: &quot;adults only&quot;" in page
    # The filters still apply to the sentences.
    filtered = client_owner.get(log_url(review), {"action": AuditAction.RESOLVE})
    assert [e.sentence.text.split(" ")[1] for e in filtered.context["entries"]] == ["resolved"]


def test_the_log_page_names_its_objects_in_the_same_queries_however_many_events(
    client_owner, review, owner, reviewer, busy, import_text, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15) as small:
        client_owner.get(log_url(review))
    more = [r.reference for r in import_text(ris(40, start=50), name="y.ris").records.all()]
    for reference in more:
        decision_record(review=review, reference=reference, stage=TA, reviewer=reviewer,
                        verdict="include", note="n")  # fmt: skip
    references_remove(review=review, reference_ids=[more[0].pk], reason="language", user=owner)
    assert AuditEvent.objects.filter(review=review).count() > 60
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client_owner.get(log_url(review))
    assert len(response.context["entries"]) > 40


def test_a_blind_reviewer_reads_no_sentence_of_a_vote_they_may_not_see(
    client, review, owner, reviewer, refs
):
    second = UserFactory(username="sara-second")
    Membership.objects.create(review=review, user=second, role=Role.REVIEWER)
    client.force_login(second)
    wrong = ExclusionReason.objects.get(review=review, label="Wrong patient population")
    decision_record(review=review, reference=refs[2], stage=TA, reviewer=reviewer,
                    verdict="exclude", reason=wrong, note="secret-note-3391")  # fmt: skip
    page = client.get(log_url(review)).content.decode()
    assert "trial report number 3 in" not in page
    assert "secret-note-3391" not in page and "rui-reviewer excluded" not in page
    decision_record(review=review, reference=refs[2], stage=TA, reviewer=second, verdict="include")
    page = client.get(log_url(review)).content.decode()
    assert "rui-reviewer excluded" in page and "secret-note-3391" in page
