"""BibTeX as Scopus writes it: a field repeated (`funding_details`, once per funder) and text that
only looks like LaTeX (`85.58%`, `R&D`, a URL's `%2f` and `&`). Files: tests/data/bibtex/
reconstructed/scopus_export.bib and the real zotero-better-bibtex percent-sign file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from references.parsers import ParsedReference, read_file
from references.parsers.bibtex import _decode

DATA = Path(__file__).resolve().parents[1] / "data"
SCOPUS = DATA / "bibtex/reconstructed/scopus_export.bib"
PERCENT = DATA / "bibtex/zotero-better-bibtex/percent_sign_95_preamble_96.bib"


def test_a_scopus_entry_with_a_repeated_field_and_a_percent_sign_keeps_its_whole_abstract():
    first, second = list(read_file(SCOPUS).entries())
    assert isinstance(first, ParsedReference) and isinstance(second, ParsedReference)
    assert first.abstract == (
        "Background: Screening is slow. Methods: We trained a classifier on 12 000 labelled "
        "records. Results: The classifier reached an accuracy of 85.58% (95% CI 83.1–88.0%) on "
        "the held-out set, and a recall of 97% for included studies; R&D costs fell by half. "
        "Conclusions: Screening can be prioritised without losing included studies. © 2024 "
        "Example Press"
    )
    assert first.warnings == [
        "the field 'funding_details' appears 2 times: the first value was kept, the others are "
        "in the entry's text"
    ]
    # The second funder is not lost: it is in the entry as it stood in the file.
    assert "funding_details = {European Research Council, ERC, 101000001}" in first.raw
    assert first.authors == ["Example, Ana B.", "Sample, Carlos", "Nazzaro, Paolo"]
    assert (first.year, first.pages, first.pmid, first.doi) == (
        2024,
        "101-115",
        "38000001",
        "10.5555/example.2024.101",
    )
    assert first.urls == [
        "https://www.scopus.com/inward/record.uri?eid=2-s2.0-85000000001"
        "&doi=10.5555%2fexample.2024.101&partnerID=40&md5=0123456789abcdef0123456789abcdef"
    ]
    assert (second.abstract, second.pages, second.warnings) == (
        "Half of the records (50%) had no abstract.",
        "e0042",
        [],
    )


def test_a_real_abstract_with_percent_signs_is_read_to_its_end():
    (reference,) = list(read_file(PERCENT).entries())
    assert "reduction of about 50% in a narrow wavelength range of 400-500" in reference.abstract
    assert "from 2.2% and 0.8Ânm to 51% and 21Ânm, respectively." in reference.abstract


def test_a_field_repeated_with_another_case_keeps_the_first_value(tmp_path):
    path = tmp_path / "case.bib"
    path.write_text("@article{k, Title={First}, title={Second}}\n")
    (reference,) = list(read_file(path).entries())
    assert reference.title == "First"
    assert reference.warnings == [
        "the field 'title' appears 2 times: the first value was kept, the others are in the "
        "entry's text"
    ]


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        ("85.58% of records", "85.58% of records"),
        ("a 10\\% rise", "a 10% rise"),
        ("R&D and R\\&D", "R&D and R&D"),
        ("costs US$ 5", "costs US$ 5"),
        ("from US$5 to US$10", "from US$5 to US$10"),
        ("$\\alpha$-synuclein", "α-synuclein"),
        ("$x^2$ grows", "x^2 grows"),
        ("caf{\\'e} -- bar", "café – bar"),
    ],
)
def test_latex_is_decoded_and_literal_signs_are_kept(latex, text):
    assert _decode(latex) == text


# Text as databases write it: no backslash or braces, so nothing in it is LaTeX markup.
# Spaces are the ASCII space: the decoder leaves rarer space marks (U+1680...) as written,
# which str.split() would collapse.
PLAIN = st.text(
    alphabet=st.one_of(
        st.characters(
            blacklist_characters="\\{}~`'\"-^_",
            blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Zs"),
        ),
        st.just(" "),
    ),
    max_size=60,
)


@given(PLAIN)
def test_plain_text_loses_nothing_in_decoding(text):
    assert _decode(text) == " ".join(text.split())
