"""A reviewer's own decisions inside a stage (issue 16): the "My decisions" list and its
filters, walking back and forth through them, finding a record by words, PMID or DOI, the
record's place in the queue (the model's rank, or why the order is random) and what the end of
the queue says. Through the test client and the selectors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from screening.constants import Stage
from screening.decisions.mine import (
    decided_after,
    decided_before,
    find_at_stage,
    my_decisions,
    queue_end,
)
from screening.decisions.queue import next_item, place_in_queue
from screening.decisions.services import decision_record
from screening.models import ExclusionReason, Ranking
from screening.models.ranking import pack_ids

pytestmark = pytest.mark.django_db

TA = Stage.TITLE_ABSTRACT


def vote(review, who, reference, verdict, reason=None, note=""):
    return decision_record(
        review=review,
        reference=reference,
        stage=TA,
        reviewer=who,
        verdict=verdict,
        reason=reason,
        note=note,
    )


def wrong_design(review):
    return ExclusionReason.objects.get(review=review, label="Wrong study design")


def screen_url(review, name="screen"):
    return reverse(f"screening:{name}", args=[review.slug, "title-abstract"])


def test_my_decisions_lists_mine_latest_first_and_filters_them(
    review, reviewer, second, references
):
    vote(review, reviewer, references[0], "include")
    vote(review, reviewer, references[1], "exclude", wrong_design(review))
    vote(review, reviewer, references[2], "maybe")
    vote(review, second, references[3], "exclude", wrong_design(review))  # not mine

    listed = [v.item.reference_id for v in my_decisions(review, reviewer, TA)]
    assert listed == [references[2].pk, references[1].pk, references[0].pk]
    assert [v.item.reference_id for v in my_decisions(review, reviewer, TA, verdict="exclude")] == [
        references[1].pk
    ]
    by_reason = my_decisions(review, reviewer, TA, reason=str(wrong_design(review).pk))
    assert [v.item.reference_id for v in by_reason] == [references[1].pk]
    # Words of the title: every word must appear ("number 3" is the third one only).
    by_words = my_decisions(review, reviewer, TA, words="NUMBER 3")
    assert [v.item.reference_id for v in by_words] == [references[2].pk]
    assert not my_decisions(review, reviewer, TA, words="number 4").exists()


def test_the_my_decisions_page_shows_my_decisions_only_each_opening_its_record(
    client_reviewer, review, reviewer, second, references
):
    vote(review, reviewer, references[0], "exclude", wrong_design(review), note="phase I only")
    vote(review, second, references[1], "include")
    page = client_reviewer.get(screen_url(review, "my-decisions"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "1 decision" in html and "1 decisions" not in html
    assert f"?reference={references[0].pk}" in html
    assert "phase I only" in html and "Wrong study design" in html
    # The other reviewer's decision is not on my list: nothing of it leaks here.
    assert f"?reference={references[1].pk}" not in html
    assert "sara-second" not in html

    filtered = client_reviewer.get(screen_url(review, "my-decisions"), {"verdict": "include"})
    assert "None of your decisions at this stage match" in filtered.content.decode()


def test_walking_back_and_forth_through_my_decisions(review, reviewer, references):
    for reference in references[:3]:
        vote(review, reviewer, reference, "include")
    first, middle, last = (r.pk for r in references[:3])
    assert decided_before(review, reviewer, TA, None) == last  # from the queue: my latest
    assert decided_before(review, reviewer, TA, last) == middle
    assert decided_before(review, reviewer, TA, middle) == first
    assert decided_before(review, reviewer, TA, first) is None
    assert decided_after(review, reviewer, TA, first) == middle
    assert decided_after(review, reviewer, TA, last) is None  # then back to the queue
    # A record I have not decided (found by a search): back goes to my latest.
    assert decided_before(review, reviewer, TA, references[4].pk) == last
    # Changing my mind on the first makes it my latest decision.
    vote(review, reviewer, references[0], "exclude", wrong_design(review))
    assert decided_before(review, reviewer, TA, None) == first
    assert decided_before(review, reviewer, TA, first) == last


def test_the_screening_page_links_back_and_forth(client_reviewer, review, reviewer, references):
    for reference in references[:2]:
        vote(review, reviewer, reference, "include")
    queue = client_reviewer.get(screen_url(review))
    assert queue.context["previous_reference"] == references[1].pk
    assert not queue.context["opened"]
    walked = client_reviewer.get(screen_url(review), {"reference": references[1].pk})
    assert walked.context["opened"]
    assert walked.context["previous_reference"] == references[0].pk
    assert walked.context["next_reference"] is None
    html = walked.content.decode()
    assert 'id="previous-record"' in html and 'id="back-to-queue"' in html
    assert "you can change it below" in html  # my decision is still open to revision


def test_a_decision_after_walking_back_returns_the_page_to_the_queue(
    client_reviewer, review, reviewer, references
):
    vote(review, reviewer, references[0], "include")
    response = client_reviewer.post(
        reverse("screening:screen-decide", args=[review.slug, "title-abstract"]),
        {"reference": references[0].pk, "verdict": "exclude", "reason": wrong_design(review).pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Replace-Url"] == screen_url(review)
    assert response.context["previous_reference"] == references[0].pk
    assert response.context["reference"].pk != references[0].pk


def test_find_at_stage_by_pmid_doi_and_words(review, references):
    references[2].pmid = "39876543"
    references[2].save(update_fields=["pmid"])
    assert [i.reference_id for i in find_at_stage(review, TA, "39876543")] == [references[2].pk]
    assert [i.reference_id for i in find_at_stage(review, TA, "https://doi.org/10.1000/IVO.4")] == [
        references[3].pk
    ]
    assert [i.reference_id for i in find_at_stage(review, TA, "number 5 lung")] == [
        references[4].pk
    ]
    assert len(find_at_stage(review, TA, "ivonescimab lung")) == 6
    assert find_at_stage(review, TA, "pembrolizumab") == []
    assert find_at_stage(review, TA, "   ") == []
    assert find_at_stage(review, TA, "12345") == []  # a PMID no record has
    assert find_at_stage(review, TA, "\x00") == []  # PostgreSQL refuses a NUL in a string
    assert [i.reference_id for i in find_at_stage(review, TA, "number\x00 6")] == [references[5].pk]


def test_the_find_page_and_its_htmx_fragment(client_reviewer, review, references):
    full = client_reviewer.get(screen_url(review, "screen-find"), {"q": "number 2"})
    assert full.status_code == 200
    html = full.content.decode()
    assert f"?reference={references[1].pk}" in html and "1 record at this stage" in html
    fragment = client_reviewer.get(
        screen_url(review, "screen-find"), {"q": "nothing like it"}, HTTP_HX_REQUEST="true"
    )
    text = fragment.content.decode()
    assert text.lstrip().startswith('<div id="find-results"')
    assert "No record at this stage matches" in text


def test_the_end_of_the_queue_says_what_happened_and_what_next(
    client_reviewer, review, reviewer, second, references
):
    # Two reviewers: my votes wait for the other, or meet theirs.
    vote(review, second, references[0], "exclude", wrong_design(review))
    for index, reference in enumerate(references):
        vote(
            review,
            reviewer,
            reference,
            "include" if index < 5 else "exclude",
            wrong_design(review) if index == 5 else None,
        )
    end = queue_end(review, reviewer, TA, conflicts=1, moved_on=0)
    assert (end.decided, end.by_verdict["include"], end.by_verdict["exclude"]) == (6, 5, 1)
    assert (end.waiting_for_others, end.my_conflicts) == (5, 1)

    page = client_reviewer.get(screen_url(review))
    assert page.context["reference"] is None
    html = " ".join(page.content.decode().split())
    assert "Nothing left for you to screen at this stage." in html
    assert "You decided <strong>6</strong> references here (5 include, 1 exclude)" in html
    assert "5 of them wait for another reviewer" in html
    assert "1 is in conflict with another reviewer" in html
    assert "1 conflict</a> waits for a resolver" in html  # a reviewer does not resolve
    assert reverse("screening:prisma", args=[review.slug]) in html


def test_the_end_of_the_queue_sends_a_single_reviewer_on_to_full_texts(
    client_owner, review, owner, references
):
    review.reviewers_title_abstract = 1
    review.save()
    for reference in references:
        vote(review, owner, reference, "include")
    html = " ".join(client_owner.get(screen_url(review)).content.decode().split())
    assert "6 references went on to full text" in html
    assert reverse("screening:retrieval-list", args=[review.slug]) in html


def test_the_place_in_the_queue_says_random_during_warm_up_then_the_models_rank(
    review, owner, references
):
    served = next_item(review, owner, TA)
    assert (served.queue_place.kind, served.queue_place.why) == ("random", "warm_up")
    # The model's order: the fourth reference first.
    ids = [references[3].pk, references[0].pk, references[5].pk]
    Ranking.objects.update_or_create(
        review=review, stage=TA, defaults={"version": 2, "order": pack_ids(ids)}
    )
    served = next_item(review, owner, TA)
    assert served.reference_id == references[3].pk
    place = served.queue_place
    assert (place.kind, place.position, place.total, place.version) == ("model", 1, 3, 2)
    assert place_in_queue(review, TA, references[5].pk).position == 3
    # A record the ranking does not hold is in random order, and says why.
    assert place_in_queue(review, TA, references[1].pk).why == "unranked"
    assert place_in_queue(review, Stage.FULL_TEXT, references[3].pk).why == "full_text"
    review.prioritise = False
    review.save()
    assert next_item(review, owner, TA).queue_place.why == "off"


def test_the_page_shows_the_rank_beside_the_record(client_reviewer, review, references):
    html = client_reviewer.get(screen_url(review)).content.decode()
    assert "In random order while the model warms up" in html
    Ranking.objects.update_or_create(
        review=review, stage=TA, defaults={"version": 1, "order": pack_ids([references[2].pk])}
    )
    page = client_reviewer.get(screen_url(review))
    assert page.context["reference"].pk == references[2].pk
    html = " ".join(page.content.decode().split())
    assert "Ranked <strong>1</strong> of 1 by the model (version 1)" in html
