"""Prioritisation live on the demo: in the import demo a reviewer's first include and exclude
start the model, the next records come in its order (each decision records the version and
rank that served it), and the review home shows the order in use, the inclusions curve and
the stopping rule."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from playwright.sync_api import expect

from screening.demo.worked_example import DEMO_PASSWORD
from screening.models import Decision, Ranking, Review, ScreeningItem
from tests.browser.test_screening_pages import decided, shown


def test_the_model_takes_over_the_demo_queue_after_one_include_and_one_exclude(
    logged_in_page, live_server, django_user_model, screenshot
):
    call_command("load_demo", stdout=StringIO())
    review = Review.objects.get(slug="import-demo")
    page = logged_in_page(django_user_model.objects.get(username="demo"), DEMO_PASSWORD)
    page.goto(f"{live_server.url}/r/import-demo/")
    expect(page.locator("#queue-order")).to_contain_text("random order until the review has")

    page.goto(f"{live_server.url}/r/import-demo/screen/title-abstract/")
    for number, key in enumerate(["i", "1", "i", "1", "1"], start=1):
        shown(page)
        page.keyboard.press(key)
        decided(page, number)

    decisions = list(Decision.objects.filter(review=review).order_by("id"))
    # The first two in random order; from the third on, the model's first choice each time.
    assert [(d.ranking_version, d.ranking_position) for d in decisions[:2]] == [(None, None)] * 2
    assert all(d.ranking_version and d.ranking_position == 1 for d in decisions[2:])
    assert len({d.ranking_version for d in decisions[2:]}) == 3  # retrained after each one
    ranking = Ranking.objects.get(review=review)
    random_order = list(
        ScreeningItem.objects.filter(review=review, stage="title_abstract", waiting=True)
        .order_by("rank")
        .values_list("reference_id", flat=True)
    )
    assert sorted(ranking.ids.tolist()) == sorted(random_order)
    assert ranking.ids.tolist() != random_order  # the order changed

    page.goto(f"{live_server.url}/r/import-demo/")
    expect(page.locator("#queue-order")).to_contain_text(
        f"most likely relevant first: model version {ranking.version}"
    )
    expect(page.locator("#aid-screened")).to_have_text("5")
    expect(page.locator(".curve svg")).to_be_visible()
    expect(page.locator("#stopping-draw")).to_be_visible()
    screenshot("prioritisation-home")
