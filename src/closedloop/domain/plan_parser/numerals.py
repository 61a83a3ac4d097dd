"""Numerals as plans write them: Arabic (1,200 / 3.5), Chinese of any size (一万二千, 二〇二四)
through cn2an, and the words 一半 (50%) and 翻一番 (2 倍)."""

from __future__ import annotations

import re

import cn2an

CN_DIGITS = "零〇一二两三四五六七八九"
CN_NUM = CN_DIGITS + "十百千万亿"
SEQ_NUMERALS = "一二三四五六七八九十"
_DIGIT_VALUE = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_to_int(s: str) -> int | None:
    """A Chinese numeral to int: 二十 → 20, 五千九百 → 5900, 一万二千 → 12000, 二〇二四 → 2024;
    None when ``s`` is not one."""
    if not s or any(c not in CN_NUM for c in s):
        return None
    if all(c in CN_DIGITS for c in s) and len(s) > 1:  # digit by digit: 二〇二四
        return int("".join(str(_DIGIT_VALUE[c]) for c in s))
    try:
        v = cn2an.cn2an(s.replace("两", "二"), "strict")
    except (ValueError, KeyError, IndexError, TypeError):
        try:
            v = cn2an.cn2an(s.replace("两", "二"), "normal")
        except (ValueError, KeyError, IndexError, TypeError):
            return None
    return int(v) if v == int(v) else None


def to_number(s: str) -> float | None:
    """Arabic (with thousands separators) or Chinese numeral to float; None otherwise."""
    s = s.strip().replace(",", "").replace("，", "")
    if not s:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s)
    n = cn_to_int(s)
    return float(n) if n is not None else None
