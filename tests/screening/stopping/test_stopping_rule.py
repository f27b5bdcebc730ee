"""The stopping rule in the app: a random sample served first, the test on the review home,
applying it (PRISMA's automation box and the methods paragraph), and undoing it."""

import pytest
from django.urls import reverse

from screening.constants import ItemState, Stage
from screening.decisions.items import cache_differences
from screening.decisions.queue import next_item
from screening.decisions.services import ScreeningRefused, decision_record
from screening.models import Removal, StoppingSample
from screening.prisma.counts import prisma_report
from screening.prisma.text import methods_paragraph
from screening.stopping.services import (
    stopping_apply,
    stopping_sample_draw,
    stopping_status,
    stopping_withdraw,
)
from tests.screening.prioritisation.test_ranking import ris

TA = Stage.TITLE_ABSTRACT


@pytest.fixture
def screened(review, import_text, owner):
    """100 records, single screening: the 40 relevant ones are found in the first 60 screened,
    and 40 are left unscreened (all irrelevant)."""
    review.reviewers_title_abstract = 1
    review.save()
    import_text(ris(40, 60))
    items = review.items.filter(stage=TA).select_related("reference").order_by("reference_id")
    for item in items[:60]:  # the 40 relevant, then 20 irrelevant, as a good ranking would
        relevant = item.reference.title.startswith("Ivonescimab")
        decision_record(review=review, reference=item.reference, stage=TA, reviewer=owner,
                        verdict="include" if relevant else "exclude")  # fmt: skip
    return review


def _screen_the_sample(review, who, verdict="exclude"):
    sample = StoppingSample.objects.get(review=review, applied_at=None, withdrawn_at=None)
    served = []
    for _ in range(sample.size):
        item = next_item(review, who, TA)
        served.append(item.reference_id)
        decision_record(review=review, reference=item.reference, stage=TA, reviewer=who,
                        verdict=verdict)  # fmt: skip
    return sample, served


def test_the_sample_is_served_first_and_the_test_lets_the_team_stop(screened, owner):
    # 40 found: recall below 95% means at least 43 relevant (40/0.95 = 42.1), 3 of them among
    # the 40 unscreened. A sample of 25 holding none of them has probability
    # C(37,25)/C(40,25) = (15*14*13)/(40*39*38) = 0.046 < 0.05: it is reasonable to stop.
    sample = stopping_sample_draw(review=screened, user=owner, size=25, seed=3)
    assert (sample.pool_size, sample.screened_before, sample.found_before) == (40, 60, 40)
    sample, served = _screen_the_sample(screened, owner)
    assert served == sample.ids.tolist(), "the sample comes first, in the order it was drawn"
    status = stopping_status(sample)
    assert status.complete and status.found == 0 and status.test.can_stop
    assert status.test.p_value == pytest.approx(15 * 14 * 13 / (40 * 39 * 38))

    applied = stopping_apply(review=screened, user=owner)
    assert applied.marked == 15 and applied.found_in_sample == 0
    assert screened.items.filter(stage=TA, state=ItemState.AUTOMATED).count() == 15
    report = prisma_report(screened)
    assert report.excluded_automatic == 15 and report.records_screened == 85
    assert report.errors == []
    text = methods_paragraph(screened, prisma_report(screened))
    assert "hypergeometric stopping rule of Callaghan & Müller-Hansen (2020)" in text
    assert "The 15 records left unscreened were reported as marked ineligible by automation" in text
    assert "no automation tool excluded records" not in text
    assert next_item(screened, owner, TA) is None
    assert cache_differences(screened) == []  # the cached states are the log's


def test_a_relevant_record_in_the_sample_means_screening_goes_on(screened, owner):
    stopping_sample_draw(review=screened, user=owner, size=25, seed=3)
    sample, _ = _screen_the_sample(screened, owner, verdict="include")
    status = stopping_status(sample)
    assert status.found == 25 and not status.test.can_stop
    with pytest.raises(ScreeningRefused, match="does not show the recall target is met"):
        stopping_apply(review=screened, user=owner)


def test_apply_waits_for_the_whole_sample(screened, owner):
    stopping_sample_draw(review=screened, user=owner, size=10, seed=1)
    with pytest.raises(ScreeningRefused, match="10 records of the sample still need screening"):
        stopping_apply(review=screened, user=owner)


def test_only_owners_draw_and_one_sample_at_a_time(screened, owner, reviewer):
    with pytest.raises(ScreeningRefused, match="Only the review's owners"):
        stopping_sample_draw(review=screened, user=reviewer, size=5)
    with pytest.raises(ScreeningRefused, match="between 1 and 40"):
        stopping_sample_draw(review=screened, user=owner, size=41)
    stopping_sample_draw(review=screened, user=owner, size=5)
    with pytest.raises(ScreeningRefused, match="already being screened"):
        stopping_sample_draw(review=screened, user=owner, size=5)


def test_undoing_the_rule_returns_the_records_to_screening(screened, owner):
    stopping_sample_draw(review=screened, user=owner, size=25, seed=3)
    _screen_the_sample(screened, owner)
    stopping_apply(review=screened, user=owner)
    stopping_withdraw(review=screened, user=owner)
    assert not screened.items.filter(stage=TA, state=ItemState.AUTOMATED).exists()
    assert Removal.objects.filter(review=screened, removed=False).count() == 15
    report = prisma_report(screened)
    assert report.excluded_automatic == 0 and report.errors == []
    assert next_item(screened, owner, TA) is not None


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_the_review_home_draws_applies_and_shows_the_result(screened, client_owner):
    home = screened.get_absolute_url()
    page = _text(client_owner.get(home))
    assert 'id="stopping-draw"' in page
    assert "a sample of 25 with no relevant record in it would show" in page
    response = client_owner.post(
        reverse("screening:stopping-draw", args=[screened.slug]),
        {"size": "25", "target": "95", "confidence": "95"},
    )
    assert response.status_code == 302
    page = _text(client_owner.get(home))
    assert "A random sample of 25 of the 40 records" in page
    owner = screened.memberships.get(role="owner").user
    _screen_the_sample(screened, owner)
    page = _text(client_owner.get(home))
    assert "Stop screening: mark the 15 unscreened records ineligible" in page
    client_owner.post(reverse("screening:stopping-apply", args=[screened.slug]))
    page = _text(client_owner.get(home))
    assert "15 unscreened records were marked ineligible by automation tools" in page
    prisma = _text(client_owner.get(reverse("screening:prisma", args=[screened.slug])))
    # The diagram's line (wrapped, but one link named whole) links to the 15 references.
    assert 'aria-label="Records marked as ineligible by automation tools (n = 15)"' in prisma
    listed = client_owner.get(
        reverse("screening:reference-list", args=[screened.slug]), {"box": "excluded_automatic"}
    )
    assert listed.context["page"].paginator.count == 15


def test_a_bad_sample_size_is_refused_in_words(screened, client_owner):
    response = client_owner.post(
        reverse("screening:stopping-draw", args=[screened.slug]), {"size": "many"}, follow=True
    )
    assert "Give the sample size as a whole number" in response.content.decode()
    assert not StoppingSample.objects.exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"size": "25", "target": "abc"}, "between 0% and 100%"),
        ({"size": "25", "confidence": "100"}, "between 0% and 100%"),
        ({"size": "0"}, "Draw between 1 and 40"),
        ({"size": "1000000"}, "Draw between 1 and 40"),
        ({"size": ""}, "Give the sample size as a whole number"),
    ],
)
def test_the_draw_form_refuses_bad_values_in_words(screened, client_owner, form, message):
    response = client_owner.post(
        reverse("screening:stopping-draw", args=[screened.slug]), form, follow=True
    )
    assert message in _text(response)
    assert not StoppingSample.objects.exists()
