"""Three references waiting for their full texts (found on websites, so they start at
retrieval), and the PDFs of two of them, for the bulk upload's tests."""

from __future__ import annotations

import pytest

from screening.constants import SourceKind
from tests.screening.retrieval.pdfs import make_pdf

ARTICLES = [  # title, DOI, PMID
    (
        "Ivonescimab plus chemotherapy in EGFR-variant non-small cell lung cancer",
        "10.1001/jama.2024.10613",
        "38820549",
    ),
    (
        "Ivonescimab versus pembrolizumab for PD-L1-positive non-small cell lung cancer",
        "10.1016/s0140-6736(25)00123-4",
        "",
    ),
    ("Safety of the bispecific antibody AK112 in advanced solid tumours: a phase 1 study", "", ""),
]


def waiting_ris() -> str:
    entries = []
    for n, (title, doi, pmid) in enumerate(ARTICLES, start=1):
        lines = ["TY  - JOUR", f"TI  - {title}", f"AU  - Author{n}, A", "PY  - 2024"]
        lines += [f"DO  - {doi}"] if doi else []
        lines += [f"AN  - PMID:{pmid}"] if pmid else []
        entries.append("\n".join(lines + ["ER  - "]))
    return "\n".join(entries) + "\n"


@pytest.fixture
def waiting(review, import_text):
    """The three references, in ARTICLES' order, all awaiting retrieval."""
    search = import_text(waiting_ris(), name="akeso.ris", source="Akeso", kind=SourceKind.WEBSITE)
    return [record.reference for record in search.records.order_by("position")]


# The first article with its DOI in the text, the third with its title on the first page, and
# a PDF of an article the review does not wait for.
PDF_BY_DOI = make_pdf(["JAMA | Original Investigation", "doi:10.1001/jama.2024.10613"])
PDF_BY_TITLE = make_pdf(
    ["Research", "Safety of the bispecific antibody AK112 in advanced solid", "tumours: a phase 1"]
    + ["study"]
)
PDF_OTHER = make_pdf(["Pembrolizumab in melanoma: five-year outcomes"], {"Title": "Melanoma"})
