"""Every operation in the OpenAPI document, sent empty and wrongly typed bodies and
parameters, answers 4xx with the JSON error shape, never 5xx."""

import re

import pytest

BAD_BODIES = [None, b"", b"{", b"[]", b'"text"', b"123", b'{"version": "x", "to": 5, "item_ids": "a"}', b'{"a": {"b": []}}']


def fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


@pytest.mark.parametrize("role", ["admin", "lead_a"])
async def test_no_operation_answers_5xx_to_bad_input(client, world, role):
    schema = client.app.openapi_schema.to_schema()
    headers = world.headers[role]
    checked = 0
    for path, ops in schema["paths"].items():
        for method in ops:
            if method.upper() not in ("GET", "POST", "PATCH", "PUT", "DELETE"):
                continue
            for target in (fill(path, "1"), fill(path, "999999"), fill(path, "abc"), fill(path, "-1")):
                bodies = BAD_BODIES if method.upper() in ("POST", "PATCH", "PUT") else [None]
                for body in bodies:
                    r = await client.request(
                        method.upper(), target + "?page=abc&page_size=-5&plan_id=x&deadline_from=soon&version=z",
                        content=body, headers={**headers, "Content-Type": "application/json"},
                    )
                    checked += 1
                    assert r.status_code < 500, f"{method.upper()} {target} {body!r}: {r.status_code} {r.text}"
                    if r.status_code >= 400:
                        err = r.json()["error"]
                        assert err["message"] and isinstance(err["problems"], list)
    assert checked > 300


async def test_nul_characters_and_huge_ids_are_4xx_on_both_engines(client, world):
    from closedloop.db.tables import Unit

    h = world.headers["admin"]
    before = await Unit.count()
    r = await client.post("/api/v1/units", json={"name": "区\u0000局"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "body"
    assert await Unit.count() == before
    r = await client.patch("/api/v1/units/99999999999999999999", json={"version": 1, "name": "x"}, headers=h)
    assert r.status_code == 400
    r = await client.get("/api/v1/items?plan_id=99999999999999999999", headers=h)
    assert r.status_code == 400


async def test_a_missing_query_parameter_is_named_in_chinese(client, world):
    """DELETE without its ``version``: Litestar's English message becomes one that names the
    parameter, in the same shape as every other refusal."""
    r = await client.delete(f"/api/v1/goals/{world.goal_a.id}", headers=world.headers["admin"])
    assert r.status_code == 400
    [problem] = r.json()["error"]["problems"]
    assert (problem["field"], problem["message"]) == ("version", "缺少必填参数")
    assert "Missing" not in r.text
