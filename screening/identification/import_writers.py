"""How an import's rows reach the database: COPY on PostgreSQL (copy_writer.py), the ORM
elsewhere (OrmWriter, here). Both take the same plain values, in the same calls, and leave the
same rows (tests/screening/identification/test_import_writers.py compares them field by field).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Q

from references.duplicates import Keys
from references.models import Reference
from references.parsers.base import ParsedReference
from screening.decisions.items import items_create_new
from screening.identification.copy_writer import CopyWriter
from screening.identification.import_rows import KNOWN_FIELDS, REFERENCE_FIELDS, reference_values
from screening.models import Record, Review, Search


class OrmWriter:
    """Model instances and bulk_create: SQLite, or any database without COPY."""

    def __init__(self, *, review: Review, search: Search, record_fields: dict) -> None:
        self.review = review
        self.search = search
        self.record_fields = record_fields

    def reference_row(self, parsed: ParsedReference, keys: Keys, file_format: str) -> Reference:
        values = reference_values(parsed, keys, file_format)
        return Reference(**dict(zip(REFERENCE_FIELDS, values, strict=True)))

    def known_references(self, **keys: set) -> Iterable[tuple]:
        """(id, pmid, doi, title_key, year, first_author_key) of the review's references that
        hold one of these keys (the title only with its year and first author), by id."""
        wanted = Q(pmid__in=keys["pmids"]) | Q(doi__in=keys["dois"])
        if keys["titles"]:
            wanted |= Q(
                title_key__in=keys["titles"],
                year__in=keys["years"],
                first_author_key__in=keys["authors"],
            )
        return (
            Reference.objects.filter(wanted, records__review=self.review)
            .values_list(*KNOWN_FIELDS)
            .distinct()
            .order_by("id")
        )

    def insert_references(self, rows: list[Reference]) -> list[int]:
        return [reference.pk for reference in Reference.objects.bulk_create(rows)]

    def insert_records(self, records: list[tuple]) -> None:
        Record.objects.bulk_create(
            [
                Record(
                    review=self.review,
                    search=self.search,
                    position=position,
                    reference_id=reference_id,
                    duplicate_rule=rule,
                    raw=raw,
                    pmid=pmid,
                    **self.record_fields,
                )
                for position, reference_id, rule, raw, pmid in records
            ],
            batch_size=len(records) or 1,
        )

    def insert_items(self, reference_ids: list[int]) -> None:
        # Batch by batch, as the rest: all at once would hold an instance of every item.
        items_create_new(
            review=self.review, reference_ids=reference_ids, source_kind=self.search.source.kind
        )

    def finish(self) -> None:
        """Nothing is left: each batch's items were made and counted with it."""


RowWriter = OrmWriter | CopyWriter


def writer_for(*, review: Review, search: Search, record_fields: dict) -> RowWriter:
    """COPY where the database has it (PostgreSQL), the ORM elsewhere."""
    writer = CopyWriter if connection.vendor == "postgresql" else OrmWriter
    return writer(review=review, search=search, record_fields=record_fields)
