"""A study's page opens the PDFs of its reports in the reader beside its data (the reader itself
is driven in Chromium by tests/browser/test_pdf_reader.py): which reports, in which order, and
who gets "Use as quote"."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from extraction.selectors import report_pdfs
from extraction.services import study_create
from screening.constants import Role
from screening.models import Membership
from screening.retrieval.services import full_text_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def retrieve(review, reference, user, *, pdf: bool):
    upload = SimpleUploadedFile("report.pdf", PDF, "application/pdf") if pdf else None
    return full_text_record(
        review=review, reference=reference, user=user, status="retrieved", upload=upload,
        max_bytes=10**6,
    )  # fmt: skip


@pytest.fixture
def study(review, owner, included):
    """HARMONi-2 with three reports: the primary without a PDF, the second with one, the third
    with a PDF that a later retrieval record (without a file) replaced."""
    primary, second, _, third = included
    retrieve(review, second, owner, pdf=True)
    retrieve(review, third, owner, pdf=True)
    retrieve(review, third, owner, pdf=False)
    return study_create(
        review=review, user=owner, name="HARMONi-2", reports=[primary, second, third]
    )


def page(client, review, study) -> str:
    response = client.get(reverse("extraction:study-detail", args=[review.slug, study.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_only_reports_whose_latest_retrieval_holds_a_pdf_open_primary_first(
    review, owner, included, study, django_assert_num_queries
):
    links = list(study.links.select_related("reference"))
    with django_assert_num_queries(1):
        found = report_pdfs(review, links)
        urls = [full_text.get_absolute_url() for _, full_text in found]
    assert [link.reference_id for link, _ in found] == [included[1].pk]
    retrieve(review, included[0], owner, pdf=True)
    found = report_pdfs(review, links)
    assert [link.reference_id for link, _ in found] == [included[0].pk, included[1].pk]
    assert urls[0] == found[1][1].get_absolute_url()


def test_the_study_page_holds_the_reader_and_the_quote_button_for_editors(
    client_owner, review, owner, included, study
):
    html = page(client_owner, review, study)
    second = report_pdfs(review, list(study.links.all()))[0][1]
    assert html.count("data-pdf-reader") == 1
    assert f'data-pdf-url="{second.get_absolute_url()}"' in html
    assert f'data-report="{included[1].pk}"' in html
    assert "Use as quote" in html
    assert "data-pdf-open" not in html  # one PDF: nothing to choose between
    assert "js/pdf-reader.js" in html and "vendor/pdfjs/text_layer.css" in html

    retrieve(review, included[0], owner, pdf=True)
    html = page(client_owner, review, study)
    assert html.count("data-pdf-open=") == 2  # the primary's PDF and the second's, to switch


def test_a_viewer_reads_the_pdfs_but_gets_no_quote_button(review, included, study):
    viewer = UserFactory(username="vera-viewer")
    Membership.objects.create(review=review, user=viewer, role=Role.VIEWER)
    client = Client()
    client.force_login(viewer)
    html = page(client, review, study)
    assert "data-pdf-reader" in html and "Use as quote" not in html


def test_a_study_without_pdfs_has_no_reader(client_owner, review, owner, included):
    study = study_create(review=review, user=owner, name="HARMONi-A", reports=[included[2]])
    html = page(client_owner, review, study)
    assert "data-pdf-reader" not in html and "with-reader" not in html
