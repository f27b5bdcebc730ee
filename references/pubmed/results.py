"""What a search returns to its caller: plain data, no ORM."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class QueryCount:
    """What PubMed says of a query before anything is fetched."""

    query: str
    count: int
    translation: str
    warnings: list[str] = field(default_factory=list)  # phrases not found, ignored...


@dataclass
class QueryResult(QueryCount):
    pmids: list[str] = field(default_factory=list)  # in PubMed's order, each once
    # The publication-date parts the result was split into (empty when it came whole), with
    # their counts: [("1700/01/01-1987/06/05", 8123), ...].
    parts: list[tuple[str, int]] = field(default_factory=list)
