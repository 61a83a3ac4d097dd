"""An edition's HTML: the fast rendering (Markdown without its inline processor) must give
exactly what full Markdown gives for every text a ranking can carry."""

import datetime as dt
import html
import re

import markdown
import nh3
import pytest

from closedloop.services import publishing

NAMES = [
    "区科技局",
    "<script>alert(1)</script>",
    "A|B 单位",
    "**粗体** _斜体_ `代码`",
    "[链接](http://example.org) <b>x</b> &amp; & ＆",
    "反斜杠 \\ 和 # 号、> 引用",
]


def _rows() -> list[dict]:
    rows = []
    for n, name in enumerate(NAMES, start=1):
        rows.append({
            "unit": n, "unit_name": name, "rank": n, "previous_rank": None if n == 1 else n + 1,
            "rank_change": None if n == 1 else 1, "score": 90.5 - n, "goal_progress": 0.5, "problems_resolved": n,
            "results_verified": 1, "overdue_items": 0, "urges": 0, "light": ["blue", "green", "yellow", "red"][n % 4],
            "breakdown": {"goal_progress": 30.0, "problems_resolved": 10.0, "results_verified": 5.0, "overdue_penalty": 0.0, "urge_penalty": -1.5},
            "previous_score": None if n == 1 else 88.25, "extensions": n % 2,
        })
    return rows


def _full(body: str) -> str:
    return nh3.clean(
        markdown.markdown(body, extensions=["tables"], output_format="html"),
        tags=publishing.ALLOWED_TAGS, attributes={"th": {"align", "style"}, "td": {"align", "style"}},
    )


@pytest.mark.parametrize("count", [0, 1, 300])
def test_fast_html_equals_full_markdown_for_any_size(count):
    rows = [{**r, "rank": n + 1} for n, r in enumerate((_rows() * 60)[:count])]
    weights = {"goal_progress": 60, "problems_resolved": 20, "results_verified": 20, "overdue_penalty": 2, "urge_penalty": 1}
    body = publishing.render_markdown("晾晒", "monthly", "2024-05", dt.datetime(2024, 5, 31, 16, tzinfo=dt.timezone.utc), rows, weights, None, None)
    assert publishing.render_html(body) == _full(body)


@pytest.mark.parametrize("corrects", [None, {"edition": 1, "content_hash": "ab" * 32}])
def test_fast_html_equals_full_markdown(corrects):
    weights = {"goal_progress": 60, "problems_resolved": 20, "results_verified": 20, "overdue_penalty": 2, "urge_penalty": 1}
    body = publishing.render_markdown(
        "2024年第20周工作晾晒 <i>", "weekly", "2024-W20", dt.datetime(2024, 5, 19, 16, tzinfo=dt.timezone.utc),
        _rows(), weights, corrects, "数据有误 *更正* <b>",
        plan_goals=[
            {"subject": "高新技术企业 <b>", "comparator": ">", "target": 330.0, "measure_unit": "家", "actual": 301.0, "completion": 0.42, "light": "green"},
            {"subject": "研发投入强度", "comparator": ">=", "target": 3.0, "measure_unit": "%", "actual": None, "completion": None, "light": None},
        ],
    )
    full = _full(body)
    fast = publishing.render_html(body)
    assert fast == full
    assert "&lt;script&gt;" in fast and "<script>" not in fast
    assert fast.count("<tr>") == len(NAMES) + 1 + 3  # the ranking and the plan goals
    assert "高新技术企业 &lt;b&gt;" in fast and "&gt;330家" in fast
    # every unit name reads as written (the second cell of each body row)
    cells = re.findall(r"<tr>\n<td[^>]*>[^<]*</td>\n<td>([^<]*)</td>", fast)
    assert [html.unescape(c) for c in cells] == NAMES
