"""What the parser returns: a plan's title block, plan-level goals and sections of items."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# The comparators a stored goal may carry (lights and gates understand exactly these).
COMPARATORS = (">=", ">", "<=", "<", "=")


@dataclass
class ParsedGoal:
    """One quantified target.

    ``comparator`` is what the goal is checked with (one of ``COMPARATORS``); the wording it came
    from is kept apart: ``approx`` (…左右/约), ``plain`` (a bare amount, 新增X), ``upper`` (the high
    end of a range 5%–6%, ``value`` being the low end), ``stretch`` (the 争取 tier of 确保…、争取…).
    ``kind`` says whether the value is a level, or a growth or decline rate (增长6% is a rate of
    change, not a level of 6%).
    """

    subject: str
    comparator: str
    value: float
    unit: str
    plan_goal: int | None = None
    source: str = ""
    kind: str = "level"
    approx: bool = False
    plain: bool = False
    upper: float | None = None
    stretch: float | None = None
    horizon: int | None = None
    baseline: float | None = None  # 基数 of an indicator table row

    def key(self) -> tuple[str, float, str]:
        return (self.subject, self.value, self.unit)

    def report_comparator(self) -> str:
        """The comparator as a reader names the wording: ``range``, ``~`` (左右), ``=`` (a plain
        amount) or the checked comparator."""
        if self.upper is not None:
            return "range"
        if self.approx:
            return "~"
        if self.plain:
            return "="
        return self.comparator

    def to_json(self, with_link: bool) -> dict:
        d = {
            "subject": self.subject,
            "comparator": self.comparator,
            "value": _num(self.value),
            "unit": self.unit,
            "kind": self.kind,
        }
        if self.upper is not None:
            d["upper"] = _num(self.upper)
        if self.stretch is not None:
            d["stretch"] = _num(self.stretch)
        if self.approx:
            d["approx"] = True
        if self.horizon:
            d["horizon"] = self.horizon
        if self.baseline is not None:
            d["baseline"] = _num(self.baseline)
        d["source"] = self.source
        if with_link:
            d["plan_goal"] = self.plan_goal  # type: ignore[assignment]  # the link is an int index when set; the JSON dict is typed by its first values
        return d


def _num(v: float) -> float | int:
    return int(v) if v == int(v) and abs(v) < 1e15 else v


@dataclass
class ParsedItem:
    code: str
    title: str
    text: str
    goals: list[ParsedGoal] = field(default_factory=list)
    # unit names from a （…负责） / （牵头单位：…） note or a 责任分工 row, lead unit first
    units: list[str] = field(default_factory=list)
    deadline: date | None = None  # 完成时限 of a 责任分工 row
    person: str = ""  # 责任人 of a 责任分工 row


@dataclass
class ParsedSection:
    code: str
    title: str
    text: str
    items: list[ParsedItem] = field(default_factory=list)


@dataclass
class ParsedPlan:
    title: str
    issuer: str | None
    issued_on: date | None
    year: int | None
    goals: list[ParsedGoal] = field(default_factory=list)
    sections: list[ParsedSection] = field(default_factory=list)
    # headings of the parts (一、…) found, with the role read from each: goals, tasks, review, other
    parts: list[tuple[str, str]] = field(default_factory=list)
    end_year: int | None = None  # the last year of a multi-year plan (2022—2024年)

    @property
    def item_count(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def part_count(self) -> int:
        return len(self.parts)

    def all_goals(self) -> list[ParsedGoal]:
        """Every distinct target: the plan goals and the item goals that do not restate one."""
        return self.goals + [g for s in self.sections for i in s.items for g in i.goals if g.plan_goal is None]

    def missing(self) -> list[tuple[str, str]]:
        """What a plan needs and this text lacks: (field, Chinese message) pairs. A text with
        targets but no task part is still a plan (its goals are imported)."""
        out = []
        if not self.title:
            out.append(("title", "未找到计划标题"))
        if not self.sections and not self.goals:
            out.append(("sections", "未找到重点工作/主要任务部分的分项（如“（一）”），也未找到量化目标"))
            out.append(("items", "未找到任何工作事项（如“一是”“1.”“（1）”）"))
        elif self.sections and not self.item_count:
            out.append(("items", "未找到任何工作事项（如“一是”“1.”“（1）”）"))
        return out

    def to_json(self) -> dict:
        """The JSON shape of ``closedloop import --json`` and of the import preview."""
        return {
            "title": self.title,
            "issuer": self.issuer,
            "issued_on": self.issued_on.isoformat() if self.issued_on else None,
            "year": self.year,
            "end_year": self.end_year,
            "parts": [{"heading": h, "role": r} for h, r in self.parts],
            "goals": [g.to_json(with_link=False) for g in self.goals],
            "sections": [
                {
                    "code": s.code,
                    "title": s.title,
                    "items": [
                        {
                            "code": i.code,
                            "title": i.title,
                            "text": i.text,
                            "units": i.units,
                            "deadline": i.deadline.isoformat() if i.deadline else None,
                            "goals": [g.to_json(with_link=True) for g in i.goals],
                        }
                        for i in s.items
                    ],
                }
                for s in self.sections
            ],
        }
