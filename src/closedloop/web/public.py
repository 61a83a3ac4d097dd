"""Public pages, no login: the latest 晾晒, one edition, the archive."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath
from litestar.response import Template

from closedloop.api.security import PUBLIC_OPT
from closedloop.domain.lights import LIGHT_NAMES, Light
from closedloop.services import publishing
from closedloop.services.common import local_zone

LIGHTS = {l.value: LIGHT_NAMES[l] for l in Light}


def _ranking(pub: dict) -> Template:
    top = max((r["score"] for r in pub["rows"]), default=0) or 1
    rows = [
        {**r, "bar": max(0.0, min(100.0, 100 * r["score"] / top)), "change": None if r["previous_rank"] is None else r["previous_rank"] - r["rank"]}
        for r in pub["rows"]
    ]
    return Template(
        template_name="ranking.html",
        context={
            "pub": pub,
            "rows": rows,
            "light_names": LIGHTS,
            "cutoff": pub["cutoff"].astimezone(local_zone()).strftime("%Y-%m-%d %H:%M"),
            "published": pub["published_at"].astimezone(local_zone()).strftime("%Y-%m-%d %H:%M"),
            "corrected_edition": pub["edition"] - 1,
        },
    )


def _empty(heading: str, message: str, status: int = 200) -> Template:
    return Template(template_name="empty.html", context={"heading": heading, "message": message}, status_code=status)


class PublicController(Controller):
    path = "/rankings"
    opt = {PUBLIC_OPT: True}
    include_in_schema = False

    @get("/")
    async def latest(self) -> Template:
        pub = await publishing.latest_edition()
        if pub is None:
            return _empty("工作晾晒", "尚未发布任何晾晒。首期将在统计截止时间后自动发布。")
        return _ranking(pub)

    @get("/archive")
    async def archive(self) -> Template:
        pubs = await publishing.list_publications()
        for p in pubs:
            p["cutoff_local"] = p["cutoff"].astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
        return Template(template_name="archive.html", context={"pubs": pubs})

    @get("/{cadence:str}/{period:str}")
    async def edition(self, cadence: FromPath[str], period: FromPath[str]) -> Template:
        pub = await publishing.latest_edition(cadence, period)
        if pub is None:
            return _empty("未找到该期晾晒", f"{cadence} {period} 没有已发布的晾晒。", status=404)
        return _ranking(pub)
