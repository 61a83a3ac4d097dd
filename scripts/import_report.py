#!/usr/bin/env python3
"""How well the plan importer reads real documents: target recall and precision per file.

Parses every ``NN_*.txt`` in ``../shared/plans/`` (beside the repository; line 1 is the source and
is dropped) and compares the targets found with what a careful reader extracted
(``expected.json``). Prints, per file and in total, recall, precision, comparator agreement and the
structure found (parts, sections, items, plan goals) beside the expected structure.

Scoring, so the figures mean one thing:
- a target found is the plan's goals plus every item goal not linked to a plan goal (a linked item
  goal restates a plan goal and is the same target);
- a found target matches an expected one when the value (both ends of a range) and the unit are
  equal and the two sit in the same words: the subjects share enough character pairs, or the
  found source text and the expected text share a run of at least six characters. Matching is one
  to one, best pairs first;
- expected entries flagged ``conf`` (debatable) or ``dup`` (a repeat of another target) are
  optional: finding them counts neither for nor against; missing them does not lower recall;
- a file fails when the import would be refused, when a file without targets yields any, or when
  its recall is below 80% or its precision below 75%.

Usage: ``scripts/import_report.py [--json] [--verbose]`` (exit 1 when a file fails or a total
misses its goal: recall >= 95%, precision >= 90%).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from closedloop.domain.plan_parser import parse_plan  # noqa: E402



def shared_dir() -> Path:
    """``shared/`` beside the checkout (a clone's parent); a git worktree nested deeper finds
    it in the nearest ancestor that has one."""
    for parent in REPO.parents:
        if (parent / "shared").is_dir():
            return parent / "shared"
    return REPO.parent / "shared"


PLANS = shared_dir() / "plans"
GOAL_RECALL, GOAL_PRECISION = 0.95, 0.90
FILE_RECALL, FILE_PRECISION = 0.80, 0.75


@dataclass
class Found:
    subject: str
    value: float
    upper: float | None
    unit: str
    comparator: str
    source: str


@dataclass
class FileScore:
    name: str
    expected: int = 0
    optional: int = 0
    found: int = 0
    matched: int = 0
    matched_optional: int = 0
    comparator_agree: int = 0
    achievements_taken: int = 0
    refused: str = ""
    structure: dict = field(default_factory=dict)
    expected_structure: dict = field(default_factory=dict)
    missed: list = field(default_factory=list)
    false: list = field(default_factory=list)
    wrong_comparator: list = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        counted = self.found - self.matched_optional
        return self.matched / counted if counted else 1.0

    @property
    def fails(self) -> bool:
        if self.refused:
            return True
        if not self.expected:
            return self.found - self.matched_optional > 0
        return self.recall < FILE_RECALL or self.precision < FILE_PRECISION


def _unit(u: str) -> str:
    return (u or "").replace("％", "%").replace(" ", "")


def _bigrams(s: str) -> set[str]:
    s = "".join(ch for ch in s if not ch.isspace())
    return {s[i : i + 2] for i in range(len(s) - 1)}


def _dice(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def _common_run(a: str, b: str) -> int:
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _same_value(e: dict, f: Found) -> bool:
    v = e["value"]
    if isinstance(v, list):
        return f.upper is not None and _close(v[0], f.value) and _close(v[1], f.upper)
    return _close(float(v), f.value)


def _comparator_of(f: Found) -> str:
    return f.comparator


def found_targets(plan) -> list[Found]:
    """Plan goals plus the item goals that do not restate one."""
    out = []

    def add(g):
        out.append(
            Found(
                subject=g.subject,
                value=float(g.value),
                upper=getattr(g, "upper", None),
                unit=_unit(g.unit),
                comparator=getattr(g, "report_comparator", lambda: g.comparator)(),
                source=getattr(g, "source", "") or "",
            )
        )

    for g in plan.goals:
        add(g)
    for s in plan.sections:
        for it in s.items:
            for g in it.goals:
                if g.plan_goal is None:
                    add(g)
    return out


def _structure(plan) -> dict:
    return {
        "parts": getattr(plan, "part_count", None),
        "sections": len(plan.sections),
        "items": plan.item_count,
        "plan_goals": len(plan.goals),
    }


def score_file(path: Path, expected: dict) -> FileScore:
    text = path.read_text(encoding="utf-8").split("\n", 1)[1]
    fs = FileScore(name=path.name)
    st = expected.get("structure") or {}
    fs.expected_structure = {k: st.get(k) for k in ("parts", "sections", "items")}
    try:
        plan = parse_plan(text)
    except Exception as exc:  # the report must show a crash as a failure, not stop
        fs.refused = f"parser raised {exc.__class__.__name__}: {exc}"
        return fs
    if plan.missing():
        fs.refused = "；".join(m for _, m in plan.missing())
    fs.structure = _structure(plan)
    found = found_targets(plan)
    fs.found = len(found)
    targets = expected.get("targets") or []
    optional = [bool(t.get("conf") or t.get("dup")) for t in targets]
    fs.expected = sum(1 for o in optional if not o)
    fs.optional = sum(optional)

    pairs = []
    for i, e in enumerate(targets):
        for j, f in enumerate(found):
            if _unit(e["unit"]) != f.unit or not _same_value(e, f):
                continue
            name_sim = _dice(e["name"], f.subject)
            run = _common_run(e["text"], f.source) if f.source else 0
            if name_sim >= 0.34 or run >= 6:
                pairs.append((name_sim + run / 20, i, j))
    pairs.sort(reverse=True)
    used_e, used_f = set(), set()
    for _, i, j in pairs:
        if i in used_e or j in used_f:
            continue
        used_e.add(i)
        used_f.add(j)
        e, f = targets[i], found[j]
        if optional[i]:
            fs.matched_optional += 1
            continue
        fs.matched += 1
        if _comparator_of(f) == e["comparator"]:
            fs.comparator_agree += 1
        else:
            fs.wrong_comparator.append(f"{e['name']}: {f.comparator} ≠ {e['comparator']}（{e['text']}）")
    fs.missed = [f"{t['name']} {t['value']}{t['unit']}（{t['text']}）" for i, t in enumerate(targets) if i not in used_e and not optional[i]]
    achievements = expected.get("achievements") or []
    for j, f in enumerate(found):
        if j in used_f:
            continue
        fs.false.append(f"{f.subject} {f.comparator} {f.value}{'–' + str(f.upper) if f.upper is not None else ''}{f.unit}（{f.source}）")
        if any(_unit(a["unit"]) == f.unit and _close(float(a["value"]), f.value) for a in achievements):
            fs.achievements_taken += 1
    return fs


def score_all(plans_dir: Path = PLANS) -> tuple[list[FileScore], dict]:
    expected = json.loads((plans_dir / "expected.json").read_text(encoding="utf-8"))["files"]
    scores = [score_file(plans_dir / name, exp) for name, exp in sorted(expected.items()) if (plans_dir / name).exists()]
    exp = sum(s.expected for s in scores)
    counted = sum(s.found - s.matched_optional for s in scores)
    matched = sum(s.matched for s in scores)
    total = {
        "files": len(scores),
        "expected": exp,
        "found": sum(s.found for s in scores),
        "matched": matched,
        "recall": matched / exp if exp else 1.0,
        "precision": matched / counted if counted else 1.0,
        "comparator_agreement": sum(s.comparator_agree for s in scores) / matched if matched else 1.0,
        "failed_files": [s.name for s in scores if s.fails],
    }
    return scores, total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--verbose", "-v", action="store_true", help="list missed and false targets")
    ap.add_argument("--dir", type=Path, default=PLANS, help="folder of plans with expected.json")
    args = ap.parse_args(argv)
    if not (args.dir / "expected.json").exists():
        print(f"{args.dir}/expected.json not found", file=sys.stderr)
        return 2
    scores, total = score_all(args.dir)
    if args.json:
        print(json.dumps({"files": [{**s.__dict__, "recall": s.recall, "precision": s.precision, "fails": s.fails} for s in scores], "total": total}, ensure_ascii=False, indent=2))
    else:
        print(f"{'file':40} {'exp':>4} {'opt':>4} {'found':>5} {'hit':>4} {'recall':>7} {'prec':>7} {'cmp':>5}  structure found (expected)")
        for s in scores:
            st, ex = s.structure, s.expected_structure
            shape = (
                f"parts {st.get('parts')} ({ex.get('parts')}), sections {st.get('sections')} ({ex.get('sections')}), "
                f"items {st.get('items')} ({ex.get('items')}), plan goals {st.get('plan_goals')}"
            )
            flag = "  FAIL" if s.fails else ""
            print(
                f"{s.name:40} {s.expected:4} {s.optional:4} {s.found:5} {s.matched:4} {s.recall:7.1%} {s.precision:7.1%} "
                f"{s.comparator_agree:5}  {shape}{flag}"
            )
            if s.refused:
                print(f"    refused: {s.refused}")
            if args.verbose:
                for m in s.missed:
                    print(f"    missed: {m}")
                for f in s.false:
                    print(f"    false:  {f}")
                for w in s.wrong_comparator:
                    print(f"    comparator: {w}")
        print(
            f"TOTAL {total['files']} files: expected {total['expected']}, found {total['found']}, matched {total['matched']}; "
            f"recall {total['recall']:.1%}, precision {total['precision']:.1%}, comparator agreement "
            f"{total['comparator_agreement']:.1%}; failed files: {', '.join(total['failed_files']) or 'none'}"
        )
    ok = not total["failed_files"] and total["recall"] >= GOAL_RECALL and total["precision"] >= GOAL_PRECISION
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
