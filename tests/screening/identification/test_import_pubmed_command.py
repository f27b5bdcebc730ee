"""`import_pubmed` without a broker: the job runs in this process, with a progress bar, against
the fake E-utilities server. (With a broker and a real worker: tests/integration.)"""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from screening.constants import JobStatus
from screening.models import PubmedJob, Record, Search
from tests.conftest import TOPIC, TOPIC_ARTICLES

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_pubmed", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_query_runs_here_with_a_progress_bar_and_a_summary(review, pubmed):
    out, err = run(review.slug, "--query", TOPIC)

    search = Search.objects.get()
    assert out.startswith(
        f"Search {search.pk} of PubMed, run 1 (query: {TOPIC}): {TOPIC_ARTICLES} found by "
        f"PubMed; {TOPIC_ARTICLES} new records ({TOPIC_ARTICLES} new references, 0 duplicates"
    )
    assert f"PubMed finds {TOPIC_ARTICLES} records for: {TOPIC}" in err
    assert "searching PubMed" in err
    assert f"] 20 / {TOPIC_ARTICLES} records fetched" in err  # the bar, a line per step here
    assert f"Adding {TOPIC_ARTICLES} fetched records to the review" in err
    assert search.run_by == review.memberships.get(role="owner").user


def test_json_gives_the_counts_of_the_run_and_a_second_run_is_a_rerun(review, pubmed):
    first = json.loads(run(review.slug, "--query", TOPIC, "--json")[0])
    out, err = run(review.slug, "--query", TOPIC, "--json")
    second = json.loads(out)

    assert (first["run"], first["records"], first["count"]) == (1, TOPIC_ARTICLES, TOPIC_ARTICLES)
    assert first["records"] == first["references_created"] + first["duplicates"]
    assert (second["search"], second["run"], second["records"]) == (first["search"], 2, 0)
    assert "running it again adds only the new ones" in err


def test_count_only_says_what_a_query_finds_and_runs_nothing(review, pubmed):
    out, _ = run(review.slug, "--query", TOPIC, "--count-only")
    assert f"PubMed finds {TOPIC_ARTICLES} records for: {TOPIC}" in out
    assert f'translated as: "{TOPIC}"[All Fields]' in out
    assert not PubmedJob.objects.exists()


def test_a_pmid_file_with_tokens_that_are_not_pmids_is_refused_unless_asked(
    review, pubmed, tmp_path
):
    path = tmp_path / "pmids.txt"
    path.write_text("12091962\n9997\n10.1016/xyz\n999999991\n")
    with pytest.raises(CommandError, match=r"1 token\(s\) of the file are not PMIDs: 10.1016/xyz"):
        run(review.slug, "--pmids", str(path))
    assert not PubmedJob.objects.exists()

    out, err = run(review.slug, "--pmids", str(path), "--skip-invalid")
    assert "Ignoring 1 token(s) that are not PMIDs: 10.1016/xyz" in err
    assert "2 new records" in out
    assert "Unknown PMIDs: 999999991" in out


def test_a_missing_pmid_file_is_a_clear_error(review, pubmed, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(review.slug, "--pmids", str(tmp_path / "none.txt"))


def test_a_failure_says_why_and_how_to_resume_and_resume_finishes_it(review, pubmed):
    pubmed.fail_next("503", times=4, endpoint="efetch")
    with pytest.raises(CommandError) as error:
        run(review.slug, "--query", TOPIC)
    job = PubmedJob.objects.get()
    assert "did not answer properly after 4 tries (HTTP 503)" in str(error.value)
    assert f"import_pubmed {review.slug} --resume {job.pk}" in str(error.value)
    assert not Record.objects.exists()

    out, _ = run(review.slug, "--resume", str(job.pk))
    assert f"{TOPIC_ARTICLES} new records" in out
    assert Record.objects.count() == TOPIC_ARTICLES


def test_rerun_runs_a_search_again_by_its_number(review, pubmed):
    run(review.slug, "--query", TOPIC)
    search = Search.objects.get()
    out, _ = run(review.slug, "--rerun", str(search.pk))
    assert f"Search {search.pk} of PubMed, run 2" in out
    with pytest.raises(CommandError, match=f"No search 999 in the review '{review.slug}'"):
        run(review.slug, "--rerun", "999")


def test_cancel_stops_a_queued_job(review, owner, pubmed):
    from screening.identification.pubmed_jobs import pubmed_job_create

    job = pubmed_job_create(review=review, user=owner, query=TOPIC, enqueue=False)
    out, _ = run(review.slug, "--cancel", str(job.pk))
    assert out.strip() == f"Job {job.pk} is cancelled; nothing of it reached the review."
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    with pytest.raises(CommandError, match="is cancelled: nothing to resume"):
        run(review.slug, "--resume", str(job.pk))


def test_jobs_of_other_reviews_are_not_found(review, other_review, owner, pubmed):
    from screening.identification.pubmed_jobs import pubmed_job_create

    job = pubmed_job_create(review=other_review, user=owner, query=TOPIC, enqueue=False)
    with pytest.raises(CommandError, match=f"No PubMed job {job.pk} in the review"):
        run(review.slug, "--cancel", str(job.pk))


def test_an_unknown_review_is_a_clear_error(pubmed):
    with pytest.raises(CommandError, match="No review 'nope'"):
        run("nope", "--query", TOPIC)
