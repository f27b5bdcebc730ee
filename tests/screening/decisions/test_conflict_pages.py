"""The conflicts page: open conflicts with the reference's abstract (and at full text a link to
its full text) beside the resolve form; resolved ones kept under their own tab with who
settled them, how, why and when; the same queries whatever the number of conflicts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from screening.constants import Role, Stage
from screening.decisions.services import conflict_resolve, decision_record, stage_reopen
from screening.models import ExclusionReason, FullText, Membership, ScreeningItem
from screening.retrieval.services import full_text_record
from tests.factories import UserFactory
from tests.screening.decisions.test_screening import PDF

pytestmark = pytest.mark.django_db

TA, FT = Stage.TITLE_ABSTRACT, Stage.FULL_TEXT


def abstracts(n: int, *, start: int = 1) -> str:
    return "\n".join(
        f"TY  - JOUR\nTI  - Ivonescimab conflict report {i}\nAU  - Author{i}, A\nPY  - 2024\n"
        f"DO  - 10.1000/conflict.{i}\nAB  - Abstract {i}: adults with advanced NSCLC.\nER  - \n"
        for i in range(start, start + n)
    )


def conflicts_url(review, **query) -> str:
    url = reverse("screening:conflict-list", args=[review.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def reason(review, label="Wrong study design"):
    return ExclusionReason.objects.get(review=review, label=label)


def disagree(review, references, owner, reviewer, stage=TA) -> None:
    for reference in references:
        decision_record(review=review, reference=reference, stage=stage, reviewer=owner,
                        verdict="include")  # fmt: skip
        decision_record(review=review, reference=reference, stage=stage, reviewer=reviewer,
                        verdict="exclude", reason=reason(review))  # fmt: skip


@pytest.fixture
def references(review, import_text):
    search = import_text(abstracts(4), name="conflicts.ris")
    return [record.reference for record in search.records.order_by("position")]


def test_a_resolved_conflict_stays_listed_with_its_resolution(
    client_owner, review, references, owner, reviewer
):
    disagree(review, references[:3], owner, reviewer)
    conflict_resolve(review=review, reference=references[0], stage=TA, resolver=owner,
                     verdict="exclude", reason=reason(review, "Wrong comparator"),
                     note="placebo arm only")  # fmt: skip
    open_page = client_owner.get(conflicts_url(review)).content.decode()
    assert open_page.count("Resolve: include") == 2
    assert "Ivonescimab conflict report 1<" not in open_page

    response = client_owner.get(conflicts_url(review, status="resolved"))
    page = response.content.decode()
    (item,) = response.context["page"]
    assert item.reference == references[0]
    assert "Resolve: include" not in page  # settled: no form
    assert "Resolved by olivia-owner" in page
    assert "<strong>Exclude</strong>" in page and "(Wrong comparator)" in page
    assert "“placebo arm only”" in page
    assert "rui-reviewer: <strong>Exclude</strong>" in page  # the votes it settled
    assert item.resolution.created_at.strftime("%Y") in page


def test_a_reopened_conflict_leaves_the_resolved_list(
    client_owner, review, references, owner, reviewer
):
    disagree(review, references[:1], owner, reviewer)
    conflict_resolve(
        review=review, reference=references[0], stage=TA, resolver=owner, verdict="include"
    )
    assert len(client_owner.get(conflicts_url(review, status="resolved")).context["page"]) == 1
    stage_reopen(review=review, reference=references[0], stage=TA, owner=owner)
    resolved = client_owner.get(conflicts_url(review, status="resolved"))
    assert len(resolved.context["page"]) == 0
    assert "No conflict has been resolved yet." in resolved.content.decode()


def test_the_resolve_form_shows_the_abstract_and_at_full_text_the_full_text(
    client_owner, review, references, owner, reviewer
):
    for who in (owner, reviewer):
        decision_record(review=review, reference=references[0], stage=TA, reviewer=who,
                        verdict="include")  # fmt: skip
    full_text_record(
        review=review, reference=references[0], user=owner, status="retrieved",
        upload=SimpleUploadedFile("r1.pdf", PDF, content_type="application/pdf"),
        max_bytes=10**6,
    )  # fmt: skip
    disagree(review, references[:1], owner, reviewer, stage=FT)
    disagree(review, references[1:2], owner, reviewer)
    page = client_owner.get(conflicts_url(review)).content.decode()
    assert page.count("<summary>Abstract</summary>") == 2
    assert "Abstract 1: adults with advanced NSCLC." in page
    assert "Abstract 2: adults with advanced NSCLC." in page
    full_text = FullText.objects.get(reference=references[0])
    file_url = reverse("screening:fulltext-file", args=[review.slug, full_text.pk])
    assert page.count("Open the full text (PDF)") == 1
    assert f'href="{file_url}"' in page
    ta_only = client_owner.get(conflicts_url(review, stage=TA)).content.decode()
    assert "Open the full text" not in ta_only and "Abstract 2:" in ta_only


def test_the_tabs_keep_the_stage_and_the_pages_keep_both(
    client_owner, review, references, owner, reviewer
):
    page = client_owner.get(conflicts_url(review, status="resolved", stage=TA)).content.decode()
    assert 'href="?status=open&amp;stage=title_abstract"' in page
    assert 'href="?status=resolved&amp;stage=full_text"' in page
    assert client_owner.get(conflicts_url(review, status="resolved", stage=TA)).context[
        "query"
    ] == ("status=resolved&stage=title_abstract")


def test_both_lists_cost_the_same_queries_small_or_large(
    client_owner,
    review,
    import_text,
    owner,
    reviewer,
    django_assert_num_queries,
    django_assert_max_num_queries,
):
    def make(n: int, start: int) -> None:
        refs = [r.reference for r in import_text(abstracts(n, start=start),
                                                 name=f"c{start}.ris").records.all()]  # fmt: skip
        disagree(review, refs, owner, reviewer)
        for ref in refs[: n // 2]:
            conflict_resolve(review=review, reference=ref, stage=TA, resolver=owner,
                             verdict="include", note="ok")  # fmt: skip

    make(4, 100)
    urls = [conflicts_url(review), conflicts_url(review, status="resolved")]
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(14) as captured:
            client_owner.get(url)
        counts[url] = len(captured.captured_queries)
    make(20, 200)
    assert ScreeningItem.objects.filter(review=review, resolved=True).count() == 12
    for url in urls:
        with django_assert_num_queries(counts[url]):
            client_owner.get(url)


def test_a_blind_reviewer_sees_settled_conflicts_but_no_open_vote(
    client, review, references, owner, reviewer
):
    second = UserFactory(username="sara-second")
    Membership.objects.create(review=review, user=second, role=Role.REVIEWER)
    client.force_login(second)
    disagree(review, references[:1], owner, reviewer)
    conflict_resolve(review=review, reference=references[0], stage=TA, resolver=owner,
                     verdict="include", note="settled-note")  # fmt: skip
    disagree(review, references[1:2], owner, reviewer)  # open, and Sara has not voted
    decision_record(review=review, reference=references[2], stage=TA, reviewer=reviewer,
                    verdict="exclude", reason=reason(review), note="hidden-note")  # fmt: skip
    for status in ("open", "resolved"):
        page = client.get(conflicts_url(review, status=status)).content.decode()
        assert "hidden-note" not in page and "conflict report 2<" not in page, status
        assert "conflict report 3<" not in page, status
    page = client.get(conflicts_url(review, status="resolved")).content.decode()
    assert "Resolved by olivia-owner" in page and "“settled-note”" in page
    assert "Resolve: include" not in page  # Sara resolves nothing
