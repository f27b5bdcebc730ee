"""The bulk upload's pages: upload from the retrieval page, check and correct the matches,
confirm or discard; who may do it (owners and reviewers, as for a single upload); and the
reference page's links to its PDF, PubMed and doi.org."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from screening.constants import ItemState, Role, Stage
from screening.models import FullText, Membership, ScreeningItem
from screening.retrieval.bulk_batches import batch_load, batches_of
from tests.factories import UserFactory
from tests.screening.retrieval.conftest import PDF_BY_DOI, PDF_BY_TITLE, PDF_OTHER
from tests.screening.retrieval.pdfs import zip_of

pytestmark = pytest.mark.django_db


def url(name: str, review, *args) -> str:
    return reverse(f"screening:{name}", args=[review.slug, *args])


def papers_zip() -> SimpleUploadedFile:
    data = zip_of({"jama.pdf": PDF_BY_DOI, "ak112.pdf": PDF_BY_TITLE, "melanoma.pdf": PDF_OTHER})
    return SimpleUploadedFile("papers.zip", data, content_type="application/zip")


def said(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request)]


@pytest.fixture
def client_viewer(review):
    viewer = UserFactory(username="vera-viewer")
    Membership.objects.create(review=review, user=viewer, role=Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    return client


@pytest.fixture
def batch(client_owner, review, waiting):
    response = client_owner.post(url("retrieval-bulk-upload", review), {"files": [papers_zip()]})
    (batch,) = batches_of(review.pk)
    assert response.status_code == 302
    assert response["Location"] == url("retrieval-bulk-batch", review, batch.token)
    return batch


def selected(page: str, index: int) -> str:
    """The value selected in file `index`'s select ("" for "Do not attach")."""
    select = re.search(rf'<select name="file-{index}".*?</select>', page, re.S).group(0)
    chosen = re.search(r'<option value="([^"]*)" selected>', select)
    return chosen.group(1) if chosen else ""


def test_the_retrieval_page_offers_the_bulk_upload_to_editors_only(
    client_owner, client_viewer, review, waiting
):
    form = 'action="{}"'.format(url("retrieval-bulk-upload", review))
    assert form in client_owner.get(url("retrieval-list", review)).content.decode()
    assert form not in client_viewer.get(url("retrieval-list", review)).content.decode()


def test_the_batch_page_shows_each_pdf_with_its_match_and_the_unmatched_ones(
    client_owner, review, waiting, batch
):
    page = client_owner.get(url("retrieval-bulk-batch", review, batch.token)).content.decode()
    matched = page[page.index('id="bulk-matched"') : page.index('id="bulk-unmatched"')]
    unmatched = page[page.index('id="bulk-unmatched"') :]
    assert "papers.zip: jama.pdf" in matched and "papers.zip: ak112.pdf" in matched
    assert "DOI 10.1001/jama.2024.10613 in the text" in matched
    assert "PMID 38820549" in matched  # the proposed reference, by its identifiers
    assert "title found on the first page (100% similar)" in matched
    assert "papers.zip: melanoma.pdf" in unmatched and "papers.zip: jama.pdf" not in unmatched
    jama, ak112, melanoma = batch.files
    assert selected(page, jama.index) == str(waiting[0].pk)
    assert selected(page, ak112.index) == str(waiting[2].pk)
    assert selected(page, melanoma.index) == ""
    # Every waiting reference is offered, by title.
    assert page.count(f'<option value="{waiting[1].pk}"') == 3
    # The pending batch is listed on the retrieval page.
    listing = client_owner.get(url("retrieval-list", review)).content.decode()
    assert url("retrieval-bulk-batch", review, batch.token) in listing


def test_confirming_with_a_correction_attaches_them_all(client_owner, review, waiting, batch):
    jama, ak112, melanoma = batch.files
    response = client_owner.post(
        url("retrieval-bulk-batch", review, batch.token),
        {f"file-{jama.index}": waiting[0].pk, f"file-{ak112.index}": "",
         f"file-{melanoma.index}": waiting[1].pk},
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == url("retrieval-list", review) + "?state=retrieved"
    assert said(response) == ["2 PDFs attached as retrieved full texts."]
    assert sorted(FullText.objects.values_list("reference_id", "file_name")) == sorted(
        [(waiting[0].pk, "jama.pdf"), (waiting[1].pk, "melanoma.pdf")]
    )
    assert batch_load(review.pk, batch.token) is None
    assert client_owner.get(url("retrieval-bulk-batch", review, batch.token)).status_code == 404


def test_a_refused_confirmation_shows_why_on_the_page_and_keeps_the_choices(
    client_owner, review, waiting, batch
):
    jama, ak112, _ = batch.files
    response = client_owner.post(
        url("retrieval-bulk-batch", review, batch.token),
        {f"file-{jama.index}": waiting[0].pk, f"file-{ak112.index}": waiting[0].pk},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "are both chosen for" in page
    assert selected(page, ak112.index) == str(waiting[0].pk)
    assert FullText.objects.count() == 0


def test_a_discarded_batch_attaches_nothing(client_owner, review, waiting, batch):
    response = client_owner.post(url("retrieval-bulk-discard", review, batch.token))
    assert response["Location"] == url("retrieval-list", review)
    assert said(response) == ["The batch of 3 PDFs was discarded; none was attached."]
    assert batches_of(review.pk) == [] and FullText.objects.count() == 0


def test_a_pdf_of_the_batch_is_shown_to_editors(client_reviewer, review, waiting, batch):
    file = batch.files[1]
    response = client_reviewer.get(url("retrieval-bulk-file", review, batch.token, file.index))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF_BY_TITLE
    missing = url("retrieval-bulk-file", review, batch.token, 99)
    assert client_reviewer.get(missing).status_code == 404


def test_viewers_and_outsiders_neither_upload_nor_see_a_batch(
    client_viewer, client_outsider, review, waiting, batch
):
    pages = [
        url("retrieval-bulk-batch", review, batch.token),
        url("retrieval-bulk-file", review, batch.token, batch.files[0].index),
    ]
    for page in pages:
        assert client_viewer.get(page).status_code == 403
        assert client_outsider.get(page).status_code == 404
    for client, status in ((client_viewer, 403), (client_outsider, 404)):
        posts = [
            (url("retrieval-bulk-upload", review), {"files": [papers_zip()]}),
            (url("retrieval-bulk-batch", review, batch.token),
             {f"file-{batch.files[0].index}": waiting[0].pk}),
            (url("retrieval-bulk-discard", review, batch.token), {}),
        ]  # fmt: skip
        for target, data in posts:
            assert client.post(target, data).status_code == status
    assert [b.token for b in batches_of(review.pk)] == [batch.token]
    assert FullText.objects.count() == 0


def test_a_batch_of_another_review_is_not_found(client_owner, other_review, review, batch):
    assert client_owner.get(url("retrieval-bulk-batch", other_review, batch.token)).status_code == (
        404
    )
    assert client_owner.get(url("retrieval-bulk-batch", review, "not-a-token")).status_code == 404


def test_an_upload_without_files_or_without_pdfs_says_so(client_owner, review, waiting):
    response = client_owner.post(url("retrieval-bulk-upload", review), {})
    assert said(response) == ["Choose the PDFs (or a zip of them) to upload."]
    response = client_owner.post(
        url("retrieval-bulk-upload", review), {"files": [SimpleUploadedFile("a.txt", b"hi")]}
    )
    assert said(response)[-1] == (  # after the first's, not yet shown: no page was opened
        "No PDF was kept, so there is nothing to match. a.txt: It is not a PDF."
    )
    assert batches_of(review.pk) == []


def test_too_many_files_at_once_are_refused_in_words(client_owner, review, waiting, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    files = [SimpleUploadedFile(f"{n}.pdf", PDF_OTHER) for n in range(3)]
    response = client_owner.post(url("retrieval-bulk-upload", review), {"files": files})
    assert response.status_code == 302
    assert said(response) == [
        "More than 2 files were sent at once, so nothing was kept. Put them in a zip, or upload "
        "them in smaller batches."
    ]
    assert batches_of(review.pk) == []


def test_a_pdf_over_the_full_text_limit_is_listed_as_not_kept(
    client_owner, review, waiting, settings
):
    settings.FULLTEXT_MAX_FILE_BYTES = len(PDF_BY_DOI) + 1
    big = PDF_OTHER + b"%" * len(PDF_BY_DOI)
    response = client_owner.post(
        url("retrieval-bulk-upload", review),
        {"files": [SimpleUploadedFile("jama.pdf", PDF_BY_DOI), SimpleUploadedFile("big.pdf", big)]},
        follow=True,
    )
    page = response.content.decode()
    assert "big.pdf</strong>: It is " in page and "over the limit of" in page


def test_the_reference_page_links_to_its_pdf_pubmed_and_doi(
    client_owner, client_viewer, client_outsider, review, waiting, batch
):
    jama = batch.files[0]
    client_owner.post(
        url("retrieval-bulk-batch", review, batch.token), {f"file-{jama.index}": waiting[0].pk}
    )
    full_text = FullText.objects.get(reference=waiting[0])
    assert ScreeningItem.objects.get(reference=waiting[0], stage=Stage.RETRIEVAL).state == (
        ItemState.RETRIEVED
    )
    pdf_url = url("fulltext-file", review, full_text.pk)
    for client in (client_owner, client_viewer):
        page = client.get(url("reference-detail", review, waiting[0].pk)).content.decode()
        assert f'href="{pdf_url}"' in page
        assert 'href="https://pubmed.ncbi.nlm.nih.gov/38820549/"' in page
        assert 'href="https://doi.org/10.1001/jama.2024.10613"' in page
    pdf = client_viewer.get(pdf_url)
    assert b"".join(pdf.streaming_content) == PDF_BY_DOI
    # Served to the browser's own viewer (no CSP), never inside a frame: nothing frames it now.
    assert (pdf["X-Frame-Options"], pdf["X-Content-Type-Options"]) == ("DENY", "nosniff")
    assert "Content-Security-Policy" not in pdf
    assert client_outsider.get(pdf_url).status_code == 404
    # A reference without a PDF has no such link.
    page = client_owner.get(url("reference-detail", review, waiting[2].pk)).content.decode()
    assert 'id="full-text-pdf"' not in page


def test_an_upload_declared_over_the_batch_limit_is_refused_unread(client_owner, review, waiting):
    response = client_owner.post(
        url("retrieval-bulk-upload", review),
        {"files": [papers_zip()]},
        CONTENT_LENGTH=str(600 * 1024 * 1024),  # what a 600 MB upload's request declares
    )
    assert response.status_code == 302
    assert said(response) == [
        "The upload is over the limit of 500.0\xa0MB for one batch, so nothing was kept. Upload "
        "the PDFs in smaller batches."
    ]
    assert batches_of(review.pk) == []
