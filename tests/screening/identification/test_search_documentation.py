"""A search's documentation as PRISMA-S asks (platform, date searched, searched by, strategy,
limits, notes): given on upload and kept on the job until the import lands, given to
import_references, filled by a PubMed search itself, and edited on the search's page with an
audit event before and after."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from screening.constants import AuditAction, JobStatus, Role, SearchMethod
from screening.identification.import_jobs import import_job_confirm, import_job_run
from screening.identification.pubmed_jobs import pubmed_search_rerun
from screening.identification.pubmed_run import pubmed_job_run
from screening.identification.search_documentation import (
    pubmed_documentation,
    query_limits,
    search_document_update,
)
from screening.models import AuditEvent, ImportJob, Membership, Search
from tests.conftest import TOPIC, _logged_in_client
from tests.factories import UserFactory
from tests.screening.identification.test_imports import RIS_TWO
from tests.screening.identification.test_pubmed import run_pmids, run_query

pytestmark = pytest.mark.django_db

STRATEGY = '1. exp Lung Neoplasms/\n2. ivonescimab.mp.\n3. 1 and 2\n4. limit 3 to yr="2020-2025"'
DETAILS = {
    "search-platform": "Ovid MEDLINE(R) ALL",
    "search-searched_on": "2025-03-14",
    "search-searched_by": "Hilde Librarian",
    "search-strategy": STRATEGY,
    "search-limits": "2020 to 2025 (line 4)",
    "search-notes": "Peer reviewed with PRESS by a second librarian.",
}


def _upload(client, review, **extra):
    data = {
        "file": SimpleUploadedFile("medline.ris", RIS_TWO.encode()),
        "source_name": "MEDLINE",
        "source_kind": "database",
        "file_format": "auto",
        **extra,
    }
    return client.post(reverse("screening:import-upload", args=[review.slug]), data)


# --- the upload ------------------------------------------------------------------------------


def test_the_upload_keeps_the_documentation_on_its_job_and_the_import_gives_it_the_search(
    review, owner, client_owner
):
    page = client_owner.get(reverse("screening:import-upload", args=[review.slug]))
    assert b'name="search-strategy"' in page.content and b"search-documentation" in page.content

    response = _upload(client_owner, review, **DETAILS)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert job.search_details == {
        "platform": "Ovid MEDLINE(R) ALL",
        "searched_on": "2025-03-14",
        "searched_by": "Hilde Librarian",
        "strategy": STRATEGY,
        "limits": "2020 to 2025 (line 4)",
        "notes": "Peer reviewed with PRESS by a second librarian.",
    }
    page = client_owner.get(job.get_absolute_url())
    assert b"as given with the upload" in page.content and b"exp Lung Neoplasms/" in page.content
    import_job_confirm(job=job, user=owner)
    assert import_job_run(job_id=job.pk).status == JobStatus.DONE
    search = Search.objects.get()
    assert (search.platform, search.searched_on) == (
        "Ovid MEDLINE(R) ALL",
        datetime.date(2025, 3, 14),
    )
    assert search.strategy == STRATEGY  # exactly as given, every line
    assert (search.searched_by, search.limits) == ("Hilde Librarian", "2020 to 2025 (line 4)")
    event = AuditEvent.objects.get(review=review, action=AuditAction.IMPORT)
    assert event.after["documentation"]["strategy"] == STRATEGY


def test_the_documentation_is_optional_and_a_bad_date_is_refused_on_the_form(review, client_owner):
    assert _upload(client_owner, review).status_code == 302
    assert ImportJob.objects.get().search_details == {}

    response = _upload(client_owner, review, **{"search-searched_on": "14/03/2025x"})
    assert response.status_code == 200 and ImportJob.objects.count() == 1
    assert b"Enter a valid date" in response.content


# --- the command -----------------------------------------------------------------------------


def test_import_references_takes_the_documentation(review, tmp_path):
    path = tmp_path / "embase.ris"
    path.write_text(RIS_TWO)
    strategy = tmp_path / "strategy.txt"
    strategy.write_text("#1 'ivonescimab'/exp\n#2 #1 AND [2020-2025]/py\n")
    call_command(
        "import_references", review.slug, str(path), "--source", "Embase",
        "--platform", "Embase.com", "--searched-on", "2025-03-15", "--searched-by", "HL",
        "--strategy-file", str(strategy), "--limits", "None", "--notes", "demo",
        stdout=StringIO(),
    )  # fmt: skip
    search = Search.objects.get()
    assert (search.platform, search.searched_on, search.searched_by, search.limits) == (
        "Embase.com",
        datetime.date(2025, 3, 15),
        "HL",
        "None",
    )
    assert search.strategy == "#1 'ivonescimab'/exp\n#2 #1 AND [2020-2025]/py"


def test_import_references_refuses_a_date_it_cannot_read_before_importing(review, tmp_path):
    path = tmp_path / "embase.ris"
    path.write_text(RIS_TWO)
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command(
            "import_references", review.slug, str(path), "--searched-on", "March 2025",
            stdout=StringIO(),
        )  # fmt: skip
    assert not Search.objects.exists()


# --- PubMed fills its own ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "limits"),
    [
        ("ivonescimab AND 2020:2024[dp]", "Publication date: 2020 to 2024 (from the query)"),
        (
            'lung AND ("2020/01/01"[Date - Publication] : "3000"[Date - Publication])',
            "Publication date: 2020/01/01 to present (from the query)",
        ),
        ("cancer AND 2024[pdat] AND english[la]", "Publication date: 2024; Language: English"
         " (from the query)"),
        ('"last 5 years"[dp] AND ivonescimab', "Publication date: last 5 years (from the query)"),
        ("2019/03/01:2020/12[edat]", "Entry date: 2019/03/01 to 2020/12 (from the query)"),
        ("ivonescimab[tiab] AND 2024[au]", ""),
        ("ivonescimab", ""),
    ],
)  # fmt: skip
def test_the_limits_a_pubmed_query_sets_are_read_from_it(query, limits):
    assert query_limits(query) == limits


def test_a_pubmed_query_documents_itself(review, owner, pubmed):
    owner.first_name, owner.last_name = "Olivia", "Owner"
    owner.save()
    job = run_query(review, owner)
    assert job.status == JobStatus.DONE, job.error
    search = job.search
    assert (search.platform, search.strategy, search.searched_by) == (
        "PubMed",
        TOPIC,
        "Olivia Owner",
    )
    assert search.searched_on == timezone.localdate(job.run.run_at)
    assert search.limits == ""  # the query sets none
    assert search.query_translation  # PubMed's translation is kept beside it
    event = AuditEvent.objects.get(review=review, action=AuditAction.PUBMED_RUN)
    assert event.after["documentation"]["platform"] == "PubMed"


def test_a_rerun_moves_the_date_searched_to_its_own(review, owner, pubmed):
    search = run_query(review, owner).search
    Search.objects.filter(pk=search.pk).update(searched_on=datetime.date(2020, 1, 1))
    job = pubmed_search_rerun(search=search, user=owner, enqueue=False)
    job = pubmed_job_run(job_id=job.pk)
    search.refresh_from_db()
    assert search.searched_on == timezone.localdate(job.run.run_at)
    assert search.strategy == TOPIC  # the query, unchanged


def test_a_pmid_list_says_it_is_no_search(review, owner, pubmed, eutils_store):
    job = run_pmids(review, owner, eutils_store.search(TOPIC)[:3])
    search = job.search
    assert (search.method, search.platform, search.strategy) == (
        SearchMethod.PUBMED_PMIDS,
        "PubMed",
        "",
    )
    assert "not a search" in search.notes


def test_pubmed_documentation_of_a_query_with_limits(owner):
    fields = pubmed_documentation(
        method=SearchMethod.PUBMED_QUERY, query="x AND 2021:2023[dp]", pmids=0, user=owner,
        searched_on=datetime.date(2025, 1, 2),
    )  # fmt: skip
    assert fields == {
        "platform": "PubMed",
        "searched_on": datetime.date(2025, 1, 2),
        "searched_by": owner.get_full_name(),
        "strategy": "x AND 2021:2023[dp]",
        "limits": "Publication date: 2021 to 2023 (from the query)",
    }


# --- editing it on the search's page ------------------------------------------------------------


def test_an_edit_is_audited_before_and_after_and_no_change_writes_nothing(
    review, owner, import_text
):
    search = import_text(RIS_TWO)
    changed = search_document_update(
        search=search, user=owner, platform="Embase.com", searched_on=datetime.date(2025, 2, 1)
    )
    assert sorted(changed) == ["platform", "searched_on"]
    event = AuditEvent.objects.get(review=review, action=AuditAction.SEARCH_DOCUMENT)
    assert event.before == {"platform": "", "searched_on": ""}
    assert event.after == {"platform": "Embase.com", "searched_on": "2025-02-01"}
    assert search_document_update(search=search, user=owner, platform="Embase.com") == []
    assert AuditEvent.objects.filter(action=AuditAction.SEARCH_DOCUMENT).count() == 1
    search_document_update(search=search, user=owner, platform="", searched_on=None)
    search.refresh_from_db()
    assert (search.platform, search.searched_on) == ("", None)


def test_an_editor_edits_it_on_the_page_and_a_viewer_cannot(
    review, reviewer, client_reviewer, import_text
):
    search = import_text(RIS_TWO)
    page = client_reviewer.get(search.get_absolute_url())
    assert b"How it was searched" in page.content and b"search-document-form" in page.content
    url = reverse("screening:search-document", args=[review.slug, search.pk])
    response = client_reviewer.post(url, DETAILS)
    assert response.status_code == 302
    search.refresh_from_db()
    assert (search.platform, search.strategy) == ("Ovid MEDLINE(R) ALL", STRATEGY)
    event = AuditEvent.objects.get(action=AuditAction.SEARCH_DOCUMENT)
    assert event.actor == reviewer and event.after["searched_by"] == "Hilde Librarian"
    page = client_reviewer.get(search.get_absolute_url())
    assert b"exp Lung Neoplasms/" in page.content and b"14 Mar 2025" in page.content

    viewer = UserFactory(username="vera-viewer")
    Membership.objects.create(review=review, user=viewer, role=Role.VIEWER)
    client = _logged_in_client(viewer)
    assert b"search-document-form" not in client.get(search.get_absolute_url()).content
    assert client.post(url, {"search-platform": "no"}).status_code == 403
    search.refresh_from_db()
    assert search.platform == "Ovid MEDLINE(R) ALL"
