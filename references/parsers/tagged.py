"""Tagged-record files (RIS, Web of Science), cut into records here and read by rispy.

Cutting the records ourselves keeps each record's own text as `raw`, and notices a record that
lacks its end tag: one cut short by the next record is read with a warning; one cut short by
the end of the file is unreadable (the file may be truncated).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from references.parsers.base import Entry, ParsedReference, UnreadableEntry


def tagged_entries(
    lines: Iterable[str],
    *,
    starts: Callable[[str], bool],
    ends: Callable[[str], bool],
    parser,
    end_line: str,
    to_reference: Callable[[dict], ParsedReference],
    skip: Callable[[str], bool] = lambda line: False,
) -> Iterator[Entry]:
    """Entries of a tagged file. `starts`/`ends` recognise a record's first and last lines,
    `skip` lines inside a record to leave out, `end_line` closes a record that lacks one."""

    def read(record: list[str], number: int, missing_end: bool = False) -> Entry:
        raw = "\n".join(record).strip()
        try:
            parsed = parser.parse_lines(iter([*record, end_line] if missing_end else record))
            reference = to_reference(parsed[0])
        except Exception as error:  # noqa: BLE001 - one odd record must not stop the import
            return UnreadableEntry(
                position=number,
                reason=f"record {number} could not be read ({error.__class__.__name__}: {error})",
                excerpt=raw[:300],
            )
        reference.raw = raw
        if missing_end:
            reference.warnings.append(f"record {number} has no end tag ER before the next record")
        return reference

    record: list[str] | None = None
    count = 0
    for line in lines:
        if record is None:
            if starts(line):
                record = [line]
                count += 1
            continue
        if starts(line):
            # A new record began before the previous one ended: the previous one is complete
            # up to here, so read it, but say that its end tag is missing.
            yield read(record, count, missing_end=True)
            record = [line]
            count += 1
            continue
        if skip(line):
            continue
        record.append(line)
        if ends(line):
            yield read(record, count)
            record = None
    if record is not None:
        yield UnreadableEntry(
            position=count,
            reason=f"record {count} has no end tag ER; the file may be truncated",
            excerpt="\n".join(record)[:300],
        )
