"""A reviewer searches PubMed in Chromium: sees the count, runs the search, follows the job's
progress bar, and finds the search with its run on the searches page."""

from playwright.sync_api import expect

from screening.constants import PubmedPhase
from screening.identification.pubmed_jobs import pubmed_job_create
from screening.identification.pubmed_run import pubmed_job_run
from tests.conftest import TOPIC, TOPIC_ARTICLES


def test_a_query_is_counted_then_run_and_its_search_listed(
    logged_in_page, reviewer, review, live_server, pubmed, screenshot
):
    page = logged_in_page(reviewer)
    page.goto(live_server.url + review.get_absolute_url())
    page.get_by_role("link", name="Search PubMed").first.click()
    page.get_by_label("PubMed query").fill(TOPIC)
    page.get_by_role("button", name="See what it finds").click()

    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_contain_text(f"PubMed finds {TOPIC_ARTICLES} records")
    expect(preview).to_contain_text(f'"{TOPIC}"[All Fields]')
    screenshot("count")

    page.get_by_role("button", name=f"Run the search ({TOPIC_ARTICLES} records)").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Done: PubMed returned {TOPIC_ARTICLES} records; {TOPIC_ARTICLES} new records"
    )
    page.get_by_role("link", name="See the search and its runs").click()
    expect(page.locator("table.runs tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Searches", exact=True).click()
    expect(page.locator("section.search")).to_contain_text(TOPIC)
    screenshot("searches")


def test_the_job_page_shows_the_progress_of_a_running_search(
    logged_in_page, reviewer, review, live_server, pubmed, screenshot
):
    job = pubmed_job_create(review=review, user=reviewer, query=TOPIC, enqueue=False)
    page = logged_in_page(reviewer)
    page.goto(live_server.url + job.get_absolute_url())
    expect(page.get_by_role("status")).to_contain_text("Waiting for a worker")

    seen = []

    def watch(current):
        # The job runs here, step by step; the page, polling by itself, must show each step.
        if current.phase == PubmedPhase.FETCH and current.fetched == 20:
            expect(page.locator("progress")).to_have_attribute("value", "20")
            expect(page.get_by_role("status")).to_contain_text(
                f"20 of {TOPIC_ARTICLES} records fetched"
            )
            screenshot("progress")
            seen.append(current.fetched)

    pubmed_job_run(job_id=job.pk, progress=watch)

    assert seen == [20]
    expect(page.get_by_role("status")).to_contain_text("Done: PubMed returned")
    expect(page.locator("progress")).to_have_count(0)
