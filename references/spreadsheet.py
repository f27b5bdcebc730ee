"""The one rule for a cell written to a CSV that a spreadsheet will open.

A spreadsheet runs a cell that starts with "=", "+", "-", "@", a tab or a carriage return as a
formula ("=HYPERLINK(...)", "-2+3+cmd|' /C calc'!A0"). OWASP's CSV injection advice: make such a
cell text by putting an apostrophe before it. Numbers are the exception: an int, a float or a
Decimal, or a text that is nothing but one plain number ("-0.52", "1e-3"), is left bare so that it
stays a number; it cannot call anything. Every CSV export of the project writes its cells
through `spreadsheet_cell`."""

from __future__ import annotations

import re
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")


def spreadsheet_cell(value: object) -> str:
    """The text of one cell: "" for None, numbers as they are, any other text that begins like
    a formula kept as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text
