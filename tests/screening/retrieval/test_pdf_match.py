"""The matcher on its own (screening/retrieval/pdf_match.py): real PDFs made in the test, read
with pypdf, matched by DOI (metadata, then text), PMID, then title; and files it cannot read."""

from __future__ import annotations

import pytest

from screening.retrieval.pdf_match import (
    Candidate,
    PdfReading,
    dois_in,
    pdf_match,
    pdf_read,
    pmids_in,
)
from tests.screening.retrieval.pdfs import encrypted, make_pdf

HARMONI = Candidate(
    id=1,
    title="Ivonescimab plus chemotherapy in EGFR-variant non-small cell lung cancer (HARMONi-A)",
    doi="10.1001/jama.2024.10613",
    pmid="38820549",
)
HARMONI_2 = Candidate(
    id=2,
    title="Ivonescimab versus pembrolizumab for PD-L1-positive non-small cell lung cancer",
    doi="10.1016/S0140-6736(25)00123-4",
    pmid="39000002",
)
AK112 = Candidate(
    id=3,
    title="A first-in-human study of AK112, a bispecific antibody against PD-1 and VEGF",
)
WAITING = [HARMONI, HARMONI_2, AK112]


def match(pdf: bytes, candidates=WAITING):
    return pdf_match(pdf_read(pdf), candidates)


def test_a_doi_in_the_metadata_finds_its_reference():
    pdf = make_pdf(["Original investigation"], {"Title": "jama_2024.pdf", "doi": HARMONI.doi})
    found = match(pdf)
    assert found.reference_id == HARMONI.id
    assert found.how == f"DOI {HARMONI.doi} in the PDF's metadata"


def test_a_doi_in_the_subject_is_metadata_too_and_is_normalised():
    pdf = make_pdf(["Article"], {"Subject": "The Lancet, doi:10.1016/S0140-6736(25)00123-4"})
    assert match(pdf).reference_id == HARMONI_2.id


def test_a_doi_in_the_text_finds_its_reference():
    pdf = make_pdf(
        ["THE LANCET", "Articles", "https://doi.org/10.1016/S0140-6736(25)00123-4."],
        {"Title": "untitled"},
    )
    found = match(pdf)
    assert found.reference_id == HARMONI_2.id
    assert found.how == "DOI 10.1016/s0140-6736(25)00123-4 in the text"


def test_a_doi_of_no_waiting_reference_is_passed_over_for_the_next_clue():
    pdf = make_pdf(["doi: 10.9999/someone-else.2020", "PMID: 38820549"])
    found = match(pdf)
    assert found.reference_id == HARMONI.id
    assert found.how == "PMID 38820549 in the text"


def test_a_pmid_finds_its_reference():
    pdf = make_pdf(["Research letter", "PMID 39000002"])
    assert match(pdf).reference_id == HARMONI_2.id


def test_the_title_on_the_first_page_finds_its_reference_and_says_how_similar():
    pdf = make_pdf(
        ["Research article", "A first-in-human study of AK112, a bispecific", "antibody against",
         "PD-1 and VEGF", "Summary: ..."],
    )  # fmt: skip
    found = match(pdf)
    assert found.reference_id == AK112.id
    assert found.how.startswith("title found on the first page (")
    assert found.how.endswith("% similar)")


def test_the_title_in_the_metadata_finds_its_reference():
    pdf = make_pdf(["(scanned page, no text)"], {"Title": HARMONI_2.title.upper()})
    found = match(pdf)
    assert found.reference_id == HARMONI_2.id
    assert found.how == "title similar to the PDF's title (100% similar)"


def test_a_pdf_of_no_waiting_reference_is_unmatched():
    pdf = make_pdf(["Pembrolizumab in melanoma: five-year outcomes"], {"Title": "Melanoma"})
    found = match(pdf)
    assert found.reference_id is None
    assert found.how == "No DOI, PMID or title of a waiting reference was found in it."


def test_the_closest_of_two_alike_titles_is_proposed():
    one = Candidate(id=7, title="Ivonescimab trial report number 1 in lung cancer")
    twelve = Candidate(id=8, title="Ivonescimab trial report number 12 in lung cancer")
    pdf = make_pdf(["Ivonescimab trial report number 12 in lung cancer"])
    assert match(pdf, [one, twelve]).reference_id == twelve.id


def test_two_references_under_one_title_are_left_to_the_person():
    """A conference abstract and the article often share their title: the PDF is either."""
    abstract = Candidate(id=7, title=HARMONI_2.title)
    found = match(make_pdf(["The Lancet", HARMONI_2.title]), [abstract, HARMONI_2])
    assert found.reference_id is None
    assert found.how == (
        "Its title is as close to 2 waiting references (100% similar): choose one."
    )


def test_two_files_of_one_article_both_propose_its_reference():
    first = match(make_pdf(["doi:10.1001/jama.2024.10613"]))
    second = match(make_pdf(["Supplement"], {"doi": "10.1001/JAMA.2024.10613"}))
    assert first.reference_id == second.reference_id == HARMONI.id


def test_a_short_title_is_never_matched_on_its_own():
    short = Candidate(id=9, title="Editorial")
    assert match(make_pdf(["Editorial", "Lung cancer news"]), [short]).reference_id is None


def test_a_file_that_is_not_a_pdf_is_read_with_its_problem_in_words():
    reading = pdf_read(b"<html><body>Access denied</body></html>")
    assert reading.problem.startswith("It could not be read as a PDF (")
    found = pdf_match(reading, WAITING)
    assert found.reference_id is None and found.how == reading.problem


def test_a_broken_pdf_is_read_with_its_problem_in_words():
    reading = pdf_read(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
    assert reading.problem.startswith("It could not be read as a PDF")
    assert pdf_match(reading, WAITING).reference_id is None


def test_an_encrypted_pdf_says_so_and_is_unmatched():
    pdf = encrypted(make_pdf(["doi:10.1001/jama.2024.10613"]))
    found = match(pdf)
    assert found.reference_id is None
    assert found.how == "It is encrypted with a password, so its text could not be read."


def test_a_pdf_encrypted_without_an_open_password_is_read():
    """Many publishers' PDFs are encrypted only to restrict printing: they open for anyone."""
    pdf = encrypted(make_pdf(["doi:10.1001/jama.2024.10613"]), password="")
    assert match(pdf).reference_id == HARMONI.id


@pytest.mark.parametrize(
    ("text", "dois"),
    [
        ("see https://doi.org/10.1016/j.lungcan.2024.01.001.", ["10.1016/j.lungcan.2024.01.001"]),
        ("DOI:10.1001/JAMA.2024.1 and 10.1001/jama.2024.1", ["10.1001/jama.2024.1"]),
        ("no identifier here, 10.12/too-short", []),
    ],
)
def test_dois_are_found_in_text_and_normalised(text, dois):
    assert dois_in(text) == dois


def test_pmids_are_found_when_labelled():
    assert pmids_in("PMID: 38820549; PMID 00123; 12345678 alone") == ["38820549", "123"]


def test_a_reading_without_text_matches_nothing():
    assert pdf_match(PdfReading(), WAITING).reference_id is None
