"""factory-boy factories, one per table.

factory-boy is synchronous; ``create()`` here returns a coroutine that saves the row, so
tests write ``unit = await UnitFactory.create()``. Sub-factories are awaited first.

Dates follow the scenario: a timestamp column (``created_at``) takes ``Clock.now()``, the
test's fixed clock, instead of the database's real "now"; a progress report is dated on the
clock's day when the test fixed one; a reported value takes its report's date, and a report's
period is the ISO week of its date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect

import factory
from piccolo.table import Table

from closedloop.db import tables as t
from closedloop.services.common import Clock

# the day a report is dated on when the test has not fixed the clock (a date in the plan
# year the factories use, never the calendar's today)
DEFAULT_REPORT_DAY = dt.date(2024, 5, 17)
ITEM_CREATED_AT = dt.datetime(2000, 1, 3, tzinfo=dt.timezone.utc)


def clock_now() -> dt.datetime:
    return Clock.now()


def scenario_day() -> dt.date:
    """The test's "today": the fixed clock's day, else DEFAULT_REPORT_DAY."""
    return Clock.today() if Clock.fixed is not None else DEFAULT_REPORT_DAY


def iso_week(day: dt.date) -> str:
    y, w, _ = day.isocalendar()
    return f"{y}-W{w:02d}"


class PiccoloFactory(factory.Factory):
    class Meta:
        abstract = True

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        return model_class(**kwargs)

    # column → (foreign key, column of the referenced row, or a function of that row): filled
    # from the referenced row when the test gave no value (e.g. a reported value's date is its
    # report's date)
    _follow: dict[str, tuple[str, object]] = {}

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        async def save():
            rows = {}
            for key, value in kwargs.items():
                if inspect.isawaitable(value):
                    value = await value
                rows[key] = value
            for column, (fk, attr) in cls._follow.items():
                if rows.get(column) is None and isinstance(rows.get(fk), Table):
                    rows[column] = attr(rows[fk]) if callable(attr) else getattr(rows[fk], attr)
            values = {k: (v.id if isinstance(v, Table) else v) for k, v in rows.items()}
            row = model_class(**values)
            await row.save()
            return row

        return save()


class UnitFactory(PiccoloFactory):
    class Meta:
        model = t.Unit

    name = factory.Sequence(lambda n: f"测试单位{n}")


class UserFactory(PiccoloFactory):
    class Meta:
        model = t.User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    role = "lead"
    unit = factory.SubFactory(UnitFactory)
    # argon2 hash of "secret-pass" (computed once: tests that log in use it)
    password_hash = factory.LazyFunction(lambda: _password_hash())


_HASH: list[str] = []


def _password_hash() -> str:
    if not _HASH:
        from closedloop.services.passwords import hash_password_sync

        _HASH.append(hash_password_sync(PASSWORD))
    return _HASH[0]


PASSWORD = "secret-pass"


class AuthTokenFactory(PiccoloFactory):
    class Meta:
        model = t.AuthToken

    token_hash = factory.Sequence(lambda n: hashlib.sha256(f"tok{n}".encode()).hexdigest())
    user = factory.SubFactory(UserFactory)
    expires_at = factory.LazyFunction(lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))


class LoginThrottleFactory(PiccoloFactory):
    class Meta:
        model = t.LoginThrottle

    key = factory.Sequence(lambda n: f"pair:user{n}|127.0.0.1")
    failures = 1


class WorkdayOverrideFactory(PiccoloFactory):
    class Meta:
        model = t.WorkdayOverride

    day = factory.Sequence(lambda n: dt.date(2099, 1, 1) + dt.timedelta(days=n))
    is_workday = False
    note = "测试假日"


class PlanFactory(PiccoloFactory):
    class Meta:
        model = t.Plan

    title = factory.Sequence(lambda n: f"测试区2024年工作要点{n}")
    issuer = "测试区科学技术局"
    issued_on = dt.date(2024, 4, 3)
    year = 2024
    content_hash = factory.Sequence(lambda n: hashlib.sha256(f"plan{n}".encode()).hexdigest())


class SectionFactory(PiccoloFactory):
    class Meta:
        model = t.WorkItem

    plan = factory.SubFactory(PlanFactory)
    kind = "section"
    code = factory.Sequence(lambda n: f"（{n}）")
    title = "测试分项"


class WorkItemFactory(PiccoloFactory):
    class Meta:
        model = t.WorkItem

    plan = factory.SubFactory(PlanFactory)
    kind = "item"
    code = factory.Sequence(lambda n: f"{n}是")
    title = factory.Sequence(lambda n: f"测试事项{n}")
    text = "测试事项全文。"
    lead_unit = factory.SubFactory(UnitFactory)
    responsible_person = "张三"
    deadline = dt.date(2024, 12, 31)
    original_deadline = dt.date(2024, 12, 31)
    # before any edition of the factories' plan year: an item counts in the editions it existed
    # for (metrics.ITEM_COUNTED); a test that adds one later gives its created_at
    created_at = ITEM_CREATED_AT


class ItemUnitFactory(PiccoloFactory):
    class Meta:
        model = t.ItemUnit

    item = factory.SubFactory(WorkItemFactory)
    unit = factory.SubFactory(UnitFactory)


class GoalFactory(PiccoloFactory):
    class Meta:
        model = t.Goal

    plan = factory.SubFactory(PlanFactory)
    item = None
    subject = factory.Sequence(lambda n: f"测试指标{n}")
    measure_unit = "家"
    comparator = ">="
    baseline = 0.0
    target = 100.0
    deadline = dt.date(2024, 12, 31)


class ProblemFactory(PiccoloFactory):
    class Meta:
        model = t.Problem

    item = factory.SubFactory(WorkItemFactory)
    description = factory.Sequence(lambda n: f"测试问题{n}")
    found_on = dt.date(2024, 5, 1)
    due_on = dt.date(2024, 8, 1)


class ProblemGoalFactory(PiccoloFactory):
    class Meta:
        model = t.ProblemGoal

    problem = factory.SubFactory(ProblemFactory)
    goal = factory.SubFactory(GoalFactory)


class ProjectFactory(PiccoloFactory):
    class Meta:
        model = t.Project

    item = factory.SubFactory(WorkItemFactory)
    name = factory.Sequence(lambda n: f"测试项目{n}")
    start_on = dt.date(2024, 4, 1)
    end_on = dt.date(2024, 11, 30)
    budget = 50.0


class ProjectProblemFactory(PiccoloFactory):
    class Meta:
        model = t.ProjectProblem

    project = factory.SubFactory(ProjectFactory)
    problem = factory.SubFactory(ProblemFactory)


class ProjectGoalFactory(PiccoloFactory):
    class Meta:
        model = t.ProjectGoal

    project = factory.SubFactory(ProjectFactory)
    goal = factory.SubFactory(GoalFactory)


class ResultFactory(PiccoloFactory):
    class Meta:
        model = t.Result

    item = factory.SubFactory(WorkItemFactory)
    description = "测试成效"
    value = 10.0


class EvidenceFactory(PiccoloFactory):
    class Meta:
        model = t.Evidence

    result = factory.SubFactory(ResultFactory)
    kind = "link"
    url = "https://example.org/evidence"


class ProgressReportFactory(PiccoloFactory):
    class Meta:
        model = t.ProgressReport

    item = factory.SubFactory(WorkItemFactory)
    reported_on = factory.LazyFunction(scenario_day)
    period = factory.LazyAttribute(lambda o: iso_week(o.reported_on))
    narrative = "按计划推进。"
    created_at = factory.LazyFunction(clock_now)


def _period_end(key: str) -> dt.date:
    from closedloop.domain import periods

    return periods.parse(key).end


class ProgressValueFactory(PiccoloFactory):
    class Meta:
        model = t.ProgressValue

    report = factory.SubFactory(ProgressReportFactory)
    value = 10.0
    # the report's date, and the ledger keys (services/values.py): the last day of the report's
    # period and the instant it was filed (``_follow``), so a value is dated by its scenario
    reported_on = None
    period_end = None
    recorded_at = None

    _follow = {
        "reported_on": ("report", "reported_on"),
        "period_end": ("report", lambda report: _period_end(report.period)),
        "recorded_at": ("report", "created_at"),
    }


class SupervisionActionFactory(PiccoloFactory):
    class Meta:
        model = t.SupervisionAction

    item = factory.SubFactory(WorkItemFactory)
    kind = "urge"
    message = "请尽快推进。"
    created_at = factory.LazyFunction(clock_now)


class ExtensionRequestFactory(PiccoloFactory):
    class Meta:
        model = t.ExtensionRequest

    item = factory.SubFactory(WorkItemFactory)
    reason = "客观原因"
    old_deadline = dt.date(2024, 12, 31)
    new_deadline = dt.date(2025, 3, 31)
    created_at = factory.LazyFunction(clock_now)


class GoalChangeRequestFactory(PiccoloFactory):
    class Meta:
        model = t.GoalChangeRequest

    goal = factory.SubFactory(GoalFactory)
    item = factory.SubFactory(WorkItemFactory)
    reason = "客观情况变化"
    changes = factory.LazyFunction(lambda: {"target": 90.0})
    original = factory.LazyFunction(lambda: {"target": 100.0})


class StageTransitionFactory(PiccoloFactory):
    class Meta:
        model = t.StageTransition

    item = factory.SubFactory(WorkItemFactory)
    from_stage = "drill"
    to_stage = "calculate"
    direction = "forward"
    created_at = factory.LazyFunction(clock_now)


class AuditEventFactory(PiccoloFactory):
    class Meta:
        model = t.AuditEvent

    action = "update"
    entity = "goal"
    at = factory.LazyFunction(clock_now)


class NotificationFactory(PiccoloFactory):
    class Meta:
        model = t.Notification

    unit = factory.SubFactory(UnitFactory)
    kind = "urge"
    title = "催办通知"
    created_at = factory.LazyFunction(clock_now)


class WebhookDeliveryFactory(PiccoloFactory):
    class Meta:
        model = t.WebhookDelivery

    notification = factory.SubFactory(NotificationFactory)
    url = "http://127.0.0.1:9/hook"
    payload = factory.LazyFunction(lambda: {"msgtype": "text", "text": {"content": "测试"}})


class PublicationFactory(PiccoloFactory):
    class Meta:
        model = t.Publication

    cadence = "weekly"
    period = factory.Sequence(lambda n: f"2024-W{n % 52 + 1:02d}")
    edition = 1
    cutoff = factory.LazyFunction(lambda: dt.datetime(2024, 5, 13, 1, 0, tzinfo=dt.timezone.utc))
    weights = factory.LazyFunction(lambda: {"goal_progress": 60})
    title = "测试晾晒"
    body_md = "# 测试"
    body_html = "<h1>测试</h1>"
    content_hash = factory.Sequence(lambda n: hashlib.sha256(f"pub{n}".encode()).hexdigest())


class PublicationRowFactory(PiccoloFactory):
    class Meta:
        model = t.PublicationRow

    publication = factory.SubFactory(PublicationFactory)
    unit = factory.SubFactory(UnitFactory)
    unit_name = "测试单位"
    rank = 1
    score = 80.0
    goal_progress = 0.8
    problems_resolved = 1
    results_verified = 1
    overdue_items = 0
    urges = 0
    light = "green"


class JobRunFactory(PiccoloFactory):
    class Meta:
        model = t.JobRun

    job = "scan"
    run_key = factory.Sequence(lambda n: f"scan:{n}")


class CheckExplanationFactory(PiccoloFactory):
    class Meta:
        model = t.CheckExplanation

    check_key = factory.Sequence(lambda n: f"problem_no_resolution:{n}")
    kind = "problem_no_resolution"
    note = "已核实"


class EditionReviewFactory(PiccoloFactory):
    class Meta:
        model = t.EditionReview

    publication = factory.SubFactory(PublicationFactory)
    open_checks = factory.LazyFunction(list)
    light_counts = factory.LazyFunction(lambda: {"red": 0, "yellow": 0, "green": 0, "blue": 0, "none": 0})


FACTORIES = {f._meta.model: f for f in PiccoloFactory.__subclasses__()}
