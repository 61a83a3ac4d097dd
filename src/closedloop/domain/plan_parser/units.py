"""Matching a unit name as a plan writes it to the units the system knows.

Exact name first; then the usual short forms: the region prefix dropped (重庆市巴南区科学技术局 →
科学技术局, 区科技局 → 科技局) and an abbreviation read as the full name's characters in order,
keeping the first and the last (科技局 ↔ 科学技术局, 发展改革委 ↔ 发展和改革委员会, 经济信息委 ↔
经济和信息化委员会). A short form that fits more than one unit matches none: guessing would assign
work to the wrong office.
"""

from __future__ import annotations

import re

REGION = re.compile(r"^(?:中共)?(?:[\u4e00-\u9fff]{1,8}?(?:省|自治区|市|自治州|州|盟))?(?:[\u4e00-\u9fff]{1,6}?(?:区|县|旗|市))?")
SHORT_PREFIX = re.compile(r"^(?:区|县|市|镇|乡|街道)(?=[\u4e00-\u9fff]{2,})")


def core(name: str) -> str:
    """The name without its region prefix and spaces: 重庆市巴南区科学技术局 → 科学技术局."""
    n = re.sub(r"\s+", "", name or "").strip("（）()")
    m = REGION.match(n)
    rest = n[m.end() :] if m and m.end() < len(n) - 1 else n
    if rest == n:
        rest = SHORT_PREFIX.sub("", n)
    return rest or n


def _abbreviates(short: str, full: str) -> bool:
    """``short`` is ``full``'s characters in order, same first and last (委 standing for 委员会,
    办 for 办公室)."""
    if full.endswith(("委员会", "办公室")):
        full = full[:-2]
    if short == full:
        return True
    if len(short) < 2 or len(short) > len(full) or short[0] != full[0] or short[-1] != full[-1]:
        return False
    it = iter(full)
    return all(ch in it for ch in short)


def match_unit(name: str, known: dict[str, int]) -> int | None:
    """The id of the known unit ``name`` means, or None (no match, or more than one)."""
    name = (name or "").strip()
    if not name:
        return None
    if name in known:
        return known[name]
    c = core(name)
    same = [uid for n, uid in known.items() if core(n) == c]
    if len(set(same)) == 1:
        return same[0]
    fits = {uid for n, uid in known.items() if _abbreviates(c, core(n)) or _abbreviates(core(n), c)}
    return fits.pop() if len(fits) == 1 else None
