"""Text written into files people open in Excel, WPS or Word: one rule for every export
(the ledger template, the item exports, the meeting pack).

- Control characters that XML 1.0 forbids (U+0000–U+001F except tab, line feed and carriage
  return) are dropped: openpyxl and python-docx refuse them, and a title pasted from another
  program can carry one (a 500 on download otherwise).
- Text a spreadsheet would run as a formula (it starts with =, +, -, @, or a tab or carriage
  return that some spreadsheets strip before looking) is kept as text with a leading
  apostrophe, unless it is a plain number such as "-5".
"""

from __future__ import annotations

import re
from typing import Any

_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def xml_text(value: str) -> str:
    """``value`` without the characters an Office file cannot hold."""
    return _NOT_XML.sub("", value)


def cell(value: Any) -> Any:
    """A value for a spreadsheet cell (xlsx or CSV): numbers and dates as they are, text safe."""
    if not isinstance(value, str):
        return value
    value = xml_text(value)
    if value[:1] in _FORMULA_START and not _is_number(value):
        return "'" + value
    return value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True
