"""What in a parsed plan a person should look at before saving: targets that may be misread."""

from __future__ import annotations

import re

from closedloop.domain.plan_parser.model import ParsedGoal

RATE_UNITS = ("%", "个百分点", "百分点", "‰")


def doubts(g: ParsedGoal, year: int | None) -> list[str]:
    """Chinese reasons to doubt a target; empty when it looks sound."""
    out = []
    if not g.unit:
        out.append("数值没有单位")
    if g.value == int(g.value) and 1949 <= g.value <= 2100 and g.unit not in RATE_UNITS and not g.unit.startswith(("万", "亿")):
        out.append("数值像年份，可能不是目标")
    src = g.source or ""
    m = re.search(r"((?:19|20)\d{2})年", src)
    if re.search(r"已(?:经)?|累计完成|同比|较上年|比上年", src) or (year and m and int(m.group(1)) < year and "到" not in src[: m.start() + 1]):
        out.append("像是已完成的业绩，不是目标")
    if len(g.subject) <= 2:
        out.append("指标名称过短，请补全")
    if g.unit in RATE_UNITS and g.value > 100 and g.kind == "level":
        out.append("百分比超过100")
    if g.value == 0:
        out.append("目标值为0")
    return out
