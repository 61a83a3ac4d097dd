"""What a reported number may be: a goal's actual value and a project's progress, as typed.

One home for the rules shared by the Excel upload (``services/ledger_xlsx.py``) and the
one-page weekly report form: how a typed text becomes a number (full-width digits, thousands
separators, a trailing %), and which values a goal of a given measure unit can take.
The messages are for the user and name no field: the caller says where the value was.
"""

from __future__ import annotations

import math
import unicodedata

# Units that count things: a count cannot be negative.
COUNT_UNITS = frozenset({"家", "个", "名", "项", "件", "人", "户", "次", "所", "座", "处", "条", "套", "台", "辆", "场", "批", "篇", "人次"})
# Amounts of money or of physical quantities are not negative either.
AMOUNT_UNITS = frozenset({"万人", "亿元", "万元", "元", "万", "亿", "公里", "千米", "米", "平方米", "万平方米", "亩", "公顷", "吨", "万吨", "千瓦", "兆瓦"})
PERCENT_UNITS = frozenset({"%", "％", "百分比"})

LIMIT = 1e15  # what the API accepts for any goal value (api/schemas/common.py Finite)
PERCENT_MIN, PERCENT_MAX = -100.0, 1000.0  # a rate may fall (−100 % is all of it) or grow several-fold


class BadValue(ValueError):
    """A typed value that is not acceptable (the message is for the user)."""


def parse_number(raw: object) -> float | None:
    """A number from what a cell or form field holds; None when it is empty.

    Accepts numbers, and texts such as ``1,234.5``, ``１２３`` (full-width) or ``12.5%``
    (the % sign is dropped: the goal's unit already says it is a percentage).
    Raises BadValue("不是数字") otherwise.
    """
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise BadValue("不是数字")
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip().replace(",", "").replace(" ", "")
        if not text:
            return None
        if text.endswith("%"):
            text = text[:-1]
        try:
            value = float(text)
        except ValueError:
            raise BadValue("不是数字") from None
    else:  # a date, a time, an error value
        raise BadValue("不是数字")
    if not math.isfinite(value):
        raise BadValue("不是数字")
    return value


def goal_value_problem(value: float, measure_unit: str | None) -> str | None:
    """Why ``value`` cannot be a goal's actual value in ``measure_unit``, or None."""
    unit = (measure_unit or "").strip()
    if abs(value) > LIMIT:
        return "数值超出范围"
    if unit in PERCENT_UNITS and not PERCENT_MIN <= value <= PERCENT_MAX:
        return f"百分比应在 {PERCENT_MIN:g} 到 {PERCENT_MAX:g} 之间"
    if (unit in COUNT_UNITS or unit in AMOUNT_UNITS) and value < 0:
        return f"以“{unit}”计的数值不能为负数"
    if unit in COUNT_UNITS and value != int(value):
        return f"以“{unit}”计的数值应为整数"
    return None


def goal_value_bounds(measure_unit: str | None) -> tuple[float, float]:
    """The closed range a spreadsheet's data validation offers for a goal of this unit."""
    unit = (measure_unit or "").strip()
    if unit in PERCENT_UNITS:
        return PERCENT_MIN, PERCENT_MAX
    if unit in COUNT_UNITS or unit in AMOUNT_UNITS:
        return 0.0, LIMIT
    return -LIMIT, LIMIT


def progress_problem(value: float) -> str | None:
    """Why ``value`` cannot be a project's progress (a whole percent 0–100), or None."""
    if not 0 <= value <= 100:
        return "项目进度应在 0 到 100 之间"
    if value != int(value):
        return "项目进度应为整数"
    return None
