"""The two ways an import writes its rows (import_writers.py): COPY on PostgreSQL and the ORM
leave the same rows, text survives COPY whole, and a failure part-way leaves nothing."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import DataError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from references.models import Reference
from references.parsers.base import AbstractSection, ImportFileError, ParsedReference
from screening.constants import AuditAction, SourceKind
from screening.decisions.queue import rank_for
from screening.identification import import_writers, imports
from screening.identification.copy_writer import jsonb_bytes
from screening.identification.imports import records_insert, source_get_or_create
from screening.models import (
    AuditEvent,
    DuplicateCandidate,
    Ranking,
    Record,
    RecordCount,
    ScreeningItem,
    Search,
    StageCount,
)
from screening.reviews.services import review_create
from tests.conftest import require_postgresql
from tests.references.test_parsers import CORPUS
from tests.screening.identification.test_imports import PUBMED_XML

pytestmark = pytest.mark.django_db

KINDS = [SourceKind.DATABASE, SourceKind.REGISTER, SourceKind.WEBSITE, SourceKind.CITATION]
# Text COPY's own syntax, as data: tab, newline, carriage return, backslash sequences, the end
# marker, quotes, and characters outside ASCII (no NUL: PostgreSQL text cannot hold it).
AWKWARD = (
    "tab\there\nnew line\r\n\\.\n\\N \\\\ back\\slash \"quoted\" 'single' ünïcödé 試験 🧪 \u200b"
)


def _orm_writer(**kwargs):
    return import_writers.OrmWriter(**kwargs)


def _import_corpus(review, owner, data_path):
    """Every readable corpus file, each as a search of a source of one of the four kinds, and
    two of them twice: references made, attached by PMID, DOI and title, and left unreadable."""
    names = [name for name, _, count, unreadable in CORPUS if count > unreadable]
    names += [CORPUS[7][0], CORPUS[14][0]]  # MEDLINE and RIS again, into other sources
    for number, name in enumerate(names):
        source = source_get_or_create(
            review=review, name=f"Source {number % 8}", kind=KINDS[number % 8 % 4], user=owner
        )
        path = data_path / name
        imports.references_import(
            review=review, source=source, path=path, file_name=path.name, user=owner,
            skip_unreadable=True, allow_same_file=True,
        )  # fmt: skip


def _row(obj, skip: set[str], ids: dict) -> dict:
    """An object's fields, its own id and timestamps left out, and the ids it points at as their
    place in their review (the two reviews' ids differ, their order does not)."""
    values = {}
    for field in obj._meta.concrete_fields:
        if field.name in skip or field.primary_key:
            continue
        value = getattr(obj, field.attname)
        if field.is_relation and value is not None and field.related_model in ids:
            value = ids[field.related_model].index(value)
        values[field.name] = value
    return values


def _snapshot(review) -> dict:
    """Every row the imports wrote into the review, in a form two reviews can be compared in."""
    searches = list(Search.objects.in_review(review).order_by("id"))
    references = list(Reference.objects.filter(records__review=review).distinct().order_by("id"))
    ids = {Search: [s.pk for s in searches], Reference: [r.pk for r in references]}
    items = list(ScreeningItem.objects.in_review(review).order_by("reference_id", "stage"))
    assert all(item.rank == rank_for(review.pk, item.reference_id) for item in items)
    stamps = {"created_at", "updated_at", "run_at", "review", "source", "run_by"}
    return {
        "searches": [_row(s, stamps, ids) for s in searches],
        "references": [_row(r, stamps, ids) for r in references],
        "records": [
            _row(r, stamps, ids)
            for r in Record.objects.in_review(review).order_by("search_id", "position")
        ],
        "items": [_row(i, stamps | {"rank"}, ids) for i in items],
        "stage_counts": sorted(
            (c.stage, c.state, c.entry, c.reason_id, c.n)
            for c in StageCount.objects.in_review(review)
        ),
        "record_counts": sorted(
            (ids[Search].index(c.search_id), c.n) for c in RecordCount.objects.in_review(review)
        ),
        "audit": [
            (e.action, e.object_type, e.after)
            for e in AuditEvent.objects.in_review(review).order_by("seq")
            if e.action != AuditAction.REVIEW_CREATE
        ],
        "candidates": sorted(
            (_row(c, stamps, ids)["reference_a"], _row(c, stamps, ids)["reference_b"], c.score)
            for c in DuplicateCandidate.objects.in_review(review)
        ),
        "ranking_requested": sorted(
            (r.stage, r.requested_at is not None) for r in Ranking.objects.in_review(review)
        ),
    }


@pytest.mark.integration  # PostgreSQL only: the CI run on SQLite leaves it out
def test_copy_leaves_exactly_the_rows_the_orm_leaves(owner, data_path, monkeypatch):
    require_postgresql()
    # Batches of 3: references made in one batch are matched and pointed at from later ones.
    monkeypatch.setattr(imports, "BATCH_SIZE", 3)
    copied = review_create(slug="copied", title="Imported with COPY", owner=owner)
    _import_corpus(copied, owner, data_path)
    monkeypatch.setattr(imports, "writer_for", _orm_writer)
    through_orm = review_create(slug="orm", title="Imported through the ORM", owner=owner)
    _import_corpus(through_orm, owner, data_path)

    copy_rows, orm_rows = _snapshot(copied), _snapshot(through_orm)
    assert copy_rows["references"] and copy_rows["items"] and copy_rows["candidates"] != []
    assert {r["duplicate_rule"] for r in copy_rows["records"]} > {""}
    assert {i["entry"] for i in copy_rows["items"]} == {"title_abstract", "retrieval"}
    for table in copy_rows:
        assert copy_rows[table] == orm_rows[table], table


def _search(review, owner, kind=SourceKind.DATABASE) -> Search:
    source = source_get_or_create(review=review, name="Hand-made", kind=kind, user=owner)
    return Search.objects.create(
        review=review, source=source, file_name="hand-made.txt", run_at=timezone.now()
    )


@pytest.mark.parametrize("writer", ["for the database", "orm"])
def test_text_of_every_kind_survives_the_writer_whole(review, owner, writer, monkeypatch):
    if writer == "orm":
        monkeypatch.setattr(imports, "writer_for", _orm_writer)
    entry = ParsedReference(
        title=AWKWARD,
        abstract=AWKWARD * 3,
        abstract_sections=[AbstractSection(label="METHODS\t1", text=AWKWARD)],
        authors=[AWKWARD, "Zhang, Li"],
        journal="\\N",  # COPY's NULL, as text
        year=2024,
        pmid="40000001",
        keywords=[AWKWARD],
        urls=['https://example.org/a\\b?c=d&e="f"'],
        raw=AWKWARD * 50,
        position=1,
    )
    twin = ParsedReference(title="Another", pmid="40000001", raw=AWKWARD + "twin", position=2)
    search = _search(review, owner)

    tally = records_insert(review=review, search=search, entries=[entry, twin], file_format="ris")

    reference = Reference.objects.get(pk=tally.new_reference_ids[0])
    assert (reference.title, reference.journal) == (AWKWARD, "\\N")
    assert (reference.abstract, reference.raw) == (AWKWARD * 3, AWKWARD * 50)
    assert reference.abstract_sections == [{"label": "METHODS\t1", "text": AWKWARD}]
    assert (reference.authors, reference.keywords) == ([AWKWARD, "Zhang, Li"], [AWKWARD])
    assert reference.urls == ['https://example.org/a\\b?c=d&e="f"']
    duplicate = Record.objects.get(search=search, position=2)
    assert (duplicate.raw, duplicate.reference_id) == (AWKWARD + "twin", reference.pk)


def test_a_malformed_file_part_way_leaves_nothing_behind(
    review, owner, data_path, tmp_path, monkeypatch
):
    """The parser fails on the second batch, after the first was written (seen from inside the
    transaction): references, records, items, counters, the search and its audit event all go."""
    monkeypatch.setattr(imports, "BATCH_SIZE", 1)
    text = (data_path / PUBMED_XML).read_text()
    cut = text.index("</PubmedArticle>") + len("</PubmedArticle>") + 200
    path = tmp_path / "truncated.xml"
    path.write_text(text[:cut])
    source = source_get_or_create(review=review, name="PubMed", kind="database", user=owner)
    written = []

    with pytest.raises(ImportFileError, match="truncated"):
        imports.references_import(
            review=review, source=source, path=path, file_name=path.name, user=owner,
            progress=lambda n: written.append((Reference.objects.count(), Record.objects.count())),
        )  # fmt: skip

    assert written == [(1, 1)]
    assert not Reference.objects.exists()
    assert not Record.objects.exists()
    assert not ScreeningItem.objects.exists()
    assert not Search.objects.exists()
    assert not StageCount.objects.filter(n__gt=0).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.IMPORT).exists()
    assert not [t for t in threading.enumerate() if t.name == "import-parser"]


@pytest.mark.integration  # PostgreSQL only: the CI run on SQLite leaves it out
def test_a_row_postgresql_refuses_part_way_rolls_back_all_and_stops_the_parser(
    review, owner, monkeypatch
):
    """A NUL character, which PostgreSQL text cannot hold, in the third of five batches."""
    require_postgresql()
    monkeypatch.setattr(imports, "BATCH_SIZE", 1)
    entries = [
        ParsedReference(title=f"Trial {n}", pmid=str(40000000 + n), raw="x", position=n)
        for n in range(1, 6)
    ]
    entries[2].raw = "before\x00after"
    search = _search(review, owner)
    written = []

    with pytest.raises(DataError), transaction.atomic():
        records_insert(
            review=review, search=search, entries=entries, file_format="ris",
            progress=lambda n: written.append(Record.objects.count()),
        )  # fmt: skip

    assert written == [1, 2]
    assert not [t for t in threading.enumerate() if t.name == "import-parser"]
    assert not Reference.objects.exists()
    assert not Record.objects.exists()
    assert not ScreeningItem.objects.exists()
    # The rolled-back savepoint took the writer's SET CONSTRAINTS with it: a record pointing
    # nowhere is checked at commit again, as Django declares its foreign keys, not at once.
    nowhere = Record.objects.create(review=review, search=search, reference_id=10**9, position=1)
    nowhere.delete()  # before the test's end checks it


def test_a_later_batch_finds_what_earlier_batches_made_and_only_older_references_are_attached(
    review, owner, monkeypatch
):
    monkeypatch.setattr(imports, "BATCH_SIZE", 1)
    older = records_insert(
        review=review,
        search=_search(review, owner),
        entries=[ParsedReference(title="HARMONi-A", doi="10.1001/jama.2024.10613", position=1)],
        file_format="ris",
    ).new_reference_ids[0]
    entries = [
        ParsedReference(title="HARMONi-2", pmid="40000002", raw="first", position=1),
        ParsedReference(title="HARMONi 2 again", pmid="40000002", raw="again", position=2),
        ParsedReference(title="A", doi="10.1001/jama.2024.10613", raw="older", position=3),
        ParsedReference(title="HARMONi-2", year=2025, authors=["Xiong, A"], position=4),
        ParsedReference(title="harmoni 2", year=2025, authors=["XIONG A"], position=5),
    ]
    search = _search(review, owner)

    tally = records_insert(review=review, search=search, entries=entries, file_format="ris")

    made = tally.new_reference_ids
    assert (tally.created, tally.duplicates) == (2, 3)
    assert tally.attached_reference_ids == {older}
    records = Record.objects.filter(search=search).order_by("position")
    assert [(r.reference_id, r.duplicate_rule, r.raw) for r in records] == [
        (made[0], "", ""),
        (made[0], "pmid", "again"),
        (older, "doi", "older"),
        (made[1], "", ""),
        (made[1], "title_year_author", ""),
    ]


@pytest.mark.integration  # PostgreSQL only: the CI run on SQLite leaves it out
def test_the_copy_path_asks_three_queries_a_batch_whatever_its_size(owner, data_path, monkeypatch):
    """Matching, ids and items: one query each per batch (COPY is not a query Django counts)."""
    require_postgresql()
    path = data_path / "biopython/Medline/pubmed_result2.txt"  # 4 records

    def queries(batch_size: int) -> int:
        monkeypatch.setattr(imports, "BATCH_SIZE", batch_size)
        review = review_create(slug=f"batches-{batch_size}", title="Batches", owner=owner)
        source = source_get_or_create(review=review, name="PubMed", kind="database", user=owner)
        with CaptureQueriesContext(connection) as captured:
            imports.references_import(
                review=review, source=source, path=path, file_name=path.name, user=owner
            )
        return len(captured)

    assert queries(1) - queries(4) == 3 * (4 - 1)


@pytest.mark.integration  # PostgreSQL only: the CI run on SQLite leaves it out
def test_a_record_cannot_name_another_review_than_its_search(review, owner, import_text, data_path):
    """One foreign key holds a record's search and review on PostgreSQL (migration 0025): the
    pair must be a search of that review, which Django's two keys did not check."""
    require_postgresql()
    search = import_text((data_path / PUBMED_XML).read_text(), name="pubmed.xml", source="PubMed")
    other = review_create(slug="other", title="Another review", owner=owner)
    record = Record.objects.filter(search=search).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        Record.objects.filter(pk=record.pk).update(review=other)
    # A review and search that belong together still pass.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        Record.objects.filter(pk=record.pk).update(review=review)


@pytest.mark.parametrize(
    "value",
    [
        [],
        ["Smith, J", AWKWARD],
        [{"label": "METHODS\t1", "text": AWKWARD}, {"label": "", "text": "é"}],
        [{"label": None, "text": "x"}],  # not all strings: the encoder's
        [{1: "x"}],
        [{"a": "b"}, "x"],
        ["a", 2],
        [[1]],
        {"label": "x"},
    ],
)
def test_a_json_column_is_sent_as_the_json_of_its_value(value):
    """COPY sends a JSON column as jsonb's version byte and the text; whether made by the
    joins (lists of strings, of objects of strings) or the encoder, it reads back as the value
    (as json.dumps gives it: a key that is not a string becomes one)."""
    sent = jsonb_bytes(value)
    assert sent[:1] == b"\x01"
    assert json.loads(sent[1:].decode()) == json.loads(json.dumps(value))
