"""One batch of an import: its entries matched against the review's references by their exact
keys, then written (import_writers.py). records_insert (imports.py) feeds it batch after batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from references.duplicates import ExactIndex, Keys, first_author_key, title_key
from references.parsers.base import ParsedReference, UnreadableEntry
from screening.identification.import_rows import DOI_LENGTH, PMID_LENGTH
from screening.identification.import_writers import RowWriter


def entry_keys(parsed: ParsedReference) -> Keys:
    """The keys exact matching compares, as the reference's columns will hold them (cut to
    their lengths), so that an entry matches the same references whether they were made
    earlier in its own file or in another import."""
    return Keys(
        pmid=parsed.pmid[:PMID_LENGTH],
        doi=parsed.doi[:DOI_LENGTH],
        title=title_key(parsed.title),
        year=parsed.year,
        first_author=first_author_key(parsed.authors),
    )


def unreadable_dict(entry: UnreadableEntry) -> dict:
    """An unreadable entry as the search keeps it and the refusal lists it."""
    return {"position": entry.position, "reason": entry.reason, "excerpt": entry.excerpt[:300]}


class PreparedEntry(NamedTuple):
    """A readable entry as the parser's thread hands it over: its exact keys and the writer's
    row for the reference it would make."""

    position: int
    keys: Keys
    pmid: str
    raw: str
    row: object


@dataclass
class Tally:
    """What inserting a stream of entries did: entries = records + unreadable,
    records = created + duplicates."""

    entries: int = 0
    records: int = 0
    created: int = 0
    duplicates: int = 0
    unreadable: list[dict] = field(default_factory=list)
    new_reference_ids: list[int] = field(default_factory=list)  # in the order they were made
    # References the review held already that got a record from this import.
    attached_reference_ids: set[int] = field(default_factory=set)


def known_index(batch: list[PreparedEntry | UnreadableEntry], writer: RowWriter) -> ExactIndex:
    """The review's references that hold an exact key of the batch's entries, indexed in the
    order they were made: the whole review's index as far as this batch can see it. Asked of
    the database batch by batch (references made by earlier batches are in it, in this
    transaction), so that an import holds no index of every reference it has made."""
    pmids, dois, titles, years, authors = set(), set(), set(), set(), set()
    for entry in batch:
        if isinstance(entry, UnreadableEntry):
            continue
        keys = entry.keys
        if keys.pmid:
            pmids.add(keys.pmid)
        if keys.doi:
            dois.add(keys.doi)
        if keys.title_year_author():
            titles.add(keys.title)
            years.add(keys.year)
            authors.add(keys.first_author)
    index = ExactIndex()
    for ref_id, pmid, doi, tkey, year, fa in writer.known_references(
        pmids=pmids, dois=dois, titles=titles, years=years, authors=authors
    ):
        index.add(ref_id, Keys(pmid=pmid, doi=doi, title=tkey, year=year, first_author=fa))
    return index


def insert_batch(
    batch: list[PreparedEntry | UnreadableEntry], writer: RowWriter, tally: Tally
) -> None:
    """Match one batch against the review's references, then write its references, records
    and items."""
    index = known_index(batch, writer)
    # References are made only by imports, one import at a time in a review (review_lock), and
    # ids only grow: every reference the review held before this import has a smaller id than
    # the first one this import made.
    first_made = tally.new_reference_ids[0] if tally.new_reference_ids else None
    new_rows = []
    # (position, reference id, rule, raw, pmid) of each record; a reference made in this batch
    # is known by a provisional id, -n for the batch's n-th, until it has its own.
    records: list[tuple[int, int, str, str, str]] = []
    for entry in batch:
        tally.entries += 1
        if isinstance(entry, UnreadableEntry):
            tally.unreadable.append(unreadable_dict(entry))
            continue
        tally.records += 1
        match = index.find(entry.keys)
        if match:
            ref_id, rule = match
            tally.duplicates += 1
            if ref_id > 0 and (first_made is None or ref_id < first_made):
                tally.attached_reference_ids.add(ref_id)
            records.append((entry.position, ref_id, rule, entry.raw, entry.pmid))
        else:
            tally.created += 1
            new_rows.append(entry.row)
            index.add(-len(new_rows), entry.keys)
            records.append((entry.position, -len(new_rows), "", "", entry.pmid))
    made = writer.insert_references(new_rows)
    tally.new_reference_ids.extend(made)
    writer.insert_records(
        [
            (position, made[-ref_id - 1] if ref_id < 0 else ref_id, rule, raw, pmid)
            for position, ref_id, rule, raw, pmid in records
        ]
    )
    writer.insert_items(made)
