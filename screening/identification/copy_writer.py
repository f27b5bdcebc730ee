"""How an import's rows reach PostgreSQL: COPY and unnest, without model instances.

The COPY writer takes the same plain values, in the same calls, as the ORM writer
(import_writers.py), and leaves the same rows (tests/screening/identification/
test_import_writers.py compares them field by field). Each reference is a list of column values,
made on the parser's thread (read_ahead.py), each JSON field dumped once; the rows of a table
share one timestamp, taken when the writer is made. References are sent with binary COPY (their
ids reserved from the table's sequence first, so that records can point at them), records with
binary COPY, and screening items with one `INSERT ... SELECT FROM unnest(...)` per batch. The
values every record or item of an import shares come from a model instance made once, so that a
field added to the model with a default needs no change here. For its transaction the writer
also checks foreign keys statement by statement, compresses with lz4 and turns JIT off (its
__init__ says why); finish() puts them back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring
from typing import Any

from django.db import connection, models
from psycopg.postgres import types as postgres_types
from psycopg.types.string import BytesBinaryDumper

from references.duplicates import Keys
from references.models import Reference
from references.parsers.base import ParsedReference
from screening.constants import ItemState, SourceKind, Stage
from screening.decisions.counters import ItemKey, counters_add
from screening.decisions.queue import rank_for
from screening.identification.import_rows import (
    KNOWN_FIELDS,
    RECORD_FIELDS,
    REFERENCE_FIELDS,
    reference_values,
)
from screening.identification.server_settings import transaction_setting
from screening.models import Record, Review, ScreeningItem, Search
from screening.prioritisation.bookkeeping import ranking_request

JSONB_OID = postgres_types["jsonb"].oid
# JSON columns get their text from this encoder (jsonb keeps the values, not the text, so
# ensure_ascii changes nothing stored), or for a list of strings, from its C string encoder alone.
_dump_json = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def _json_text(value: Any) -> str:
    """The JSON text of a value. A reference's JSON columns are lists of strings (authors, MeSH
    terms, keywords...) or of objects of strings (the abstract's sections): joining their
    encoded strings takes half the time of the encoder, or less, whose set-up alone is a
    microsecond a call, seven calls a row. Anything else goes to the encoder."""
    if isinstance(value, list):
        if not value:
            return "[]"
        try:
            if isinstance(value[0], str):
                return "[" + ",".join(map(encode_basestring, value)) + "]"
            if isinstance(value[0], dict):
                return "[" + ",".join(map(_object_text, value)) + "]"
        except (TypeError, AttributeError):  # not all strings, or not all objects of strings
            pass
    return _dump_json(value)


def _object_text(value: dict[str, str]) -> str:
    """An object of strings as JSON (raises TypeError for any other value)."""
    return (
        "{"
        + ",".join(f"{encode_basestring(k)}:{encode_basestring(v)}" for k, v in value.items())
        + "}"
    )


def jsonb_bytes(value: Any) -> bytes:
    """A value in jsonb's binary form, as binary COPY sends it: a version byte, then the text."""
    return b"\x01" + _json_text(value).encode()


class CopyWriter:
    """COPY and unnest, through the connection's own psycopg cursor, in its transaction."""

    def __init__(self, *, review: Review, search: Search, record_fields: dict) -> None:
        self.review = review
        self.search = search
        self.items_made = 0
        self._json_positions = [
            i
            for i, name in enumerate(REFERENCE_FIELDS, start=1)
            if isinstance(Reference._meta.get_field(name), models.JSONField)
        ]
        varying = {Reference._meta.pk.name, *REFERENCE_FIELDS}
        self._reference_copy, self._reference_shared, self._reference_types = _copy_statement(
            Reference(),
            [Reference._meta.pk.name, *REFERENCE_FIELDS],
            self._shared(Reference, varying),
        )
        record = Record(review=review, search=search, **record_fields)
        self._record_copy, self._record_shared, self._record_types = _copy_statement(
            record, RECORD_FIELDS, self._shared(Record, {"id", *RECORD_FIELDS})
        )
        stage, state = _entry_stage_state(search.source.kind)
        item = ScreeningItem(
            review=review,
            stage=stage,
            state=state,
            waiting=state in ItemState.pending(),
            entry=stage,
        )
        self._items_sql, self._items_shared = _unnest_statement(
            item, ("reference", "rank"), self._shared(ScreeningItem, {"id", "reference", "rank"})
        )
        self._known_sql = _known_statement()
        self._reference_sequence = _sequence_of(Reference)
        # Django's foreign keys are checked at commit, one lookup per row: 100,000 records and
        # items keep the commit busy for seconds, with nothing else to do. Checked at the end of
        # each batch's statement instead, they run while the parser's thread reads the next
        # batch. finish() defers them again (a rolled-back savepoint restores them itself).
        self._deferred_keys = _deferred_foreign_keys([Record, ScreeningItem])
        _set_constraints(self._deferred_keys, "IMMEDIATE")
        # The source entries and abstracts are compressed as they are stored: lz4 does it in
        # 60% of the time of PostgreSQL's default (pglz), the largest part of a reference's cost
        # on the server. For this transaction only, where the server has lz4; reading is the same.
        self._compression = transaction_setting("default_toast_compression", "lz4")
        # The planner prices this transaction's queries on the tables as they were before it;
        # a cheap query it takes for an expensive one would be compiled (JIT) for 0.3 s.
        self._jit = transaction_setting("jit", "off")

    def _shared(self, model: type[models.Model], varying: set[str]) -> list[models.Field]:
        return [f for f in model._meta.concrete_fields if f.name not in varying]

    def reference_row(self, parsed: ParsedReference, keys: Keys, file_format: str) -> list:
        """The reference's columns, its id still to come (runs on the parser's thread)."""
        row = [None, *reference_values(parsed, keys, file_format), *self._reference_shared]
        for i in self._json_positions:
            row[i] = jsonb_bytes(row[i])
        return row

    def known_references(self, **keys: set) -> Iterable[tuple]:
        """As OrmWriter's, with each set of keys as one array: 3,000 keys a batch as separate
        parameters cost more to bind and to plan than the rest of the batch."""
        if not (keys["pmids"] or keys["dois"] or keys["titles"]):
            return []
        params = {name: _text_array(keys[name]) for name in ("pmids", "dois", "titles", "authors")}
        with connection.cursor() as cursor:
            cursor.execute(
                self._known_sql,
                {**params, "years": _array(keys["years"]), "review": self.review.pk},
            )
            return sorted(cursor.fetchall())

    def insert_references(self, rows: list[list]) -> list[int]:
        if not rows:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                [self._reference_sequence, len(rows)],
            )
            ids = [row[0] for row in cursor.fetchall()]
            # Errors as Django's (IntegrityError, DataError...), as the ORM path raises them.
            with connection.wrap_database_errors, cursor.cursor.copy(self._reference_copy) as copy:
                _binary_types(cursor, copy, self._reference_types)
                for row, pk in zip(rows, ids, strict=True):
                    row[0] = pk
                    copy.write_row(row)
        return ids

    def insert_records(self, records: list[tuple]) -> None:
        shared = self._record_shared
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(self._record_copy) as copy,
        ):
            _binary_types(cursor, copy, self._record_types)
            for record in records:
                copy.write_row((*record, *shared))

    def insert_items(self, reference_ids: list[int]) -> None:
        if not reference_ids:
            return
        ranks = [rank_for(self.review.pk, ref_id) for ref_id in reference_ids]
        with connection.cursor() as cursor:
            cursor.execute(
                self._items_sql, [*self._items_shared, _array(reference_ids), _array(ranks)]
            )
        self.items_made += len(reference_ids)

    def finish(self) -> None:
        _set_constraints(self._deferred_keys, "DEFERRED")
        transaction_setting("default_toast_compression", self._compression)
        transaction_setting("jit", self._jit)
        _count_new_items(self.review, self.search.source.kind, self.items_made)


def _known_statement() -> str:
    """Each key looked up on its own, through its index, and each reference found then looked
    for in the review through its own records. Written so because the planner's statistics
    are those of before the import (none at all in a new database): asked for 1,000 keys at
    once, or left to join, it prices the tables as it last saw them and scans every reference,
    or every record of the review, for each batch. OFFSET 0 keeps each subquery a probe, and
    `+ 0` takes the review's index out of the last one, leaving the reference's."""
    quote = connection.ops.quote_name
    reference, record = Reference._meta, Record._meta
    column = {name: f"r.{quote(reference.get_field(name).column)}" for name in KNOWN_FIELDS}
    in_review = (
        f"EXISTS (SELECT 1 FROM {quote(record.db_table)} c "
        f"WHERE c.{quote(record.get_field('reference').column)} = {column['id']} "
        f"AND c.{quote(record.get_field('review').column)} + 0 = %(review)s OFFSET 0)"
    )

    def branch(keys: str, condition: str) -> str:
        return (
            f"SELECT x.* FROM unnest({keys}::text[]) AS k(v) CROSS JOIN LATERAL "
            f"(SELECT {', '.join(column.values())} FROM {quote(reference.db_table)} r "
            f"WHERE {condition} AND {in_review} OFFSET 0) x"
        )

    return " UNION ".join(
        [
            branch("%(pmids)s", f"{column['pmid']} = k.v"),
            branch("%(dois)s", f"{column['doi']} = k.v"),
            branch(
                "%(titles)s",
                f"{column['title_key']} = k.v AND {column['year']} = ANY(%(years)s::int[]) "
                f"AND {column['first_author_key']} = ANY(%(authors)s::text[])",
            ),
        ]
    )


def _sequence_of(model: type[models.Model]) -> str:
    """The sequence that gives the model's ids (looked up once: in `SELECT nextval(...) FROM
    generate_series(...)` the lookup would run again for every id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column]
        )
        return cursor.fetchone()[0]


def _text_array(values: Iterable[str]) -> str:
    """An array of strings as PostgreSQL's text, each element quoted."""
    quoted = (v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return "{" + ",".join(f'"{v}"' for v in quoted) + "}"


def _array(numbers: Iterable[int]) -> str:
    """An array of integers as PostgreSQL's text: psycopg's client-side binding quotes a list
    element by element in Python, 50 times slower."""
    return "{" + ",".join(map(str, numbers)) + "}"


def _deferred_foreign_keys(tables: list[type[models.Model]]) -> list[str]:
    """The names of the foreign keys of these models' tables that are checked at commit."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'f' AND condeferred "
            "AND conrelid = ANY(%s::regclass[]) ORDER BY conname",
            [[model._meta.db_table for model in tables]],
        )
        return [row[0] for row in cursor.fetchall()]


def _set_constraints(names: list[str], mode: str) -> None:
    if names:
        with connection.cursor() as cursor:
            quoted = ", ".join(connection.ops.quote_name(name) for name in names)
            cursor.execute(f"SET CONSTRAINTS {quoted} {mode}")


def _db_values(instance: models.Model, fields: Sequence[models.Field]) -> list[Any]:
    """The values the ORM would send for these fields of an instance being added."""
    return [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]


def _copy_statement(
    instance: models.Model, varying: Sequence[str], shared: list[models.Field]
) -> tuple[str, list[Any]]:
    """COPY into the model's table: the varying columns first, then the shared ones, whose
    values (taken from `instance`) end every row."""
    meta = type(instance)._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name).column for name in varying] + [f.column for f in shared]
    sql = (
        f"COPY {quote(meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN (FORMAT BINARY)"
    )
    return sql, _db_values(instance, shared), _column_types(meta.db_table, columns)


def _column_types(table: str, columns: list[str]) -> list[int]:
    """The type (oid) of each column: binary COPY sends each value in its column's own binary
    form, which psycopg needs to be told (copy.set_types)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [table],
        )
        types = dict(cursor.fetchall())
    return [types[column] for column in columns]


def _binary_types(cursor, copy, types: list[int]) -> None:
    """Tell a binary COPY each column's type, and that its JSON columns come as jsonb_bytes()
    made them."""
    cursor.cursor.adapters.register_dumper(None, _JsonbBytesDumper)
    copy.set_types(types)


class _JsonbBytesDumper(BytesBinaryDumper):
    """A jsonb column's value, already in jsonb's binary form (jsonb_bytes): sent as it is.
    psycopg's own jsonb dumper would encode the text again, as a JSON string."""

    oid = JSONB_OID


def _unnest_statement(
    instance: models.Model, varying: Sequence[str], shared: list[models.Field]
) -> tuple[str, list[Any]]:
    """INSERT ... SELECT: the shared columns as parameters, the varying ones from arrays."""
    meta = type(instance)._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in varying]
    columns = [f.column for f in shared] + [f.column for f in fields]
    # Cast each value to its column's type: an untyped NULL in a SELECT list would be text.
    values = [f"%s::{f.cast_db_type(connection)}" for f in shared]
    arrays = ", ".join(f"%s::{f.cast_db_type(connection)}[]" for f in fields)
    names = [f"v{i}" for i in range(len(fields))]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(map(quote, columns))}) "
        f"SELECT {', '.join(values + names)} "
        f"FROM unnest({arrays}) AS u({', '.join(names)})"
    )
    return sql, _db_values(instance, shared)


# What items_create_new (screening/decisions/items.py) does for the items it makes, for those
# made here with unnest: the stage a new reference enters by its source's kind, then the
# counters and the ranking's request.


def _entry_stage_state(source_kind: str) -> tuple[str, str]:
    if source_kind in SourceKind.other_methods():
        return Stage.RETRIEVAL, ItemState.AWAITING_RETRIEVAL
    return Stage.TITLE_ABSTRACT, ItemState.AWAITING


def _count_new_items(review: Review, source_kind: str, count: int) -> None:
    if not count:
        return
    stage, state = _entry_stage_state(source_kind)
    counters_add(review=review, items={ItemKey(stage, state, stage): count})
    if stage == Stage.TITLE_ABSTRACT:
        ranking_request(review)
