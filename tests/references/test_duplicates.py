"""Exact duplicate rules and near-duplicate proposals, on plain values."""

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from references.duplicates import (
    RULE_DOI,
    RULE_PMID,
    RULE_TITLE_YEAR_AUTHOR,
    ExactIndex,
    Keys,
    NearItem,
    first_author_key,
    near_pairs,
    title_key,
)


def test_title_key_folds_case_accents_and_punctuation():
    assert title_key("Ivonescimab – the Future of Cancer Therapy!") == (
        "ivonescimab the future of cancer therapy"
    )
    assert title_key("Étude randomisée") == "etude randomisee"


def test_first_author_key_reads_both_name_orders():
    assert first_author_key(["Frentzas, Sophia", "Lemech, C"]) == "frentzas"
    assert first_author_key(["FRENTZAS S"]) == "frentzas"
    assert first_author_key(["Al Matairi, A"]) == "almatairi"
    assert first_author_key([]) == ""


def test_same_pmid_matches_first():
    index = ExactIndex()
    index.add(1, Keys(pmid="38642937", doi="10.1/a"))
    assert index.find(Keys(pmid="38642937", doi="10.1/other")) == (1, RULE_PMID)


def test_same_doi_matches_when_pmids_are_absent():
    index = ExactIndex()
    index.add(1, Keys(doi="10.1136/jitc-2023-008037"))
    assert index.find(Keys(doi="10.1136/jitc-2023-008037")) == (1, RULE_DOI)


def test_title_year_and_first_author_match_only_together():
    index = ExactIndex()
    index.add(7, Keys(title="phase 1a dose escalation", year=2024, first_author="frentzas"))
    assert index.find(
        Keys(title="phase 1a dose escalation", year=2024, first_author="frentzas")
    ) == (
        7,
        RULE_TITLE_YEAR_AUTHOR,
    )
    assert (
        index.find(Keys(title="phase 1a dose escalation", year=2023, first_author="frentzas"))
        is None
    )
    assert index.find(Keys(title="phase 1a dose escalation", year=2024)) is None


def test_a_title_alone_never_matches():
    index = ExactIndex()
    index.add(1, Keys(title="editorial"))
    assert index.find(Keys(title="editorial")) is None


def test_the_first_reference_to_claim_a_key_keeps_it():
    index = ExactIndex()
    index.add(1, Keys(pmid="1"))
    index.add(2, Keys(pmid="1"))
    assert index.find(Keys(pmid="1")) == (1, RULE_PMID)


def _item(i, title, year=2020, author="smith", pmid="", doi=""):
    return NearItem(
        id=i, title=title_key(title), year=year, first_author=author, pmid=pmid, doi=doi
    )


def test_a_title_with_a_typo_is_proposed_with_its_evidence():
    items = [
        _item(1, "Ivonescimab plus chemotherapy in non-small cell lung cancer with EGFR variant"),
        _item(2, "Ivonescimab plus chemotherapy in non small-cell lung cancer with EGFR variants"),
        _item(3, "A completely different study of something else entirely"),
    ]
    pairs = list(near_pairs(items))
    assert [(p.a, p.b) for p in pairs] == [(1, 2)]
    assert pairs[0].evidence["same_year"] is True
    assert pairs[0].score >= 90


def test_different_pmids_are_never_proposed():
    items = [
        _item(1, "Ivonescimab plus chemotherapy in lung cancer", pmid="1"),
        _item(2, "Ivonescimab plus chemotherapy in lung cancer", pmid="2"),
    ]
    assert list(near_pairs(items)) == []


def test_titles_without_year_or_author_are_compared_with_their_alphabetical_neighbours():
    items = [
        _item(1, "Deep learning for systematic review screening", year=None, author=""),
        _item(2, "Deep learning for systematic reviews screening", year=None, author=""),
    ]
    assert [(p.a, p.b) for p in near_pairs(items)] == [(1, 2)]


def test_only_ids_limits_proposals_to_pairs_touching_them():
    items = [
        _item(1, "Ivonescimab plus chemotherapy in lung cancer patients"),
        _item(2, "Ivonescimab plus chemotherapy in lung cancer patient"),
        _item(3, "Ivonescimab plus chemotherapy in lung cancer patients."),
    ]
    pairs = {(p.a, p.b) for p in near_pairs(items, only_ids={3})}
    assert pairs == {(1, 3), (2, 3)}


@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abcde ", min_size=18, max_size=40),
            st.sampled_from([None, 2020, 2021]),
            st.sampled_from(["", "smith", "jones"]),
            st.sampled_from(["", "1", "2"]),
        ),
        max_size=30,
    )
)
def test_near_pairs_are_ordered_unique_and_never_join_different_pmids(rows):
    items = [
        NearItem(id=i, title=t, year=y, first_author=a, pmid=p)
        for i, (t, y, a, p) in enumerate(rows)
    ]
    by_id = {item.id: item for item in items}
    pairs = [(p.a, p.b) for p in near_pairs(items)]
    assert len(pairs) == len(set(pairs))
    for a, b in pairs:
        assert a < b
        assert not (by_id[a].pmid and by_id[b].pmid and by_id[a].pmid != by_id[b].pmid)


def test_parts_of_one_series_are_not_proposed():
    items = [
        _item(1, "Evidence-based software engineering: part 1 of 4, the method"),
        _item(2, "Evidence-based software engineering: part 2 of 4, the method"),
        _item(3, "Proceedings of the eighth conference on empirical software engineering"),
        _item(4, "Proceedings of the ninth conference on empirical software engineering"),
    ]
    assert list(near_pairs(items)) == []


def test_a_number_on_one_side_only_does_not_stop_a_pair():
    items = [
        _item(1, "Ivonescimab plus chemotherapy in lung cancer patients 2024"),
        _item(2, "Ivonescimab plus chemotherapy in lung cancer patients"),
    ]
    assert [(p.a, p.b) for p in near_pairs(items)] == [(1, 2)]


def _title_key_by_its_definition(title: str) -> str:
    """The key as first written: NFKD, ASCII only, lower case, runs of anything but a-z and 0-9
    to one space, trimmed, 255 characters at most."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", ascii_title.lower()).strip()[:255]


@given(st.text(alphabet="abcXYZ019 -_.,;:!?'\"\t\n\r\x00\x7féüßİıﬁ①²½—–…試験🧪\u200b\u00a0K"))
def test_title_key_is_what_its_definition_says(title):
    assert title_key(title) == _title_key_by_its_definition(title)


@given(st.text())
def test_title_key_is_what_its_definition_says_for_any_text(title):
    assert title_key(title) == _title_key_by_its_definition(title)
