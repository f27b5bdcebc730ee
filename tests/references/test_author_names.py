"""Author names however a file writes them: "P Nazzaro", "Nazzaro P", "Nazzaro, P.", "Paolo
Nazzaro" are one person for the first-author duplicate key and are written "Surname, Given" for
citations; collective names and names in capitals only are kept as written.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from references import normalise as n
from references.duplicates import first_author_key

VARIANTS = ["P Nazzaro", "Nazzaro P", "Nazzaro, P.", "Paolo Nazzaro", "P. Nazzaro", "NAZZARO P"]


@pytest.mark.parametrize("name", VARIANTS)
def test_given_name_first_variants_give_one_duplicate_key(name):
    assert first_author_key([name, "Rossi, M"]) == "nazzaro"


@pytest.mark.parametrize(
    ("name", "formatted"),
    [
        ("P Nazzaro", "Nazzaro, P"),
        ("P. A. Nazzaro", "Nazzaro, P. A."),
        ("Paolo Nazzaro", "Nazzaro, Paolo"),
        ("J.-P. Sartre", "Sartre, J.-P."),
        ("Ludwig van Beethoven", "van Beethoven, Ludwig"),
        ("Juan de la Cruz", "de la Cruz, Juan"),
        ("Martin Luther King Jr.", "King, Martin Luther Jr."),
        ("Hambrick GW Jr", "Hambrick, GW Jr"),
        ("Ye X", "Ye, X"),
        ("X Ye", "Ye, X"),
        ("Stillman, Andrew N. (andrew.stillman@uconn.edu)", "Stillman, Andrew N."),
        ("Roe, R <r.roe@example.org>", "Roe, R"),
        # Kept as written: collective names, capitals only, one word, a lower-case first word.
        ("World Health Organization", "World Health Organization"),
        ("The COVID-19 Investigators", "The COVID-19 Investigators"),
        ("Example Study Group", "Example Study Group"),
        ("PAOLO NAZZARO", "PAOLO NAZZARO"),
        ("Anonymous", "Anonymous"),
        ("bell hooks", "bell hooks"),
    ],
)
def test_a_name_is_written_surname_first(name, formatted):
    assert n.format_author(name) == formatted


def test_a_collective_first_author_keys_on_its_first_word_as_before():
    assert first_author_key(["World Health Organization"]) == "world"
    assert first_author_key(["Al Matairi, A"]) == "almatairi"


@pytest.mark.parametrize(
    ("cell", "authors"),
    [
        ("Nazzaro, P and Rossi, M", ["Nazzaro, P", "Rossi, M"]),
        ("Jones, J//Shoe, S", ["Jones, J", "Shoe, S"]),
        ("['Marx, Karl', 'Lindgren, Astrid']", ["Marx, Karl", "Lindgren, Astrid"]),
        ("Society for Nutrition and Dietetics", ["Society for Nutrition and Dietetics"]),
        ("Paolo Nazzaro; Maria Rossi", ["Nazzaro, Paolo", "Rossi, Maria"]),
    ],
)
def test_an_author_cell_of_a_table_is_split_whatever_the_separator(cell, authors):
    assert n.split_author_list(cell) == authors


SURNAME = st.from_regex(r"[A-Z][a-z]{2,11}", fullmatch=True).filter(
    lambda word: word.lower() not in n._COLLECTIVE and word.lower() not in n._SUFFIXES
)
GIVEN = st.from_regex(r"[A-Z][a-z]{2,9}", fullmatch=True).filter(
    lambda word: word.lower() not in n._COLLECTIVE
)
PARTICLE = st.sampled_from(["", "van ", "de ", "von ", "de la "])


@given(SURNAME, GIVEN, PARTICLE)
def test_any_person_gives_one_key_in_every_way_of_writing_the_name(surname, given, particle):
    full = f"{particle}{surname}"
    initial = given[0]
    ways = [
        f"{full}, {given}",
        f"{full}, {initial}.",
        f"{full} {initial}",
        f"{initial} {full}",
        f"{initial}. {full}",
        f"{given} {full}",
    ]
    keys = {first_author_key([way]) for way in ways}
    assert keys == {full.lower().replace(" ", "")}
    assert {n.format_author(way).split(",")[0] for way in ways} == {full}


@given(SURNAME, GIVEN)
def test_formatting_a_name_twice_changes_nothing(surname, given):
    for way in (f"{given} {surname}", f"{surname} {given[0]}", f"{given[0]} {surname}"):
        once = n.format_author(way)
        assert n.format_author(once) == once
