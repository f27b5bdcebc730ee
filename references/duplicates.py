"""Duplicate keys and near-duplicate detection: plain Python over plain values, no ORM.

Exact rules (applied on import): same PMID, same DOI, or the same normalised title + year +
first-author surname when all three are present. A title alone never merges.
Near duplicates: titles that are similar (rapidfuzz) within blocks that keep the cost about
linear: the same year and first author, and neighbours in title order.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rapidfuzz import fuzz

from references.normalise import author_surname

RULE_PMID = "pmid"
RULE_DOI = "doi"
RULE_TITLE_YEAR_AUTHOR = "title_year_author"

# Every ASCII character but a-z and 0-9, to a space.
_NON_WORD = str.maketrans(
    {chr(c): " " for c in range(128) if not ("a" <= chr(c) <= "z" or "0" <= chr(c) <= "9")}
)


def title_key(title: str) -> str:
    """Lower-case ASCII words joined by single spaces: 'The Future…!' -> 'the future'.
    (A table and a split rather than a regular expression: twice as fast, and every import
    computes two keys an entry.)"""
    if not title.isascii():
        title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return " ".join(title.lower().translate(_NON_WORD).split())[:255]


def first_author_key(authors: list[str]) -> str:
    """The first author's surname, normalised, however the name is written: 'Frentzas, Sophia',
    'FRENTZAS S', 'S Frentzas' and 'Sophia Frentzas' -> 'frentzas' (normalise.author_surname)."""
    if not authors:
        return ""
    return title_key(author_surname(authors[0])).replace(" ", "")[:100]


@dataclass(frozen=True)
class Keys:
    """The values exact matching looks at, for one reference."""

    pmid: str = ""
    doi: str = ""
    title: str = ""
    year: int | None = None
    first_author: str = ""

    def title_year_author(self) -> tuple[str, int, str] | None:
        if self.title and self.year and self.first_author:
            return (self.title, self.year, self.first_author)
        return None


class ExactIndex:
    """Maps exact keys to the id of the reference that holds them, within one review."""

    def __init__(self) -> None:
        self._by_pmid: dict[str, int] = {}
        self._by_doi: dict[str, int] = {}
        self._by_tya: dict[tuple[str, int, str], int] = {}

    def find(self, keys: Keys) -> tuple[int, str] | None:
        """The matching reference id and the rule that matched, or None."""
        if keys.pmid and keys.pmid in self._by_pmid:
            return self._by_pmid[keys.pmid], RULE_PMID
        if keys.doi and keys.doi in self._by_doi:
            return self._by_doi[keys.doi], RULE_DOI
        tya = keys.title_year_author()
        if tya and tya in self._by_tya:
            return self._by_tya[tya], RULE_TITLE_YEAR_AUTHOR
        return None

    def add(self, reference_id: int, keys: Keys) -> None:
        """Index a reference; the first reference to claim a key keeps it."""
        if keys.pmid:
            self._by_pmid.setdefault(keys.pmid, reference_id)
        if keys.doi:
            self._by_doi.setdefault(keys.doi, reference_id)
        tya = keys.title_year_author()
        if tya:
            self._by_tya.setdefault(tya, reference_id)


@dataclass(frozen=True)
class NearItem:
    """What near-duplicate detection sees of one reference."""

    id: int
    title: str  # title_key
    year: int | None
    first_author: str
    pmid: str = ""
    doi: str = ""


@dataclass(frozen=True)
class NearPair:
    a: int  # the lower id
    b: int
    score: float  # title similarity, 0-100
    evidence: dict


# Titles at least this similar (rapidfuzz ratio, 0-100) are proposed. Chosen on the labelled
# duplicate pairs of Kitchenham 2010 and Nagtegaal 2019 (bench/dedup.py prints the figures):
# every labelled pair scores >= 94; 92 drops false pairs at 90-91 and no true one.
NEAR_THRESHOLD = 92.0
# How many following titles (in sorted order) each title is compared with.
NEIGHBOURS = 8
# Titles this short say too little to propose a pair on.
MIN_TITLE_LENGTH = 20


_NUMBER_WORDS = frozenset(
    {
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
        "twentieth",
    }
)


def _numbers(title: str) -> list[str]:
    """The numbers a title key holds, as digits or words: 'part 2 of 4' -> ['2', '4']."""
    return sorted(
        word for word in title.split() if word in _NUMBER_WORDS or any(c.isdigit() for c in word)
    )


def near_pair(x: NearItem, y: NearItem, *, only_ids: set[int] | None = None) -> NearPair | None:
    """The pair, if these two references' titles are nearly the same and nothing says they are
    different works: two different PMIDs or two different DOIs, or titles whose numbers differ
    (parts, editions, conference numbers of one series: "part 1 of 4" / "part 2 of 4"). With
    `only_ids`, a pair touching none of those ids is not proposed."""
    a, b = (x, y) if x.id < y.id else (y, x)
    if a.id == b.id:
        return None
    if only_ids is not None and a.id not in only_ids and b.id not in only_ids:
        return None
    if not compatible_identifiers(a, b):
        return None
    score = fuzz.ratio(a.title, b.title, score_cutoff=NEAR_THRESHOLD)
    if not score:
        return None
    numbers_a, numbers_b = _numbers(a.title), _numbers(b.title)
    if numbers_a and numbers_b and numbers_a != numbers_b:
        return None
    return NearPair(a.id, b.id, round(score, 1), _evidence(a, b, score))


def compatible_identifiers(a: NearItem, b: NearItem) -> bool:
    """False when the two carry different PMIDs or different DOIs: different works. (The
    review's proposal asks the database for the pairs this lets through, in the same words:
    screening/identification/duplicates.py.)"""
    return not ((a.pmid and b.pmid and a.pmid != b.pmid) or (a.doi and b.doi and a.doi != b.doi))


def near_pairs(
    items: Iterable[NearItem], *, only_ids: set[int] | None = None
) -> Iterator[NearPair]:
    """Propose pairs of references whose titles are nearly the same (near_pair), in memory.

    Two blockings keep the work about linear in the number of references: references with the
    same year and first author are compared with each other, and each title with its next
    NEIGHBOURS in alphabetical order (which catches a missing year or author). With `only_ids`,
    only pairs touching one of those ids are proposed (a new import against the rest). A
    review's proposal does the same blocking in its database instead
    (screening/identification/duplicates.py), which holds no list of every reference.
    """
    usable = [item for item in items if len(item.title) >= MIN_TITLE_LENGTH]
    seen: set[tuple[int, int]] = set()

    def consider(x: NearItem, y: NearItem) -> NearPair | None:
        # The cheap refusals come before `seen`, which then holds only plausible pairs.
        if only_ids is not None and x.id not in only_ids and y.id not in only_ids:
            return None
        if not compatible_identifiers(x, y):
            return None
        key = (x.id, y.id) if x.id < y.id else (y.id, x.id)
        if key in seen:
            return None
        seen.add(key)
        return near_pair(x, y, only_ids=only_ids)

    blocks: dict[tuple[int, str], list[NearItem]] = defaultdict(list)
    for item in usable:
        if item.year and item.first_author:
            blocks[(item.year, item.first_author)].append(item)
    for block in blocks.values():
        for i, x in enumerate(block):
            for y in block[i + 1 :]:
                pair = consider(x, y)
                if pair:
                    yield pair

    ordered = sorted(usable, key=lambda item: item.title)
    for i, x in enumerate(ordered):
        for y in ordered[i + 1 : i + 1 + NEIGHBOURS]:
            pair = consider(x, y)
            if pair:
                yield pair


def _evidence(a: NearItem, b: NearItem, score: float) -> dict:
    """What a person needs to judge the pair, as plain values for a JSON column."""
    return {
        "title_similarity": round(score, 1),
        "same_year": bool(a.year and a.year == b.year),
        "years": [a.year, b.year],
        "same_first_author": bool(a.first_author and a.first_author == b.first_author),
        "first_authors": [a.first_author, b.first_author],
        "identifiers": "one side lacks PMID/DOI"
        if not (a.pmid or a.doi) or not (b.pmid or b.doi)
        else "compatible",
    }
