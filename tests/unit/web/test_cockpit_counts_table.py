"""The cockpit's per-section and per-unit tables are written in Python (a city's 1,000 units made
the template macro take over a second): they must read exactly as the macro they replaced did,
escaping included, tag for tag."""

from __future__ import annotations

import re

from jinja2 import Environment

from closedloop.services.cockpit import LIGHT_KEYS, STAGE_KEYS, CockpitFilter, items_href
from closedloop.web.cockpit_pages import LIGHT_LABELS, counts_table
from closedloop.web.forms import STAGES

# the template macro as it stood before the table moved to Python (the reference)
MACRO = """{% macro counts_table(groups, id, label, name_key) %}
  <div class="scroll"><table class="counts" id="{{ id }}">
    <thead><tr><th class="name">{{ label }}</th><th>合计</th>{% for k in light_keys %}<th>{{ light_labels[k] }}</th>{% endfor %}<th class="hide-sm">分布</th>
      {% for s in stage_keys %}<th class="hide-sm">{{ stages[s] }}</th>{% endfor %}</tr></thead>
    <tbody>{% for g in groups %}
      <tr data-id="{{ g.id or '' }}"><td class="name">{% if name_key == 'title' %}{{ g.code }} {{ g.title[:20] }}{% else %}{{ g.name }}{% endif %}</td>
        <td><a class="count" href="{{ g.href }}">{{ g.total }}</a></td>
        {% for k in light_keys %}<td><a class="count {% if g.lights[k] == 0 %}zero{% elif k == 'red' %}red{% endif %}" data-light="{{ k }}" href="{{ g.light_links[k] }}">{{ g.lights[k] }}</a></td>{% endfor %}
        <td class="hide-sm">{{ (bars.sections if name_key == 'title' else bars.units)[g.id] | safe }}</td>
        {% for s in stage_keys %}<td class="hide-sm"><a class="count {% if g.stages[s] == 0 %}zero{% endif %}" data-stage="{{ s }}" href="{{ g.stage_links[s] }}">{{ g.stages[s] }}</a></td>{% endfor %}</tr>
    {% else %}<tr><td class="name" colspan="14">没有事项。</td></tr>{% endfor %}</tbody>
  </table></div>
{% endmacro %}"""


def group(gid, n, **names) -> dict:
    scope = CockpitFilter(plan_id=3, unit_id=gid)
    lights = {k: (n * (i + 1)) % 4 for i, k in enumerate(LIGHT_KEYS)}
    stages = {k: (n + i) % 3 for i, k in enumerate(STAGE_KEYS)}
    href = items_href(scope)
    return {"id": gid, "total": sum(lights.values()), "lights": lights, "stages": stages, "href": href,
            "light_links": {k: items_href(scope, light=k) for k in LIGHT_KEYS},
            "stage_links": {k: items_href(scope, stage=k) for k in STAGE_KEYS}, **names}


def squeeze(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def test_the_tables_read_as_the_template_macro_did():
    env = Environment(autoescape=True)
    sections = [group(1, 1, code="（一）", title="优化营商环境<专项>&“放管服”改革，持续推进政务服务标准化"), group(None, 2, code="", title="（未分项）")]
    units = [group(7, 3, name="区科技局"), group(8, 0, name='A&B "单位" <x>')]
    bars = {"sections": {1: "<svg>1</svg>", None: "<svg>n</svg>"}, "units": {7: "<svg>7</svg>", 8: "<svg>8</svg>"}}
    context = {"light_keys": LIGHT_KEYS, "stage_keys": STAGE_KEYS, "light_labels": LIGHT_LABELS, "stages": STAGES, "bars": bars}
    for groups, table_id, label, name_key, own in ((sections, "by-section", "分项", "title", bars["sections"]),
                                                   (units, "by-unit", "牵头单位", "name", bars["units"]), ([], "by-unit", "牵头单位", "name", {})):
        env.globals.update(context)
        expected = env.from_string(MACRO + "{{ counts_table(groups, id, label, name_key) }}").render(
            groups=groups, id=table_id, label=label, name_key=name_key)
        got = str(counts_table(groups, table_id, label, name_key, own))
        assert squeeze(got) == squeeze(expected)
        assert "&amp;" in got or not groups
