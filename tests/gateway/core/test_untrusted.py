"""gateway/core/untrusted.py: what reaches a staff terminal or a spreadsheet from sender-supplied text."""

from __future__ import annotations

import json

import pytest

from gateway.core.untrusted import csv_cell, for_terminal, from_csv_cell, json_for_terminal


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Calme à Koro", "Calme à Koro"),
        ("a\x1b[2Jb", "a[2Jb"),  # erase screen: ESC removed, the rest is harmless text
        ("bell\x07", "bell"),
        ("csi\x9b31m", "csi31m"),  # 8-bit CSI
        ("nul\x00 del\x7f", "nul del"),
        ("over\rwrite", "overwrite"),  # a carriage return would let a report overwrite its own line
        ("col\tumn", "col umn"),
        ("two\nlines", "two\nlines"),  # newlines stay
        ("Ségou ✓ ߒߞߏ", "Ségou ✓ ߒߞߏ"),  # accents, symbols and N'Ko are text
    ],
)
def test_for_terminal(text, shown):
    assert for_terminal(text) == shown


def test_json_for_terminal_is_the_same_json_value():
    value = {"d": "x\x9by\x7f\x1b"}
    text = json_for_terminal(json.dumps(value, ensure_ascii=False))
    assert "\x9b" not in text and "\x7f" not in text and "\x1b" not in text
    assert json.loads(text) == value


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+22376123456", "'+22376123456"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Awa Traoré", "Awa Traoré"),
        ("a=b", "a=b"),
        (None, ""),
        (1234567, "1234567"),
    ],
)
def test_csv_cell_neutralises_formulas_and_from_csv_cell_undoes_it(cell, written):
    assert csv_cell(cell) == written
    assert from_csv_cell(written) == ("" if cell is None else str(cell))


def test_from_csv_cell_keeps_a_leading_apostrophe_that_is_text():
    assert from_csv_cell("'Tis") == "'Tis"
    assert from_csv_cell("'+22376123456", always=True) == "+22376123456"
    assert from_csv_cell("'1234567", always=True) == "1234567"
