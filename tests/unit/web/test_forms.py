"""The page form reader: every malformed value becomes the field's message, never an exception."""

import datetime as dt

from litestar.datastructures import FormMultiDict

from closedloop.web.forms import Form, local_path


def form(**fields) -> Form:
    items = []
    for k, v in fields.items():
        items += [(k, x) for x in v] if isinstance(v, list) else [(k, v)]
    return Form(FormMultiDict(items))


def test_ids_numbers_dates_and_periods_become_field_errors():
    f = form(unit_id="99999999999999999999", version="abc", lead="", value="1e400", share="12,5", big="1,234.5", due="2026-13-01",
             period="2026年第48周", bad_period="下周", pct="150", boxes=["3", "x", "4"])
    assert f.ident("unit_id", what="单位") is None and f.errors["unit_id"] == "单位无效，请从列表中选择"
    assert f.ident("version", required=True, what="版本") is None and "刷新页面" in f.errors["version"]
    assert f.ident("lead") is None and "lead" not in f.errors
    assert f.number("value") is None and f.errors["value"] == "数值超出范围"
    assert f.number("share") is None and f.errors["share"] == "请输入数字", "a decimal comma is not guessed at"
    assert f.number("big") == 1234.5
    assert f.date("due") is None and "日期格式" in f.errors["due"]
    assert f.period("period", today=dt.date(2026, 11, 28)) == "2026-W48"
    assert f.period("bad_period", today=dt.date(2026, 11, 28)) is None and "bad_period" in f.errors
    assert f.number("pct", integer=True, low=0, high=100) is None and f.errors["pct"] == "应在 0 到 100 之间"
    assert f.ids("boxes") == [3, 4] and "boxes" in f.errors


def test_a_checkbox_group_with_nothing_ticked_is_an_empty_list():
    f = form(message="hi")
    assert f.ids("item_ids") == [] and not f.errors


def test_redirect_targets_stay_on_the_site():
    assert local_path("http://127.0.0.1:8000/items/3?x=1") == "/items/3?x=1"
    assert local_path("/my") == "/my"
    # another host's URL gives only its path, on this site
    assert local_path("//evil.example/x") == "/x" and local_path("https://evil.example/my") == "/my"
    assert local_path("javascript:alert(1)") is None and local_path("") is None
