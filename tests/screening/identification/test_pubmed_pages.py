"""The PubMed pages: count a query, run it once however often it is submitted, follow the job,
see every search with its runs, re-run, schedule, cancel and resume; who may do which."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from screening.constants import JobStatus, Role
from screening.identification.pubmed_jobs import pubmed_job_create
from screening.identification.pubmed_run import pubmed_job_run
from screening.models import Membership, PubmedJob, Search
from tests.conftest import TOPIC, TOPIC_ARTICLES
from tests.factories import UserFactory
from tests.screening.identification.test_pubmed import remove_from_pubmed, run_query

pytestmark = pytest.mark.django_db


def url(name, review, *args):
    return reverse(f"screening:{name}", args=[review.slug, *args])


@pytest.fixture
def client_viewer(review, client):
    viewer = UserFactory(username="vera-viewer")
    Membership.objects.create(review=review, user=viewer, role=Role.VIEWER)
    client.force_login(viewer)
    return client


@pytest.fixture
def searched(review, owner, pubmed, eutils_store):
    """The topic query run twice, two records having dropped out between the runs."""
    first = run_query(review, owner)
    remove_from_pubmed(eutils_store, eutils_store.search(TOPIC)[:2])
    eutils_store.add_synthetic(3, topic=TOPIC, first_pmid=62_000_000)
    second = run_query(review, owner)
    assert first.search_id == second.search_id
    return second


def test_the_pubmed_pages_are_the_members_only(
    review, searched, client_outsider, client_viewer, client_reviewer
):
    job, search = searched, searched.search
    pages = [
        url("pubmed-job", review, job.pk),
        url("search-list", review),
        url("search-detail", review, search.pk),
    ]
    for page in pages:
        assert client_outsider.get(page).status_code == 404
        assert client_viewer.get(page).status_code == 200
    assert client_outsider.get(url("pubmed-search", review)).status_code == 404
    assert client_viewer.get(url("pubmed-search", review)).status_code == 403
    for action in ("cancel", "resume"):
        assert (
            client_viewer.post(url("pubmed-job-action", review, job.pk, action)).status_code == 403
        )
    assert client_viewer.post(url("search-rerun", review, search.pk)).status_code == 403
    assert client_reviewer.post(url("search-schedule", review, search.pk)).status_code == 403
    assert client_reviewer.get(url("pubmed-search", review)).status_code == 200


def test_a_query_is_counted_before_anything_is_run(client_reviewer, review, pubmed):
    page = client_reviewer.post(
        url("pubmed-search", review),
        {"action": "preview-query", "q-query": TOPIC, "q-source_name": "PubMed"},
    ).content.decode()

    assert f"PubMed finds {TOPIC_ARTICLES} records" in page
    assert "&quot;ivonescimab&quot;[All Fields]" in page
    assert 'value="run-query"' in page
    assert not PubmedJob.objects.exists()
    assert [r.params["retmax"] for r in pubmed.requests] == ["0"]  # a count, nothing fetched


def test_a_run_submitted_twice_makes_one_job_and_its_page_tells_the_outcome(
    client_reviewer, review, pubmed, django_capture_on_commit_callbacks
):
    form = {"action": "run-query", "q-query": TOPIC, "q-source_name": "PubMed", "token": "tok-1"}
    with django_capture_on_commit_callbacks(execute=True):  # no broker: runs in-process
        first = client_reviewer.post(url("pubmed-search", review), form)
        second = client_reviewer.post(url("pubmed-search", review), form)

    job = PubmedJob.objects.get()
    assert first["Location"] == second["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    page = client_reviewer.get(job.get_absolute_url()).content.decode()
    assert f"Done: PubMed returned {TOPIC_ARTICLES} records" in page
    assert 'hx-trigger="every 1s"' not in page  # finished: no more polling


def test_a_running_job_page_polls_and_htmx_gets_only_the_status(client_reviewer, review, pubmed):
    job = pubmed_job_create(review=review, user=None, query=TOPIC, enqueue=False)

    page = client_reviewer.get(job.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 1s"' in page and "Waiting for a worker" in page

    partial = client_reviewer.get(job.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<div id="job-status"')


def test_an_error_from_pubmed_is_shown_on_the_form(client_reviewer, review, pubmed):
    pubmed.fail_next("error-doc", endpoint="esearch", message="Invalid query syntax")
    page = client_reviewer.post(
        url("pubmed-search", review),
        {"action": "preview-query", "q-query": "((", "q-source_name": "PubMed"},
    ).content.decode()
    assert "PubMed&#x27;s E-utilities answered with an error: Invalid query syntax" in page


def test_a_pmid_file_is_read_then_fetched(
    client_reviewer, review, pubmed, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("pmids.txt", b"12091962\n9997\nnot-a-pmid\n")
    page = client_reviewer.post(
        url("pubmed-search", review),
        {"action": "preview-pmids", "p-file": upload, "p-source_name": "PubMed"},
    ).content.decode()
    assert "2 PMIDs" in page and "not-a-pmid" in page
    assert 'name="p-pmids" hidden>12091962 9997</textarea>' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client_reviewer.post(
            url("pubmed-search", review),
            {"action": "run-pmids", "p-pmids": "12091962 9997", "p-source_name": "PubMed"},
        )
    job = PubmedJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.run.records_count == 2


def test_the_searches_page_shows_each_run_with_what_it_added_and_dropped(
    client_owner, review, searched, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        page = client_owner.get(url("search-list", review)).content.decode()
    search = searched.search
    assert f"<code>{TOPIC}</code>" in page
    assert "&quot;ivonescimab&quot;[All Fields]" in page
    runs = search.runs.order_by("number")
    for run in runs:
        assert f"?run={run.pk}" in page
    assert f'?dropped_in={runs[1].pk}">2</a>' in page
    assert page.count('<td class="num">3') >= 1  # the second run's new records


def test_the_reference_list_filters_by_the_run_that_added_or_dropped_records(
    client_owner, review, searched
):
    second = searched.run
    dropped = client_owner.get(url("reference-list", review), {"dropped_in": second.pk})
    added = client_owner.get(url("reference-list", review), {"run": second.pk})
    assert dropped.context["page"].paginator.count == 2
    assert added.context["page"].paginator.count == 3


def test_the_search_page_reruns_and_schedules(
    client_owner, review, searched, django_capture_on_commit_callbacks
):
    search = searched.search
    page = client_owner.get(url("search-detail", review, search.pk)).content.decode()
    assert 'id="rerun-search"' in page and "Re-run every (days)" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client_owner.post(url("search-rerun", review, search.pk), {"token": "r-1"})
    job = PubmedJob.objects.get(submission_token="r-1")
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.run.number == 3

    client_owner.post(url("search-schedule", review, search.pk), {"every_days": "14"})
    assert Search.objects.get(pk=search.pk).rerun_every_days == 14


def test_a_job_is_cancelled_from_its_page(client_reviewer, review, pubmed):
    job = pubmed_job_create(review=review, user=None, query=TOPIC, enqueue=False)
    client_reviewer.post(url("pubmed-job-action", review, job.pk, "cancel"))
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert pubmed_job_run(job_id=job.pk).status == JobStatus.CANCELLED


def test_a_failed_job_is_resumed_from_its_page(
    client_reviewer, review, pubmed, django_capture_on_commit_callbacks
):
    pubmed.fail_next("503", times=4, endpoint="esearch")
    job = pubmed_job_create(review=review, user=None, query=TOPIC, enqueue=False)
    job = pubmed_job_run(job_id=job.pk)
    assert job.status == JobStatus.FAILED
    page = client_reviewer.get(job.get_absolute_url()).content.decode()
    assert "Stopped; nothing of this run reached the review." in page and "Resume" in page

    with django_capture_on_commit_callbacks(execute=True):
        client_reviewer.post(url("pubmed-job-action", review, job.pk, "resume"))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE


def test_a_reference_shows_the_run_that_found_it_and_the_one_it_dropped_out_of(
    client_owner, review, searched
):
    dropped = searched.search.records.filter(dropped_in__isnull=False).first()
    page = client_owner.get(url("reference-detail", review, dropped.reference_id)).content.decode()
    assert "run 1" in page and "dropped out in run 2" in page


def test_a_deployment_without_an_ncbi_email_is_warned(settings):
    from django.core.checks import run_checks

    settings.NCBI_EMAIL = ""
    warnings = [m.id for m in run_checks(include_deployment_checks=True)]
    assert "screening.W001" in warnings
    settings.NCBI_EMAIL = "lead@example.org"
    assert "screening.W001" not in [m.id for m in run_checks(include_deployment_checks=True)]
