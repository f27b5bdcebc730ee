"""Importing literature files into a review: each file is a search of a source.

One file is one transaction: it lands whole or not at all. Entries stream from the parser in
batches, parsed a batch ahead of the database, on a thread (read_ahead.py) or, for a large file,
in a process of their own (parse_process.py), so memory stays flat however large the file; each
batch's exact duplicates (PMID, DOI, or title + year + first author) attach to the reference
already in the review instead of making a new one (record_batches.py), and its rows are written
by COPY on PostgreSQL, the ORM elsewhere (import_writers.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from references.duplicates import ExactIndex, Keys
from references.models import Reference
from references.parsers import ParsedFile, read_file
from references.parsers.base import ImportFileError, ParsedReference, UnreadableEntry
from screening.audit.chain import audit_record, review_lock
from screening.constants import AuditAction, SourceKind
from screening.decisions.counters import counters_add
from screening.decisions.items import items_refresh
from screening.identification.duplicates import duplicate_candidates_propose
from screening.identification.import_writers import RowWriter, writer_for
from screening.identification.parse_process import ParseProcess
from screening.identification.read_ahead import ReadAhead
from screening.identification.record_batches import (
    PreparedEntry,
    Tally,
    entry_keys,
    insert_batch,
    unreadable_dict,
)
from screening.identification.search_documentation import documentation_fields, documentation_json
from screening.models import Record, Review, ScreeningItem, Search, Source
from screening.permissions.refusals import Refused

BATCH_SIZE = 1000
# An import that makes this many references refreshes the planner's statistics (_analyze).
ANALYZE_AFTER = 5000
# Columns no query filters, joins or sorts on, left out of that ANALYZE: the statistics of the
# source entries (2 to 17 kB a row) and abstracts were two thirds of its time, and serve no plan.
UNPLANNED = {"raw", "abstract", "abstract_sections"}
# How many unreadable entries an error message or preview lists in full.
LISTED_UNREADABLE = 50


class ImportRefused(Refused):
    """The import (or a search's run or schedule) was refused as a whole; `str(error)` is the
    sentence for the user."""


@dataclass
class ImportPreview:
    format: str
    encoding: str
    entries: int = 0
    records: int = 0
    unreadable: int = 0
    already_in_review: int = 0  # records that will attach to a reference the review has
    duplicates_within_file: int = 0
    without_title: int = 0
    warnings: list[str] = field(default_factory=list)
    unreadable_entries: list[dict] = field(default_factory=list)  # the first LISTED_UNREADABLE
    sample: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _review_index(review: Review) -> ExactIndex:
    """The exact keys of every reference the review holds now."""
    index = ExactIndex()
    rows = (
        Reference.objects.filter(records__review=review)
        .values_list("id", "pmid", "doi", "title_key", "year", "first_author_key")
        .distinct()
        .order_by("id")
    )
    for ref_id, pmid, doi, tkey, year, fa in rows.iterator(chunk_size=5000):
        index.add(ref_id, Keys(pmid=pmid, doi=doi, title=tkey, year=year, first_author=fa))
    return index


def _describe_unreadable(unreadable: list[dict], total: int) -> str:
    lines = [f"  entry {u['position']}: {u['reason']}" for u in unreadable[:LISTED_UNREADABLE]]
    if total > len(lines):
        lines.append(f"  ... and {total - len(lines)} more")
    return "\n".join(lines)


def _open(path: str | Path, file_format: str) -> ParsedFile:
    if Path(path).stat().st_size == 0:
        raise ImportFileError("The file is empty.")
    return read_file(path, format=file_format)


def import_preview(
    *,
    path: str | Path,
    file_format: str = "auto",
    review: Review | None = None,
    sample_size: int = 10,
    on_entry: Callable[[ParsedReference], None] | None = None,
) -> ImportPreview:
    """Read the whole file without writing anything: counts, unreadable entries and a sample.
    `on_entry` sees each readable entry too (another tool's decisions are read so)."""
    parsed_file = _open(path, file_format)
    preview = ImportPreview(
        format=parsed_file.format,
        encoding=parsed_file.encoding,
        warnings=list(parsed_file.warnings),
    )
    index = _review_index(review) if review is not None else ExactIndex()
    seen_in_file = ExactIndex()
    for entry in parsed_file.entries():
        preview.entries += 1
        if isinstance(entry, UnreadableEntry):
            preview.unreadable += 1
            if len(preview.unreadable_entries) < LISTED_UNREADABLE:
                preview.unreadable_entries.append(unreadable_dict(entry))
            continue
        preview.records += 1
        if on_entry is not None:
            on_entry(entry)
        if not entry.title:
            preview.without_title += 1
        keys = entry_keys(entry)
        if index.find(keys):
            preview.already_in_review += 1
        elif seen_in_file.find(keys):
            preview.duplicates_within_file += 1
        else:
            seen_in_file.add(preview.records, keys)
        if len(preview.sample) < sample_size:
            preview.sample.append(
                {
                    "position": entry.position,
                    "title": entry.title,
                    "authors": entry.authors[:3],
                    "more_authors": max(0, len(entry.authors) - 3),
                    "journal": entry.journal,
                    "year": entry.year,
                    "pmid": entry.pmid,
                    "doi": entry.doi,
                    "warnings": entry.warnings,
                }
            )
    if preview.without_title:
        n = preview.without_title
        preview.warnings.append(
            f"{n} record{pluralize(n)} {pluralize(n, 'has,have')} no title; "
            f"{pluralize(n, 'it is,they are')} imported and can be identified by "
            f"{pluralize(n, 'its,their')} other fields."
        )
    if preview.records == 0:
        raise ImportFileError(_no_records_message(parsed_file.format, preview.unreadable))
    return preview


def _no_records_message(file_format: str, unreadable: int) -> str:
    if unreadable:
        return (
            f"The file was read as {file_format} but none of its {unreadable} entries could be "
            "read, so nothing was imported."
        )
    return f"The file was read as {file_format} but holds no records, so nothing was imported."


@transaction.atomic
def source_get_or_create(
    *, review: Review, name: str, kind: str, user: AbstractBaseUser | None
) -> Source:
    """The review's source of that name; created (and audited) if new."""
    name = name.strip()
    if not name:
        raise ImportRefused("A source needs a name, such as PubMed or Embase.")
    if kind not in SourceKind.values:
        raise ImportRefused(
            f"'{kind}' is not a kind of source; use one of: {', '.join(SourceKind.values)}."
        )
    source = Source.objects.in_review(review).filter(name__iexact=name).first()
    if source is None:
        source = Source.objects.create(review=review, name=name, kind=kind)
        audit_record(
            review=review,
            actor=user,
            action=AuditAction.SOURCE_CREATE,
            obj=source,
            after={"name": name, "kind": kind},
        )
    elif source.kind != kind:
        raise ImportRefused(
            f"The source '{source.name}' is a {source.get_kind_display().lower()} source in this "
            f"review, not a {SourceKind(kind).label.lower()} one."
        )
    return source


def same_file_search(*, review: Review, source_name: str, sha256: str) -> Search | None:
    """The earlier search that imported these same bytes into this source, if any."""
    return (
        Search.objects.in_review(review)
        .filter(source__name__iexact=source_name, file_sha256=sha256)
        .select_related("run_by")
        .first()
    )


def records_insert(
    *,
    review: Review,
    search: Search,
    entries: Iterable[ParsedReference | UnreadableEntry],
    file_format: str,
    record_fields: dict | None = None,
    progress: Callable[[int], None] | None = None,
    path: Path | None = None,
) -> Tally:
    """Insert the entries as records of `search`, in batches. An entry whose exact keys match
    a reference of the review (or one made earlier in the stream) becomes a duplicate record of
    it; the others make references. Unreadable entries are counted and listed, not inserted.
    Call inside the caller's transaction: the caller decides whether the result stands.

    `entries` is read on a thread of its own (read_ahead.py), a batch ahead of the database: it
    must not touch the database itself (parsers never do). `path`: the file `entries` reads,
    in `file_format`; a large one is parsed again in a process of its own instead
    (prepared_batches)."""
    # One import into a review at a time: another one's references, not yet committed, would
    # be invisible to this one's duplicate check. Pages and reads are not held up.
    review_lock(review)
    writer = writer_for(review=review, search=search, record_fields=record_fields or {})
    tally = Tally()
    with prepared_batches(writer, entries, file_format, path) as batches:
        for batch in batches:
            insert_batch(batch, writer, tally)
            if progress:
                progress(tally.entries)
    counters_add(review=review, records={search.pk: tally.records})  # PRISMA's identified
    # Each reference enters screening: new ones at their first stage; one that got a record
    # from another source may now enter elsewhere (a database record beats a website's).
    writer.finish()
    items_refresh(review=review, reference_ids=tally.attached_reference_ids)
    if tally.created >= ANALYZE_AFTER:
        _analyze()
    return tally


def prepared_batches(
    writer: RowWriter,
    entries: Iterable[ParsedReference | UnreadableEntry],
    file_format: str,
    path: Path | None,
) -> ReadAhead | ParseProcess:
    """The entries in prepared batches, each entry's keys and row made on a thread a batch ahead
    of the database (read_ahead.py). A file of at least settings.IMPORT_PARSE_PROCESS_MIN_BYTES
    is parsed in a process of its own (parse_process.py), `entries` left unread; a smaller one,
    or entries that come from elsewhere (a PubMed run), by `entries` on that thread."""

    def prepare(entry: ParsedReference | UnreadableEntry) -> PreparedEntry | UnreadableEntry:
        if isinstance(entry, UnreadableEntry):
            return entry
        keys = entry_keys(entry)
        row = writer.reference_row(entry, keys, file_format)
        return PreparedEntry(entry.position, keys, keys.pmid, entry.raw, row)

    smallest = settings.IMPORT_PARSE_PROCESS_MIN_BYTES
    if path is not None and smallest is not None and Path(path).stat().st_size >= smallest:
        return ParseProcess(path, file_format=file_format, size=BATCH_SIZE, prepare=prepare)
    return ReadAhead(entries, size=BATCH_SIZE, prepare=prepare)


def _analyze() -> None:
    """Refresh PostgreSQL's statistics of the tables a large import has filled. Until
    autovacuum does, the planner takes them for as small as they were, and can pick an index
    that scans every screening row of the review to find one (11 ms instead of 0.1 ms at
    100,000 references)."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name

    def table(model) -> str:
        columns = [f.column for f in model._meta.concrete_fields if f.name not in UNPLANNED]
        return f"{quote(model._meta.db_table)} ({', '.join(map(quote, columns))})"

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(table(m) for m in (Record, ScreeningItem)))
        # The references' rows are the widest: a sample of 3,000 rather than 30,000 (statistics
        # target 10) gives the planner their number and the spread of their keys in a tenth of
        # the time; autovacuum's next ANALYZE takes the full sample.
        cursor.execute("SELECT current_setting('default_statistics_target')")
        target = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('default_statistics_target', '10', true)")
        cursor.execute("ANALYZE " + table(Reference))
        cursor.execute("SELECT set_config('default_statistics_target', %s, true)", [target])


def search_add_tally(search: Search, tally: Tally) -> None:
    """Add what an import or a PubMed run inserted to the search's counts."""
    search.entries += tally.entries
    search.records_count += tally.records
    search.references_created += tally.created
    search.duplicates += tally.duplicates
    search.unreadable += len(tally.unreadable)
    search.unreadable_entries = [*search.unreadable_entries, *tally.unreadable]
    search.save(
        update_fields=[
            "entries",
            "records_count",
            "references_created",
            "duplicates",
            "unreadable",
            "unreadable_entries",
        ]
    )


def _refuse_same_file(review: Review, source: Source, sha256: str) -> None:
    """Refuse a file whose same bytes were imported into the source already."""
    earlier = same_file_search(review=review, source_name=source.name, sha256=sha256)
    if earlier:
        who = f" by {earlier.run_by.get_username()}" if earlier.run_by else ""
        raise ImportRefused(
            f"This file was imported into {source.name} already, on {earlier.run_at:%d %b %Y}{who} "
            f"({earlier.records_count} records, as '{earlier.file_name}'). Importing it again "
            "would count its records twice; if that is what you mean, ask for it "
            "(--allow-same-file, or the tick box on upload)."
        )


@transaction.atomic
def references_import(
    *,
    review: Review,
    source: Source,
    path: str | Path,
    file_name: str,
    user: AbstractBaseUser | None,
    file_format: str = "auto",
    skip_unreadable: bool = False,
    allow_same_file: bool = False,
    sha256: str | None = None,
    progress: Callable[[int], None] | None = None,
    search_details: dict | None = None,
) -> Search:
    """Import one file as a search of `source`. All of it lands, or none of it.
    `search_details`: the search's documentation (search_documentation.DOCUMENTATION_FIELDS).

    Raises ImportFileError (the file cannot be read) or ImportRefused (it was read, but
    importing it is refused: unreadable entries without `skip_unreadable`, the same file again
    without `allow_same_file`, no records).
    """
    sha256 = sha256 or file_sha256(path)
    if not allow_same_file:
        _refuse_same_file(review, source, sha256)
    parsed_file = _open(path, file_format)
    search = Search.objects.create(
        review=review,
        source=source,
        run_at=timezone.now(),
        run_by=user if user is not None and user.is_authenticated else None,
        file_name=file_name[:255],
        file_sha256=sha256,
        file_size=Path(path).stat().st_size,
        file_format=parsed_file.format,
        warnings=list(parsed_file.warnings),
        **documentation_fields(search_details),
    )
    tally = records_insert(
        review=review,
        search=search,
        entries=parsed_file.entries(),
        file_format=parsed_file.format,
        progress=progress,
        path=Path(path),
    )
    if tally.records == 0:
        raise ImportRefused(_no_records_message(parsed_file.format, len(tally.unreadable)))
    if tally.unreadable and not skip_unreadable:
        raise ImportRefused(
            f"{len(tally.unreadable)} of the {tally.entries} entries in '{file_name}' could not "
            "be read, so nothing was imported. Fix them, or import the readable ones and keep "
            "these on the search (--skip-unreadable, or the tick box on upload):\n"
            + _describe_unreadable(tally.unreadable, len(tally.unreadable))
        )
    search_add_tally(search, tally)
    proposed = duplicate_candidates_propose(review=review, reference_ids=tally.new_reference_ids)
    audit_record(
        review=review,
        actor=user,
        action=AuditAction.IMPORT,
        obj=search,
        after={
            "source": source.name,
            "file_name": search.file_name,
            "sha256": sha256,
            "format": search.file_format,
            "entries": tally.entries,
            "records": tally.records,
            "references_created": tally.created,
            "duplicates": tally.duplicates,
            "unreadable": len(tally.unreadable),
            "near_duplicates_proposed": proposed,
            **({"documentation": documentation_json(search_details)} if search_details else {}),
        },
    )
    return search
