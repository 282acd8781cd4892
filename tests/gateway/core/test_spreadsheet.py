"""Exported CSV cells never start a formula in a spreadsheet."""

import pytest

from gateway.core.spreadsheet import neutralise, neutralise_row


@pytest.mark.parametrize(
    ("cell", "exported"),
    [
        ('=HYPERLINK("http://x","clic")', '\'=HYPERLINK("http://x","clic")'),
        ("+223 76 00 00 01", "'+223 76 00 00 01"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Amadou Traoré", "Amadou Traoré"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (3, "3"),
    ],
)
def test_a_cell_that_would_start_a_formula_is_shown_as_text(cell, exported):
    assert neutralise(cell) == exported


def test_a_row_is_neutralised_cell_by_cell():
    assert neutralise_row(["=1", "ok", None]) == ["'=1", "ok", ""]
