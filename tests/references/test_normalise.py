"""Cleaning identifiers, names and text the same way for every format."""

from __future__ import annotations

import pytest

from references import normalise as n


@pytest.mark.parametrize(
    ("value", "doi"),
    [
        ("10.1186/1471-2105-7-10", "10.1186/1471-2105-7-10"),
        ("10.1002/CL2.1230", "10.1002/cl2.1230"),
        ("https://doi.org/10.1002/cl2.1230", "10.1002/cl2.1230"),
        ("http://dx.doi.org/10.1177/2325967120950040", "10.1177/2325967120950040"),
        ("https://www.doi.org/10.1000/ABC", "10.1000/abc"),
        ("doi.org/10.1000/abc", "10.1000/abc"),
        ("doi:10.1000/abc", "10.1000/abc"),
        ("DOI: 10.1000/abc", "10.1000/abc"),
        ("DOI 10.1000/abc", "10.1000/abc"),
        ("urn:doi:10.1000/abc", "10.1000/abc"),
        ("https://doi.org/10.1000%2Fabc", "10.1000/abc"),
        ("Med Phys. 2012 Oct;39(10):5795-813. doi: 10.1118/1.4748329.", "10.1118/1.4748329"),
        ("10.1016/0005-2795(76)90109-4", "10.1016/0005-2795(76)90109-4"),
        ("(10.1016/S0140-6736(20)30001-1)", "10.1016/s0140-6736(20)30001-1"),
        ("  10.1000/abc  ", "10.1000/abc"),
        ("", ""),
        (None, ""),
        ("not a doi", ""),
        ("10.1/too-short-prefix", ""),
    ],
)
def test_a_doi_is_lower_case_without_prefix(value, doi):
    assert n.normalise_doi(value) == doi


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Registered at ClinicalTrials.gov (NCT01234567).", ["NCT01234567"]),
        ("nct01234567 and NCT01234567", ["NCT01234567"]),
        ("ISRCTN12345678; ACTRN12612000123456", ["ISRCTN12345678", "ACTRN12612000123456"]),
        ("ChiCTR-TRC-12002345 and ChiCTR2000029953", ["CHICTR-TRC-12002345", "CHICTR2000029953"]),
        (
            "DRKS00012345, CTRI/2020/05/025123, UMIN000012345",
            ["DRKS00012345", "CTRI/2020/05/025123", "UMIN000012345"],
        ),
        ("jRCTs031190001 and PROSPERO CRD42020123456", ["JRCTS031190001", "CRD42020123456"]),
        ("EudraCT number: 2015-001234-56.", ["2015-001234-56"]),
        ("NCT0123456789 is too long; XNCT01234567 is inside a word", []),
        ("", []),
    ],
)
def test_registry_numbers_are_found_in_text_upper_case(text, ids):
    assert n.find_registry_ids(text) == ids


def test_a_databank_accession_is_a_registry_id_only_for_a_trial_registry():
    assert n.registry_id_from_databank("ClinicalTrials.gov", "nct01234567") == "NCT01234567"
    assert n.registry_id_from_databank("GENBANK", "AB123456") == ""


@pytest.mark.parametrize(
    ("value", "pmid"),
    [
        ("12345678", "12345678"),
        ("PMID: 123", "123"),
        ("pmid123", "123"),
        ("00042", "42"),
        ("12a", ""),
        ("", ""),
    ],
)
def test_a_pmid_is_its_digits(value, pmid):
    assert n.clean_pmid(value) == pmid


@pytest.mark.parametrize(
    ("value", "pmcid"),
    [
        ("PMC1373603", "PMC1373603"),
        ("pmc1373603", "PMC1373603"),
        ("1373603", "PMC1373603"),
        ("PMCID: PMC12", "PMC12"),
        ("PMCX", ""),
    ],
)
def test_a_pmcid_is_pmc_and_digits(value, pmcid):
    assert n.clean_pmcid(value) == pmcid


@pytest.mark.parametrize(
    ("name", "formatted"),
    [
        ("Shannon,Claude E.", "Shannon, Claude E."),
        ("Casbon, James A", "Casbon, James A"),
        ("Casbon JA", "Casbon, JA"),
        ("de Hoon MJ", "de Hoon, MJ"),
        ("Fanning E.", "Fanning, E."),
        ("Doe A.-B.", "Doe, A.-B."),
        ("Canadian Respiratory Research Network", "Canadian Respiratory Research Network"),
        ("  Doe ,  Jane  ", "Doe, Jane"),
        ("", ""),
    ],
)
def test_an_author_is_surname_comma_given(name, formatted):
    assert n.format_author(name) == formatted


def test_a_person_from_parts_keeps_the_suffix_with_the_given_names():
    assert n.format_person("Hambrick", "GW", "Jr") == "Hambrick, GW Jr"
    assert n.format_person("Plato") == "Plato"


@pytest.mark.parametrize(
    ("cell", "authors"),
    [
        ("Cock PJ, Antao T, Chang JT.", ["Cock, PJ", "Antao, T", "Chang, JT"]),
        ("Smith J.; Doe A.", ["Smith, J.", "Doe, A."]),
        ("Smith J., Doe A.B.", ["Smith, J.", "Doe, A.B."]),
        ("Xiong, Anwen; Wang, Li", ["Xiong, Anwen", "Wang, Li"]),
        ("Müller, Hans", ["Müller, Hans"]),
        ("World Health Organization", ["World Health Organization"]),
    ],
)
def test_an_author_cell_of_a_table_is_split_into_authors(cell, authors):
    assert n.split_author_list(cell) == authors


@pytest.mark.parametrize(
    ("value", "year"),
    [
        ("2002 Sep", 2002),
        ("1948/07//", 1948),
        ("2019-03-18", 2019),
        ("Spring 1990", 1990),
        ("1998 Dec-1999 Jan", 1998),
        ("n.d.", None),
        ("12345", None),
        ("", None),
    ],
)
def test_the_year_is_the_first_plausible_four_digit_year(value, year):
    assert n.parse_year(value) == year


def test_pages_join_start_and_end_and_use_hyphens():
    assert n.join_pages("123", "130") == "123-130"
    assert n.join_pages("12--23") == "12-23"
    assert n.join_pages("45–50") == "45-50"
    assert n.join_pages("", "9") == "9"


def test_whitespace_is_collapsed():
    assert n.clean_text("  a\n\t b\xa0 c  ") == "a b c"
    assert n.clean_text(None) == ""
    assert n.clean_text(2020) == "2020"


def test_a_structured_abstract_is_split_at_labels_after_sentence_ends():
    text = "BACKGROUND: It matters (HR: 0.5). METHODS AND MATERIALS: We did it. RESULTS: Yes."
    assert n.structured_abstract(text)[1] == [
        ("BACKGROUND", "It matters (HR: 0.5)."),
        ("METHODS AND MATERIALS", "We did it."),
        ("RESULTS", "Yes."),
    ]
    assert n.structured_abstract(text)[0] == (
        "BACKGROUND: It matters (HR: 0.5).\n\nMETHODS AND MATERIALS: We did it.\n\nRESULTS: Yes."
    )


@pytest.mark.parametrize(
    "text",
    [
        "An ordinary abstract. It has no labels.",
        "OBJECTIVE: Only one label here.",
        "Background: mixed case. Methods: not split.",
    ],
)
def test_an_abstract_without_two_labels_is_not_structured(text):
    assert n.structured_abstract(text) == (text, [])


@pytest.mark.parametrize(
    ("text", "sample"),
    [
        ("37Â°C", "Â°"),
        ("CafÃ©", "Ã©"),
        ("donâ€™t", "â€™"),
        ("a \ufffd b", "\ufffd"),
        ("Ângela, Â ", ""),
        ("Café 37°C", ""),
    ],
)
def test_text_decoded_with_the_wrong_encoding_is_recognised(text, sample):
    assert n.mojibake_sample(text) == sample
