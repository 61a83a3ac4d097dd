"""Text for Excel, WPS and Word files: characters those files cannot hold are dropped, text a
spreadsheet would run as a formula stays text, numbers stay numbers."""

import datetime as dt

from closedloop.services import office


def test_control_characters_are_dropped_but_line_breaks_and_tabs_kept():
    assert office.cell("科技\x01特派员\x0b") == "科技特派员"
    assert office.xml_text("第一行\n第二行\t完\x1f") == "第一行\n第二行\t完"


def test_formula_text_is_kept_as_text_but_numbers_and_dates_are_values():
    assert office.cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert office.cell("@SUM(A1)") == "'@SUM(A1)"
    assert office.cell("\x02=1+1") == "'=1+1"  # a control character cannot hide a formula
    assert office.cell("-5") == "-5" and office.cell("+3.5") == "+3.5"
    assert office.cell(-5) == -5 and office.cell(None) is None
    assert office.cell(dt.date(2026, 11, 28)) == dt.date(2026, 11, 28)
