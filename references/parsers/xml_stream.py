"""Reading the records of a large XML file one at a time, with memory that stays flat.

lxml's `iterparse` hands over each record element once its end tag is read; after it has been
turned into an entry it is cleared together with the siblings before it. No DTD is loaded or
fetched and no entity is resolved (`xml_safety`); detection has already refused any DOCTYPE
that declares entities. A file cut short or damaged is refused with a sentence saying so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from lxml import etree

from references.parsers.base import Entry, ImportFileError
from references.parsers.xml_safety import xml_parser_options

# libxml2's XML_ERR_TAG_NAME_MISMATCH: a wrong end tag is damage, not a cut-off file.
_TAG_MISMATCH = 76


class CountingReader:
    """A binary file wrapper that knows whether the parser has read up to the end."""

    def __init__(self, handle):
        self._handle = handle
        self.at_end = False
        self.lines = 1

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        if data:
            self.lines += data.count(b"\n")
        else:
            self.at_end = True
        return data


def stream_records(
    path: Path, tags: tuple[str, ...], to_entry: Callable[[etree._Element], Entry]
) -> Iterator[Entry]:
    """The entries `to_entry` makes of each element named in `tags`, in file order."""
    with path.open("rb") as handle:
        reader = CountingReader(handle)
        context = etree.iterparse(
            reader, events=("end",), tag=tags, remove_comments=True, **xml_parser_options()
        )
        try:
            for _, element in context:
                yield to_entry(element)
                # Free what has been read: the element, and everything before it.
                element.clear(keep_tail=False)
                parent = element.getparent()
                if parent is not None:
                    while element.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as error:
            raise syntax_error(error, reader) from None


def syntax_error(error: etree.XMLSyntaxError, reader: CountingReader) -> ImportFileError:
    """The sentence for XML that stops parsing: cut short at the end, or damaged at a line."""
    line = error.lineno or 0
    if reader.at_end and line >= reader.lines - 1 and error.code != _TAG_MISMATCH:
        return ImportFileError(
            "The file ends in the middle of a record: it looks truncated (cut off during "
            "download or copying). Download or export it again; the records before the cut "
            "were not imported."
        )
    return ImportFileError(
        f"The XML is damaged at line {line}: {error.msg}. Export the file again; if the "
        "error remains, the records up to that line can be imported by cutting the file there."
    )
