"""PubMed searches in a review, run against the fake E-utilities server: provenance, re-runs,
PMID lists, failures, cancelling, and jobs whose runner dies at each step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from screening.constants import AuditAction, JobStatus, PubmedPhase, SearchMethod, SourceKind
from screening.identification import pubmed_run
from screening.identification.imports import ImportRefused, references_import, source_get_or_create
from screening.identification.pubmed_jobs import (
    pubmed_job_cancel,
    pubmed_job_create,
    pubmed_job_resume,
    pubmed_jobs_sweep,
    pubmed_pmids_preview,
    pubmed_query_preview,
    pubmed_reruns_due,
    pubmed_search_rerun,
    search_schedule_set,
)
from screening.identification.pubmed_run import pubmed_job_run, staging_dir
from screening.identification.selectors import review_counts
from screening.models import AuditEvent, PubmedJob, Record, Search, SearchRun
from tests.conftest import TOPIC, TOPIC_ARTICLES
from tests.fake_eutils import serve

pytestmark = pytest.mark.django_db


class RunnerDied(BaseException):
    """What a killed worker looks like from inside: the run stops, no handler runs."""


def run_query(review, user, query=TOPIC, **kwargs) -> PubmedJob:
    job = pubmed_job_create(review=review, user=user, query=query, enqueue=False, **kwargs)
    return pubmed_job_run(job_id=job.pk)


def run_pmids(review, user, pmids) -> PubmedJob:
    job = pubmed_job_create(review=review, user=user, pmids=pmids, enqueue=False)
    return pubmed_job_run(job_id=job.pk)


def search_pmids(search) -> list[str]:
    return list(
        Record.objects.filter(search=search).order_by("position").values_list("pmid", flat=True)
    )


def efetched(server) -> list[str]:
    return [pmid for r in server.requests if r.endpoint == "efetch" for pmid in r.ids]


def remove_from_pubmed(store, pmids) -> None:
    for pmid in pmids:
        del store.articles[pmid]
    store._ordered = None


# --- a first run -----------------------------------------------------------------------------


def test_a_query_becomes_a_search_with_its_query_translation_count_and_pmids(
    review, owner, pubmed, eutils_store, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = run_query(review, owner, query=f"  {TOPIC}\n")

    assert job.status == JobStatus.DONE, job.error
    search = job.search
    expected = eutils_store.search(TOPIC)
    assert (search.method, search.query, search.source.name) == (
        SearchMethod.PUBMED_QUERY,
        TOPIC,
        "PubMed",
    )
    assert search.source.kind == SourceKind.DATABASE
    assert search.query_translation == f'"{TOPIC}"[All Fields]'
    assert search.result_count == TOPIC_ARTICLES
    assert search_pmids(search) == expected  # in PubMed's order, one record each
    assert (search.entries, search.records_count, search.references_created) == (30, 30, 30)
    run = job.run
    assert (run.number, run.pmids, run.added, run.dropped) == (1, expected, expected, [])
    assert run.run_by == owner
    assert Record.objects.filter(search=search, run=run).count() == 30
    event = AuditEvent.objects.get(review=review, action=AuditAction.PUBMED_RUN)
    assert event.after["records"] == 30 and event.after["run"] == 1
    # Fetched in batches of PUBMED_BATCH_SIZE (20), each PMID once, by POST.
    fetches = [r for r in pubmed.requests if r.endpoint == "efetch"]
    assert [len(r.ids) for r in fetches] == [20, 10]
    assert {r.method for r in fetches} == {"POST"}
    assert job.stats["requests"] == 3
    assert all(job.stats[f"seconds_{phase}"] > 0 for phase in ("search", "fetch", "import"))
    assert not staging_dir(job.pk).exists()


def test_the_references_carry_what_pubmed_said_of_them(review, owner, pubmed):
    job = run_pmids(review, owner, ["9997"])
    record = Record.objects.get(search=job.search)
    reference = record.reference
    assert reference.pmid == "9997" and record.pmid == "9997"
    assert reference.title.startswith("Magnetic studies of Chromatium flavocytochrome C552")
    assert reference.doi == "10.1016/0005-2795(76)90109-4"
    assert reference.year == 1976
    assert reference.source_format == "pubmed-xml"


def test_a_large_query_is_split_by_date_and_fetched_whole(review, owner, settings, eutils_store):
    settings.NCBI_API_KEY = "k"
    settings.PUBMED_ESEARCH_MAX_IDS = 12
    with serve(eutils_store, max_ids=12) as server:
        settings.PUBMED_EUTILS_URL = server.url
        job = run_query(review, owner)
    assert job.status == JobStatus.DONE, job.error
    assert sorted(search_pmids(job.search)) == sorted(eutils_store.search(TOPIC))
    assert any("fetched in" in warning for warning in job.warnings)


# --- re-runs ---------------------------------------------------------------------------------


def test_running_the_same_query_again_adds_only_new_records_and_marks_those_that_dropped_out(
    review, owner, pubmed, eutils_store
):
    first = run_query(review, owner)
    before = set(eutils_store.search(TOPIC))
    gone = eutils_store.search(TOPIC)[:2]
    remove_from_pubmed(eutils_store, gone)
    new = eutils_store.add_synthetic(3, topic=TOPIC, first_pmid=62_000_000)
    pubmed.reset_log()

    second = run_query(review, owner, query=TOPIC.upper().lower() + "   ")

    assert second.status == JobStatus.DONE, second.error
    assert second.search_id == first.search_id  # a re-run, not a new search
    assert Search.objects.filter(review=review).count() == 1
    run = second.run
    assert run.number == 2
    assert sorted(run.added) == sorted(new)
    assert sorted(run.dropped) == sorted(gone)
    assert run.records_count == 3
    assert efetched(pubmed) == [p for p in eutils_store.search(TOPIC) if p not in before]
    search = Search.objects.get(pk=first.search_id)
    assert search.records_count == TOPIC_ARTICLES + 3
    # Nothing is deleted: the records that dropped out stay, marked with the run.
    dropped = Record.objects.filter(search=search, dropped_in=run)
    assert sorted(dropped.values_list("pmid", flat=True)) == sorted(gone)
    assert review_counts(review)["records"] == TOPIC_ARTICLES + 3


def test_a_record_that_comes_back_is_unmarked_without_a_second_record(
    review, owner, pubmed, eutils_store
):
    run_query(review, owner)
    gone = eutils_store.search(TOPIC)[0]
    article = eutils_store[gone]
    remove_from_pubmed(eutils_store, [gone])
    second = run_query(review, owner)
    eutils_store._add(article)

    third = run_query(review, owner)

    assert third.run.returned_again == [gone]
    assert third.run.records_count == 0
    record = Record.objects.get(search=third.search, pmid=gone)
    assert record.dropped_in is None
    assert record.run == second.search.runs.get(number=1)


def test_a_rerun_through_the_search_is_the_same_as_typing_the_query(review, owner, pubmed):
    first = run_query(review, owner)
    job = pubmed_search_rerun(search=first.search, user=owner, enqueue=False)
    assert job.search_id == first.search_id and job.query == TOPIC


def test_only_a_query_can_be_run_again(review, owner, pubmed):
    job = run_pmids(review, owner, ["9997"])
    with pytest.raises(ImportRefused, match="Only a PubMed query can be run again"):
        pubmed_search_rerun(search=job.search, user=owner)


def test_a_query_whose_run_is_going_gives_that_job(review, owner, pubmed):
    first = pubmed_job_create(review=review, user=owner, query=TOPIC, enqueue=False)
    again = pubmed_job_create(review=review, user=owner, query=TOPIC, enqueue=False)
    assert again.pk == first.pk


def test_the_same_submission_twice_makes_one_job(review, owner, pubmed):
    one = pubmed_job_create(review=review, user=owner, pmids=["9997"], submission_token="t-1")
    two = pubmed_job_create(review=review, user=owner, pmids=["9997"], submission_token="t-1")
    assert one.pk == two.pk
    assert PubmedJob.objects.count() == 1


# --- PMID lists ------------------------------------------------------------------------------


def test_a_pmid_list_fetches_those_records_and_lists_the_unknown_ones(review, owner, pubmed):
    job = run_pmids(review, owner, ["12091962", "9997", "999999991", "11748933"])

    assert job.status == JobStatus.DONE, job.error
    assert job.search.method == SearchMethod.PUBMED_PMIDS
    assert search_pmids(job.search) == ["12091962", "9997", "11748933"]
    assert job.run.unknown == ["999999991"]
    assert job.run.result_count == 4


def test_a_pmid_list_pubmed_knows_none_of_fails_and_imports_nothing(review, owner, pubmed):
    job = run_pmids(review, owner, ["999999991", "999999992"])
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("PubMed has no record for any of the 2 PMIDs of the list")
    assert not Search.objects.exists() and not Record.objects.exists()


def test_a_pmid_the_review_holds_becomes_a_duplicate_record(review, owner, pubmed, data_path):
    source = source_get_or_create(review=review, name="Embase", kind="database", user=owner)
    references_import(
        review=review,
        source=source,
        path=data_path / "biopython/Entrez/pubmed1.xml",
        file_name="pubmed1.xml",
        user=owner,
    )
    job = run_pmids(review, owner, ["12091962", "11748933"])
    records = {r.pmid: r for r in Record.objects.filter(search=job.search)}
    assert records["12091962"].duplicate_rule == "pmid"
    assert records["11748933"].duplicate_rule == ""
    assert (job.run.references_created, job.run.duplicates) == (1, 1)


def test_the_pmid_list_preview_says_what_the_review_holds(review, owner, pubmed):
    run_pmids(review, owner, ["9997"])
    preview = pubmed_pmids_preview(review=review, text="9997\n12091962, x12")
    assert (preview.count, preview.already_in_review, preview.invalid) == (2, 1, ["x12"])


def test_a_list_without_pmids_is_refused_with_a_sentence(review):
    with pytest.raises(ImportRefused, match="No PMID found in the list"):
        pubmed_pmids_preview(review=review, text="doi:10.1/abc")


# --- previews --------------------------------------------------------------------------------


def test_the_query_preview_counts_and_notes_a_rerun(review, owner, pubmed):
    preview = pubmed_query_preview(review=review, query=TOPIC)
    assert (preview.count, preview.rerun_of) == (TOPIC_ARTICLES, None)
    job = run_query(review, owner)
    preview = pubmed_query_preview(review=review, query=f" {TOPIC} ")
    assert (preview.rerun_of, preview.rerun_last_count) == (job.search_id, TOPIC_ARTICLES)


# --- failures, cancelling, dying and resuming ---------------------------------------------------


def test_pubmed_down_fails_the_job_with_a_sentence_and_resuming_finishes_it(review, owner, pubmed):
    pubmed.fail_next("503", times=4, endpoint="efetch")  # every try of the first batch
    job = run_query(review, owner)

    assert job.status == JobStatus.FAILED
    assert "did not answer properly after 4 tries (HTTP 503)" in job.error
    assert not Search.objects.exists() and not Record.objects.exists()

    pubmed_job_resume(job=job, user=owner, enqueue=False)
    job = pubmed_job_run(job_id=job.pk)
    assert job.status == JobStatus.DONE
    assert Record.objects.count() == TOPIC_ARTICLES
    assert job.attempts == 2


def test_a_runner_killed_mid_fetch_is_resumed_from_its_last_batch_without_duplicates(
    review, owner, pubmed, settings
):
    job = pubmed_job_create(review=review, user=owner, query=TOPIC, enqueue=False)

    def die_after_first_batch(job):
        if job.phase == PubmedPhase.FETCH and job.fetched == 20:
            raise RunnerDied

    with pytest.raises(RunnerDied):
        pubmed_job_run(job_id=job.pk, progress=die_after_first_batch)
    job.refresh_from_db()
    assert (job.status, job.phase, job.fetched) == (JobStatus.RUNNING, PubmedPhase.FETCH, 20)
    first_batch = efetched(pubmed)

    with pytest.raises(ImportRefused, match="its worker was heard from"):
        pubmed_job_resume(job=job, user=owner, enqueue=False)  # it looks alive still
    settings.PUBMED_JOB_STALE_SECONDS = 0
    pubmed_job_resume(job=job, user=owner, enqueue=False)
    job = pubmed_job_run(job_id=job.pk)

    assert job.status == JobStatus.DONE, job.error
    fetched = efetched(pubmed)
    assert fetched[:20] == first_batch and len(fetched) == TOPIC_ARTICLES  # no batch twice
    assert Record.objects.filter(search=job.search).count() == TOPIC_ARTICLES
    assert Record.objects.values("pmid").distinct().count() == TOPIC_ARTICLES


def test_a_runner_killed_during_the_import_leaves_nothing_and_the_next_imports_once(
    review, owner, pubmed, settings, monkeypatch
):
    real_propose = pubmed_run.duplicate_candidates_propose

    def die(**kwargs):
        raise RunnerDied

    monkeypatch.setattr(pubmed_run, "duplicate_candidates_propose", die)
    job = pubmed_job_create(review=review, user=owner, query=TOPIC, enqueue=False)
    with pytest.raises(RunnerDied):
        pubmed_job_run(job_id=job.pk)
    assert not Search.objects.exists() and not Record.objects.exists()
    assert not SearchRun.objects.exists()

    monkeypatch.setattr(pubmed_run, "duplicate_candidates_propose", real_propose)
    settings.PUBMED_JOB_STALE_SECONDS = 0
    assert pubmed_jobs_sweep() == [job.pk]
    job = pubmed_job_run(job_id=job.pk)
    assert job.status == JobStatus.DONE
    assert Record.objects.count() == TOPIC_ARTICLES
    assert len(efetched(pubmed)) == TOPIC_ARTICLES  # the staged batches were not fetched again


def test_a_runner_taken_for_dead_that_wakes_up_cannot_write(review, owner, pubmed):
    job = pubmed_job_create(review=review, user=owner, query=TOPIC, enqueue=False)
    assert pubmed_run._claim(job.pk, "runner-a") is not None
    pubmed_job_resume(job=job, user=owner, force=True, enqueue=False)

    with pytest.raises(pubmed_run._LeaseLost):
        pubmed_run._beat(job.pk, "runner-a")
    assert pubmed_run._claim(job.pk, "runner-b") is not None
    assert pubmed_job_run(job_id=job.pk).status == JobStatus.RUNNING  # b holds it: no second run


def test_a_second_delivery_of_a_finished_job_does_nothing(review, owner, pubmed):
    job = run_query(review, owner)
    requests = len(pubmed.requests)
    again = pubmed_job_run(job_id=job.pk)
    assert again.status == JobStatus.DONE and len(pubmed.requests) == requests
    assert Record.objects.count() == TOPIC_ARTICLES


def test_cancelling_a_running_job_stops_it_and_nothing_reaches_the_review(
    review, owner, pubmed, django_capture_on_commit_callbacks
):
    job = pubmed_job_create(review=review, user=owner, query=TOPIC, enqueue=False)

    def cancel_midway(current):
        if current.phase == PubmedPhase.FETCH and current.fetched == 20:
            pubmed_job_cancel(job=current, user=owner)

    with django_capture_on_commit_callbacks(execute=True):
        job = pubmed_job_run(job_id=job.pk, progress=cancel_midway)

    assert job.status == JobStatus.CANCELLED
    assert not Search.objects.exists() and not Record.objects.exists()
    assert len(efetched(pubmed)) == 20  # it stopped before its next request
    assert not staging_dir(job.pk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.PUBMED_CANCEL).count() == 1


def test_cancelling_a_queued_job_is_at_once(review, owner, pubmed):
    job = pubmed_job_create(review=review, user=owner, query=TOPIC, enqueue=False)
    job = pubmed_job_cancel(job=job, user=owner)
    assert job.status == JobStatus.CANCELLED
    assert pubmed_job_run(job_id=job.pk).status == JobStatus.CANCELLED
    assert pubmed.requests == []


def test_the_sweeper_queues_jobs_whose_runner_is_gone_and_leaves_live_ones(
    review, owner, pubmed, settings, django_capture_on_commit_callbacks
):
    live = pubmed_job_create(review=review, user=owner, query=TOPIC, enqueue=False)
    pubmed_run._claim(live.pk, "alive")
    lost = pubmed_job_create(review=review, user=owner, pmids=["9997"], enqueue=False)
    pubmed_run._claim(lost.pk, "dead")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    PubmedJob.objects.filter(pk=lost.pk).update(heartbeat_at=an_hour_ago, created_at=an_hour_ago)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        swept = pubmed_jobs_sweep()

    assert swept == [lost.pk]
    assert callbacks  # enqueued on commit (and run in-process here, as without a broker)
    lost.refresh_from_db()
    assert lost.status == JobStatus.DONE
    live.refresh_from_db()
    assert live.status == JobStatus.RUNNING and live.lease == "alive"


# --- scheduled re-runs -----------------------------------------------------------------------


def test_searches_are_rerun_when_their_interval_has_passed(review, owner, pubmed):
    job = run_query(review, owner)
    search = search_schedule_set(search=job.search, every_days=7, user=owner)
    assert pubmed_reruns_due() == []  # run just now

    SearchRun.objects.filter(search=search).update(run_at=timezone.now() - timedelta(days=8))
    (due,) = pubmed_reruns_due()
    assert (due.search_id, due.scheduled, due.created_by) == (search.pk, True, None)
    assert pubmed_reruns_due() == []  # its job is queued: not twice
    assert pubmed_job_run(job_id=due.pk).run.scheduled is True


def test_a_schedule_is_audited_and_bounded(review, owner, pubmed):
    job = run_query(review, owner)
    with pytest.raises(ImportRefused, match="every 1 to 365 days"):
        search_schedule_set(search=job.search, every_days=0, user=owner)
    search_schedule_set(search=job.search, every_days=30, user=owner)
    event = AuditEvent.objects.get(action=AuditAction.SEARCH_SCHEDULE)
    assert (event.before, event.after) == ({"rerun_every_days": None}, {"rerun_every_days": 30})


def test_a_pubmed_search_cannot_go_to_a_website_source(review, owner, pubmed):
    source_get_or_create(review=review, name="Akeso", kind="website", user=owner)
    with pytest.raises(ImportRefused, match="PubMed searches go to a database source"):
        pubmed_job_create(review=review, user=owner, query=TOPIC, source_name="akeso")
