"""One rule for CSV cells a spreadsheet opens (references/spreadsheet.py)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from references.spreadsheet import FORMULA_STARTS, PLAIN_NUMBER, spreadsheet_cell


def test_formulas_become_text_and_numbers_stay_numbers():
    assert spreadsheet_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert spreadsheet_cell("-2+3+cmd|' /C calc'!A0") == "'-2+3+cmd|' /C calc'!A0"
    assert spreadsheet_cell("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_cell("\t=1") == "'\t=1"
    assert spreadsheet_cell("-0.52") == "-0.52"  # a number, not a formula
    assert spreadsheet_cell(Decimal("-1.25")) == "-1.25"
    assert spreadsheet_cell(-3) == "-3"
    assert spreadsheet_cell(None) == ""
    assert spreadsheet_cell("Smith J; Lee K") == "Smith J; Lee K"


@given(st.text())
def test_no_cell_starts_like_a_formula_unless_it_is_a_plain_number(text):
    cell = spreadsheet_cell(text)
    assert cell.startswith(FORMULA_STARTS) is False or PLAIN_NUMBER.fullmatch(cell)
    assert cell.removeprefix("'") == text or cell == text
