"""esearch pages through at most 9,999 PMIDs of a query: a larger result is split by publication
date, halving each range until each part fits (`PubmedClient.search` does the splitting)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# PubMed lets esearch page through the first 9,999 PMIDs of a query (retstart <= 9998).
ESEARCH_MAX_IDS = 9999
# The widest publication-date range a split starts from: PubMed's oldest records are from the
# 1780s, and a few carry next year's date.
EARLIEST = date(1700, 1, 1)


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    def split(self) -> tuple[DateRange, DateRange]:
        middle = self.start + (self.end - self.start) // 2
        return DateRange(self.start, middle), DateRange(middle + timedelta(days=1), self.end)

    @property
    def params(self) -> dict[str, str]:
        return {
            "datetype": "pdat",
            "mindate": self.start.strftime("%Y/%m/%d"),
            "maxdate": self.end.strftime("%Y/%m/%d"),
        }

    def __str__(self) -> str:
        return f"{self.start:%Y/%m/%d}-{self.end:%Y/%m/%d}"


def whole_range() -> DateRange:
    """Every publication date PubMed may hold, up to the end of next year."""
    return DateRange(EARLIEST, date(date.today().year + 1, 12, 31))
