"""The import preview and the review home's list of imports: a file that would be refused
offers no import, only what is wrong and another upload; an abandoned preview drops off the
home; numbers agree with their nouns."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from screening.constants import JobStatus, SourceKind
from screening.identification.import_jobs import (
    import_job_confirm,
    import_job_create,
    import_job_refusals,
)
from screening.identification.imports import ImportRefused
from screening.identification.selectors import PREVIEW_LIVE_HOURS
from screening.models import ImportJob, Search
from tests.screening.identification.test_imports import RIS_TWO

pytestmark = pytest.mark.django_db

UNREADABLE = "\nTY  - JOUR\nN1  - a note with nothing that identifies a work\nER  -\n"
RIS_ONE = RIS_TWO.split("\n\n")[0] + "\n"


def _upload(review, owner, text: str, *, name="export.ris", source="Embase", **options):
    return import_job_create(
        review=review, upload=SimpleUploadedFile(name, text.encode()), source_name=source,
        source_kind=options.pop("kind", SourceKind.DATABASE), user=owner, **options,
    )  # fmt: skip


def _page(client, job) -> str:
    response = client.get(job.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def _action(review, job, action: str) -> str:
    return reverse("screening:import-job-action", args=[review.slug, job.pk, action])


def _refused(page: str) -> str:
    found = re.search(r'id="import-refused">(.*?)</div>', page, re.S)
    return (
        html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))) if found else ""
    )


def test_a_readable_file_offers_its_import_in_words_that_agree(client_owner, review, owner):
    page = _page(client_owner, _upload(review, owner, RIS_ONE))
    assert re.search(r'id="confirm-import">\s*Import 1 record\s*</button>', page)
    assert not _refused(page) and 'id="upload-another"' not in page
    assert 'id="discard-import"' in page
    page = _page(client_owner, _upload(review, owner, RIS_TWO, source="Scopus"))
    assert re.search(r'id="confirm-import">\s*Import 2 records\s*</button>', page)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unreadable", "1 of the file's 3 entries cannot be read"),
        ("same file", "This same file was imported into Embase"),
        ("other kind", "Embase is a database source in this review, not a register one"),
    ],
)
def test_a_file_that_would_be_refused_offers_no_import(
    client_owner, review, owner, import_text, django_capture_on_commit_callbacks, case, expected
):
    if case == "unreadable":
        job = _upload(review, owner, RIS_TWO + UNREADABLE)
    else:
        import_text(RIS_TWO, name="export.ris", source="Embase")
        if case == "same file":
            job = _upload(review, owner, RIS_TWO)
        else:
            job = _upload(review, owner, RIS_ONE, kind=SourceKind.REGISTER)
    page = _page(client_owner, job)
    assert expected in _refused(page)
    assert 'id="confirm-import"' not in page
    upload = reverse("screening:import-upload", args=[review.slug])
    assert f'href="{upload}"\n                       id="upload-another"' in page
    assert 'id="discard-import"' in page
    # Asked by hand all the same, the import is refused and nothing is queued.
    with pytest.raises(ImportRefused, match=re.escape(expected)):
        import_job_confirm(job=job, user=owner)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        followed = client_owner.post(_action(review, job, "confirm"), follow=True)
    assert not callbacks and expected in html.unescape(followed.content.decode())
    assert ImportJob.objects.get(pk=job.pk).status == JobStatus.PREVIEWED
    assert Search.objects.count() == (0 if case == "unreadable" else 1)


def test_asking_for_what_was_refused_lifts_the_refusal(review, owner, import_text):
    assert (
        import_job_refusals(_upload(review, owner, RIS_TWO + UNREADABLE, skip_unreadable=True))
        == []
    )
    import_text(RIS_TWO, name="export.ris", source="Embase")
    assert import_job_refusals(_upload(review, owner, RIS_TWO, allow_same_file=True)) == []


def test_a_file_that_cannot_be_read_is_refused_on_upload_with_no_import(client_owner, review):
    response = client_owner.post(
        reverse("screening:import-upload", args=[review.slug]),
        {"file": SimpleUploadedFile("search.ris", b"TY  - JOUR\nER  -\n"), "source_name": "Embase",
         "source_kind": "database", "file_format": "auto"},
    )  # fmt: skip
    page = response.content.decode()
    refused = re.search(r'id="upload-refused">(.*?)</p>', page, re.S).group(1)
    assert "nothing was imported" in refused and "Choose a file again below." in refused
    assert not ImportJob.objects.exists()
    assert not re.search(r">\s*Import \d", page) and "Read the file" in page


def _home(client, review) -> str:
    return client.get(reverse("screening:review-home", args=[review.slug])).content.decode()


def _listed(page: str) -> list[str]:
    found = re.search(r'<ul class="jobs" id="import-jobs">(.*?)</ul>', page, re.S)
    return re.findall(r">([\w.-]+\.ris)</a>", found.group(1)) if found else []


def test_the_home_lists_live_imports_and_drops_abandoned_previews(client_owner, review, owner):
    long_ago = timezone.now() - timedelta(hours=PREVIEW_LIVE_HOURS, minutes=1)
    jobs = {
        name: _upload(review, owner, RIS_ONE, name=f"{name}.ris", source=name)
        for name in ("fresh", "abandoned", "queued", "failed", "old-failure", "cancelled", "done")
    }
    ImportJob.objects.filter(pk=jobs["abandoned"].pk).update(created_at=long_ago)
    ImportJob.objects.filter(pk=jobs["queued"].pk).update(
        status=JobStatus.QUEUED, created_at=long_ago
    )
    ImportJob.objects.filter(pk=jobs["failed"].pk).update(
        status=JobStatus.FAILED, finished_at=timezone.now()
    )
    ImportJob.objects.filter(pk=jobs["old-failure"].pk).update(
        status=JobStatus.FAILED, finished_at=long_ago
    )
    ImportJob.objects.filter(pk=jobs["cancelled"].pk).update(status=JobStatus.CANCELLED)
    ImportJob.objects.filter(pk=jobs["done"].pk).update(status=JobStatus.DONE)
    page = _home(client_owner, review)
    assert sorted(_listed(page)) == ["failed.ris", "fresh.ris", "queued.ris"]
    assert f"not confirmed within {PREVIEW_LIVE_HOURS} hours is taken as abandoned" in page
    # The abandoned preview's page still holds it, to import or discard.
    assert 'id="confirm-import"' in _page(client_owner, jobs["abandoned"])
    # Discarding the fresh one takes it off the home at once.
    followed = client_owner.post(_action(review, jobs["fresh"], "cancel"), follow=True)
    assert "The file was discarded; nothing of it was imported." in followed.content.decode()
    assert sorted(_listed(_home(client_owner, review))) == ["failed.ris", "queued.ris"]


def test_numbers_agree_with_their_nouns(client_owner, review, owner, import_text):
    search = import_text(RIS_ONE, name="one.ris", source="Embase")
    job = _upload(review, owner, RIS_ONE, source="Scopus")
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, search=search)
    page = _page(client_owner, job)
    assert "Imported: 1 record, 1 new reference, 0 duplicates." in page
    home = _home(client_owner, review)
    for words in ("record identified", "duplicate records removed", "unique reference<"):
        assert words in home, words
    assert not re.search(
        r"\b1 (records|references|duplicates|entries)\b", re.sub(r"<[^>]+>", " ", page)
    )
