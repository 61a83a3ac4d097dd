"""The demo data set behind ``closedloop serve --demo``.

A plan written for the demo from the facts of the real 2024 plan (its targets and section
structure, in our own words), 16 units, items with lead and cooperating units, goals with
baselines, problems, projects, results with evidence, and ten weeks of simulated progress
reports ending today, with the scan and the weekly 晾晒 run week by week, so that lights, the
escalation ladder and about ten editions with rank changes are all there.

Deterministic (a fixed seed; dates relative to today) and idempotent: a second start finds
the demo plan by its content hash and loads nothing again.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from closedloop.domain import periods
from closedloop.domain.trajectory import expected_completion, goal_start
from closedloop.db.tables import (
    Evidence,
    Goal,
    Plan,
    Problem,
    Project,
    Result,
    Unit,
    User,
    WorkItem,
)
from closedloop.services import items as items_service
from closedloop.services import lights, org, plans, progress, publishing, scan, supervision
from closedloop.services.auth import actor_from_user
from closedloop.services.common import Actor, Clock, local_zone

SEED = 20240403
WEEKS = 10

UNITS = [
    "区科技局", "区发展改革委", "区经济信息委", "区财政局", "区教委", "区人力社保局", "区市场监管局", "区农业农村委",
    "区商务委", "区投资促进中心", "生物城管委会", "科创城管委会", "数字产业园管委会", "区委人才办", "区科协", "区税务局",
]

# (section, item) → lead unit, cooperating units, responsible person, extra goal (subject, unit, target) or None
ASSIGN = {
    ("（一）", "一是"): ("生物城管委会", ["科创城管委会", "数字产业园管委会"], "周明", ("入驻孵化企业", "家", 60, 20)),
    ("（一）", "二是"): ("区科技局", ["区教委"], "刘洋", ("组建创新联合体", "个", 4, 0)),
    ("（一）", "三是"): ("区科技局", ["区发展改革委"], "陈静", ("新增市级以上科研平台", "个", 8, 0)),
    ("（二）", "一是"): ("区科技局", ["区经济信息委", "区税务局"], "王磊", None),
    ("（二）", "二是"): ("区经济信息委", ["区科技局"], "赵敏", ("市级以上科技专项立项", "项", 25, 0)),
    ("（二）", "三是"): ("区市场监管局", ["区科技局"], "孙浩", None),
    ("（三）", "一是"): ("区发展改革委", ["区科技局"], "李娜", ("区园会商事项办结", "项", 30, 0)),
    ("（三）", "二是"): ("区财政局", ["区税务局"], "吴刚", ("知识价值信用贷款发放", "亿元", 5, 0)),
    ("（三）", "三是"): ("区投资促进中心", ["区商务委"], "郑丽", ("走访高新技术企业", "家", 300, 0)),
    ("（四）", "一是"): ("区委人才办", ["区人力社保局"], "钱峰", ("高层次人才服务事项办结", "件", 120, 0)),
    ("（四）", "二是"): ("区人力社保局", ["区委人才办"], "冯雪", ("引进科技人才", "名", 500, 0)),
    ("（四）", "三是"): ("区农业农村委", ["区科技局"], "何平", None),
    ("（五）", "一是"): ("区教委", ["区商务委"], "许晴", ("国际联合实验室", "个", 2, 0)),
    ("（五）", "二是"): ("区商务委", ["区发展改革委"], "邓超", ("协同创新合作项目", "项", 6, 0)),
    ("（五）", "三是"): ("区科协", ["区教委"], "曹颖", ("科普活动", "场", 80, 0)),
    ("（六）", "一是"): ("区科协", [], "彭亮", ("专题学习", "次", 24, 0)),
    ("（六）", "二是"): ("数字产业园管委会", [], "蒋燕", ("党建品牌项目", "个", 3, 0)),
    ("（六）", "三是"): ("区科技局", ["区委人才办"], "沈涛", ("事项闭环销号率", "%", 90, 0)),
}
BASELINES = {"高新技术企业": 280, "科技型企业": 4800}
# how fast each lead unit moves relative to the trajectory
PACE = {
    "区科技局": 1.05, "生物城管委会": 1.25, "区经济信息委": 0.95, "区市场监管局": 0.9, "区发展改革委": 0.8,
    "区财政局": 1.1, "区投资促进中心": 0.6, "区委人才办": 1.0, "区人力社保局": 0.7, "区农业农村委": 0.85,
    "区教委": 1.15, "区商务委": 0.5, "区科协": 1.0, "数字产业园管委会": 1.2,
}
# items with an early deadline, in days from today: overdue ones light red and climb the ladder
EARLY = {("（三）", "一是"): -12, ("（五）", "二是"): -30, ("（一）", "二是"): 2}
STAY_IN_LEVERS = {("（五）", "三是")}
FINISH = {("（六）", "一是"): "review", ("（六）", "二是"): "close"}

PASSWORDS = {"admin": "demo-admin-pass", "supervisor": "demo-super-pass", "lead": "demo-lead-pass"}


@dataclass
class DemoInfo:
    loaded: bool
    plan_id: int
    units: int
    editions: int
    leads: list[tuple[str, str]]

    def banner(self, base: str) -> str:
        state = "已加载演示数据" if self.loaded else "演示数据已存在，未重复加载"
        lines = [
            "",
            "=" * 64,
            f"closedloop 演示：{state}（{self.units} 个单位，{self.editions} 期晾晒）",
            f"  公开晾晒排名：  {base}/rankings",
            f"  往期晾晒：      {base}/rankings/archive",
            f"  API 文档：      {base}/schema/swagger  （OpenAPI: {base}/schema/openapi.json）",
            f"  登录 API：      POST {base}/api/v1/auth/login",
            "  演示账号（用户名 / 密码）：",
            f"    管理员        admin / {PASSWORDS['admin']}",
            f"    督查室        supervisor / {PASSWORDS['supervisor']}",
        ]
        for username, unit in self.leads[:3]:
            lines.append(f"    单位联络人    {username} / {PASSWORDS['lead']}   （{unit}）")
        lines.append(f"    其余单位联络人 lead02 … lead{len(self.leads):02d}，密码同上")
        lines.append("=" * 64)
        return "\n".join(lines)


def plan_text(year: int) -> str:
    return (Path(__file__).parent / "plan_template.md").read_text(encoding="utf-8").format(year=year)


def _local(day: dt.date, hour: int = 18) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=local_zone())


async def load_demo(today: dt.date | None = None) -> DemoInfo:
    """Load the demo once; later calls report what is there."""
    from closedloop.db.engine import close_engine, prepare_engine

    await prepare_engine()
    try:
        return await _load(today or Clock.today())
    finally:
        Clock.fixed = None
        await close_engine()


async def _leads() -> list[tuple[str, str]]:
    rows = await User.select(User.username, User.unit.name).where(User.role == "lead").order_by(User.username)
    return [(r["username"], r["unit.name"]) for r in rows]


async def _load(today: dt.date) -> DemoInfo:
    year = today.year
    text = plan_text(year)
    digest = plans.plan_text_hash(text)
    existing = await Plan.select(Plan.id).where(Plan.content_hash == digest).first()
    if existing:
        return DemoInfo(False, existing["id"], await Unit.count(), await publishing_count(), await _leads())

    rng = random.Random(SEED)
    start = today - dt.timedelta(weeks=WEEKS)
    # the history is written with the clock walked week by week; the last steps run on the
    # caller's clock (the real one for ``serve --demo``, a fixed one in tests)
    callers_clock = Clock.fixed
    Clock.fixed = _local(start - dt.timedelta(days=3), 10)
    system_admin = Actor(id=None, username="demo", role="admin", display_name="演示数据")

    # units and users
    unit_ids = {}
    for name in UNITS:
        row = await org.find_unit(name) or await org.create_unit(system_admin, name)
        unit_ids[name] = row["id"]
    users = {}
    for username, role, _unit in (("admin", "admin", None), ("supervisor", "supervisor", None)):
        users[username] = await _user(system_admin, username, role, None, PASSWORDS[username], {"admin": "系统管理员", "supervisor": "督查室"}[role])
    lead_units = sorted({v[0] for v in ASSIGN.values()}, key=lambda n: (n != "区科技局", UNITS.index(n)))
    lead_of_unit = {}
    for n, unit_name in enumerate(lead_units, start=1):
        username = "lead" if n == 1 else f"lead{n:02d}"
        lead_of_unit[unit_name] = await _user(system_admin, username, "lead", unit_ids[unit_name], PASSWORDS["lead"], f"{unit_name}联络员")
    admin = actor_from_user(users["admin"])
    sup = actor_from_user(users["supervisor"])

    # the plan
    result = await plans.import_plan(admin, text)
    plan_id = result["plan_id"]
    # the demo's past is simulated: rows get the simulated time, so editions read them as of
    # their cut-offs
    await Goal.update({Goal.created_at: Clock.now(), Goal.updated_at: Clock.now()}).where(Goal.plan == plan_id)
    await WorkItem.update({WorkItem.created_at: Clock.now()}).where(WorkItem.plan == plan_id)
    sections = {r["id"]: r["code"] for r in await WorkItem.select(WorkItem.id, WorkItem.code).where((WorkItem.plan == plan_id) & (WorkItem.kind == "section"))}
    items = await WorkItem.select().where((WorkItem.plan == plan_id) & (WorkItem.kind == "item")).order_by(WorkItem.seq)
    year_end = dt.date(year, 12, 31)
    plan_row = await Plan.select(Plan.issued_on, Plan.year, Plan.created_at).where(Plan.id == plan_id).first()
    plan_day = lights.plan_day(plan_row)  # type: ignore[arg-type]  # the demo plan was inserted just above
    assigned_on = Clock.today()
    state = []  # per item: (item, key, lead unit name, goals)
    for item in items:
        key = (sections[item["parent"]], item["code"])
        lead, coops, person, extra = ASSIGN[key]
        deadline = today + dt.timedelta(days=EARLY[key]) if key in EARLY else year_end
        await items_service.update_item(
            admin, item["id"], item["version"],
            {"lead_unit": unit_ids[lead], "cooperating_unit_ids": [unit_ids[c] for c in coops], "responsible_person": person, "deadline": deadline},
        )
        await Goal.update({Goal.deadline: deadline}).where(Goal.item == item["id"])
        for g in await Goal.select().where(Goal.item == item["id"]):
            await Goal.update({Goal.baseline: float(BASELINES.get(g["subject"], 0))}).where(Goal.id == g["id"])
        if extra:
            subject, unit, target, base = extra
            await Goal.insert(Goal(plan=plan_id, item=item["id"], subject=subject, measure_unit=unit, comparator=">=", baseline=float(base), target=float(target), deadline=deadline, created_at=Clock.now(), updated_at=Clock.now()))
        lead_actor = actor_from_user(lead_of_unit[lead])
        # levers: one project per item, and a problem on every other item
        await Project.insert(Project(item=item["id"], name=f"{item['title'][:24]}专项行动", unit=unit_ids[lead], start_on=start, end_on=deadline, budget=float(rng.randrange(20, 300, 10))))
        if rng.random() < 0.6:
            await Problem.insert(Problem(item=item["id"], description=rng.choice(PROBLEMS), found_on=start + dt.timedelta(days=rng.randrange(0, 20)), unit=unit_ids[lead], due_on=start + dt.timedelta(days=rng.randrange(30, 80))))
        for to in ("calculate", "levers", "execute"):
            if to == "execute" and key in STAY_IN_LEVERS:
                break
            await items_service.transition(lead_actor, item["id"], to, None)
        goals = await Goal.select().where(Goal.item == item["id"])
        state.append((item, key, lead, goals, lead_actor, deadline))

    # ten weeks of progress, scans and editions
    for week in range(WEEKS + 1):
        day = start + dt.timedelta(weeks=week)
        if day > today:
            break
        Clock.fixed = _local(day)
        frac_year = (day - dt.date(year, 1, 1)).days / (year_end - dt.date(year, 1, 1)).days
        for item, key, lead, goals, lead_actor, _deadline in state:
            pace = PACE[lead] * (1 + rng.uniform(-0.05, 0.05))
            goal_values = []
            for g in goals:
                # each unit moves at its pace against the goal's own 序时 trajectory, which
                # starts when the item was assigned (the rule the lights and the score use)
                expected = expected_completion(
                    day, start=goal_start(None, plan_day, assigned_on), deadline=g["deadline"], baseline=g["baseline"], target=g["target"]
                )
                value = round(g["baseline"] + (g["target"] - g["baseline"]) * min(1.05, expected * pace), 2)
                if key in FINISH:
                    value = max(value, g["target"]) if week >= WEEKS - 2 else value
                goal_values.append((g["id"], value))
            # one report per item and week, through the report ledger (it keeps goal.actual)
            await progress.create_report(lead_actor, item["id"], period=_period(day), narrative=rng.choice(NARRATIVES), goal_values=goal_values)
            pct = 100 if key in FINISH and week >= WEEKS - 2 else min(99, int(100 * frac_year * PACE[lead]))
            await Project.update({Project.progress: pct}).where(Project.item == item["id"])
        # problems get solved along the way, results are reported and verified
        for item, key, _lead, goals, lead_actor, _deadline in state:
            if rng.random() < 0.25 or (key in FINISH and week == WEEKS - 2):
                await Problem.update({Problem.status: "resolved", Problem.resolution: "已协调解决", Problem.resolved_on: day, Problem.resolved_at: Clock.now()}).where(
                    (Problem.item == item["id"]) & (Problem.status == "open")
                )
            if week in (4, 8) or (key in FINISH and week == WEEKS - 2):
                for g in goals:
                    if rng.random() < 0.5 and not (key in FINISH and week == WEEKS - 2):
                        continue
                    if await Result.exists().where(Result.goal == g["id"]):
                        continue
                    res = (await Result.insert(Result(item=item["id"], goal=g["id"], value=g["target"] * 0.5, description=f"{g['subject']}阶段性成效", achieved_on=day, reported_by=lead_actor.id)).returning(Result.id))[0]["id"]
                    await Evidence.insert(Evidence(result=res, kind="link", url=f"https://demo.closedloop.invalid/evidence/{res}", note="演示佐证链接", uploaded_by=lead_actor.id))
                    if rng.random() < 0.7:
                        await Result.update({Result.verified_by: sup.id, Result.verified_at: Clock.now()}).where(Result.id == res)
        if week == 6:
            laggards = [s[0]["id"] for s in state if PACE[s[2]] < 0.7]
            if laggards:
                await supervision.urge(sup, laggards, "进度明显滞后于序时，请本周内报送整改措施。")
        await scan.scan()
        # the Monday cut-off after this week's reports: publish the edition(s) now due
        monday = day + dt.timedelta(days=(7 - day.weekday()) % 7 or 7)
        if monday <= today:
            Clock.fixed = _local(monday, 10)
            await publishing.publish_due("weekly")

    # finish a couple of items: through 闭环, one struck off to 复盘 (销号 needs every goal's
    # result verified with evidence: the office verifies the rest first)
    Clock.fixed = callers_clock
    for item, key, _lead, _goals, lead_actor, _deadline in state:
        finish_at = FINISH.get(key)
        if finish_at:
            await Result.update({Result.verified_by: sup.id, Result.verified_at: Clock.now()}).where(
                (Result.item == item["id"]) & Result.verified_by.is_null()
            )
            await items_service.transition(lead_actor, item["id"], "close", None)
            if finish_at == "review":
                await supervision.verify_closure(sup, item["id"], True, "佐证齐全，同意销号")
    await lights.refresh(Clock.today())
    await scan.scan()
    return DemoInfo(True, plan_id, await Unit.count(), await publishing_count(), await _leads())


async def publishing_count() -> int:
    from closedloop.db.tables import Publication

    return await Publication.count()


async def _user(admin: Actor, username: str, role: str, unit_id: int | None, password: str, display: str) -> dict:
    row = await User.select().where(User.username == username).first()
    if row:
        return row
    await org.create_user(admin, username, password, role, unit_id, display)
    return await User.select().where(User.username == username).first()  # type: ignore[return-value]  # the user was created just above


def _period(day: dt.date) -> str:
    return periods.containing("weekly", day).key


PROBLEMS = [
    "企业申报材料准备不足，研发费用归集不规范",
    "项目用地指标尚未落实",
    "配套资金拨付进度偏慢",
    "专业人才缺口较大，招聘周期长",
    "平台运营单位尚未确定",
    "部门间数据共享机制未建立",
]
NARRATIVES = [
    "本周按计划推进，已完成阶段性任务。",
    "召开专题推进会，协调解决企业反映的问题。",
    "开展企业走访，收集需求并建立台账。",
    "完成项目申报材料初审，进入复核环节。",
    "联合配合单位开展现场调研，形成工作方案。",
]
