"""四项管理: goals (目标), problems (问题), projects (项目), results (结果) and their links."""

from piccolo.columns import (
    JSON,
    Boolean,
    Bytea,
    Date,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns import Serial
from piccolo.table import Table

from closedloop.domain.lights import Light
from closedloop.domain.statuses import ProblemStatus
from closedloop.db.tables.org import Unit, User
from closedloop.db.tables.plans import Plan, WorkItem


class Goal(Table, tablename="goal"):
    """An indicator. ``item`` is null for a plan-level goal (工作目标)."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    plan = ForeignKey(references=Plan, null=False, on_delete=OnDelete.restrict, index=True)
    item = ForeignKey(references=WorkItem, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    plan_goal: ForeignKey = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.restrict)
    # the unit answerable for this goal; null means the item's lead unit
    unit = ForeignKey(references=Unit, null=True, default=None, on_delete=OnDelete.restrict)
    seq = Integer(null=False, default=0)
    subject = Varchar(length=300, null=False)
    measure_unit = Varchar(length=20, null=True, default=None)
    comparator = Varchar(length=2, null=True, default=None)
    baseline = DoublePrecision(null=True, default=None)
    target = DoublePrecision(null=True, default=None)
    deadline = Date(null=True, default=None)
    milestones = JSON(null=True, default=None)  # [{"on": "YYYY-MM-DD", "value": n}]
    # an explicit start of the trajectory; null: the later of plan issue and item assignment
    start = Date(null=True, default=None)
    # of the item goals linked to one plan goal, the one whose value is the plan goal's actual
    # (none marked: the first)
    reports_plan_goal = Boolean(null=False, default=False)
    actual = DoublePrecision(null=True, default=None)
    actual_on = Date(null=True, default=None)
    light = Varchar(length=8, null=True, default=None, choices=Light)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(null=False, default=1)


class Problem(Table, tablename="problem"):
    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    item = ForeignKey(references=WorkItem, null=False, on_delete=OnDelete.restrict, index=True)
    description = Text(null=False)
    found_on = Date(null=True, default=None)
    unit = ForeignKey(references=Unit, null=True, default=None, on_delete=OnDelete.restrict)
    due_on = Date(null=True, default=None)
    status = Varchar(length=16, null=False, default="open", choices=ProblemStatus)
    resolution = Text(null=True, default=None)
    resolved_on = Date(null=True, default=None)  # the day the owning unit says it was solved
    carry_reason = Text(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(null=False, default=1)


class ProblemGoal(Table, tablename="problem_goal"):
    """Problem blocks goal."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    problem = ForeignKey(references=Problem, null=False, on_delete=OnDelete.cascade)
    goal = ForeignKey(references=Goal, null=False, on_delete=OnDelete.restrict, index=True)


class Project(Table, tablename="project"):
    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    item = ForeignKey(references=WorkItem, null=False, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=300, null=False)
    unit = ForeignKey(references=Unit, null=True, default=None, on_delete=OnDelete.restrict)
    start_on = Date(null=True, default=None)
    end_on = Date(null=True, default=None)
    budget = DoublePrecision(null=True, default=None)  # 万元
    milestones = JSON(null=True, default=None)
    progress = Integer(null=False, default=0)  # percent
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(null=False, default=1)


class ProjectProblem(Table, tablename="project_problem"):
    """Project resolves problem."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    project = ForeignKey(references=Project, null=False, on_delete=OnDelete.cascade)
    problem = ForeignKey(references=Problem, null=False, on_delete=OnDelete.restrict)


class ProjectGoal(Table, tablename="project_goal"):
    """Project serves goal."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    project = ForeignKey(references=Project, null=False, on_delete=OnDelete.cascade)
    goal = ForeignKey(references=Goal, null=False, on_delete=OnDelete.restrict, index=True)


class Result(Table, tablename="result"):
    """An achieved outcome (实际成效), evidencing a goal of the same item."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    item = ForeignKey(references=WorkItem, null=False, on_delete=OnDelete.restrict, index=True)
    goal = ForeignKey(references=Goal, null=True, default=None, on_delete=OnDelete.restrict)
    unit = ForeignKey(references=Unit, null=True, default=None, on_delete=OnDelete.restrict)
    value = DoublePrecision(null=True, default=None)
    description = Text(null=False)
    achieved_on = Date(null=True, default=None)
    reported_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    verified_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    verified_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(null=False, default=1)


class Evidence(Table, tablename="evidence"):
    """佐证: an uploaded file (bytes kept in the database) or a link, with its SHA-256."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    result = ForeignKey(references=Result, null=False, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=8, null=False)  # file | link
    filename = Varchar(length=255, null=True, default=None)
    content_type = Varchar(length=120, null=True, default=None)
    size = Integer(null=True, default=None)
    sha256 = Varchar(length=64, null=True, default=None)
    content = Bytea(null=True, default=None)
    url = Varchar(length=1000, null=True, default=None)
    note = Text(null=True, default=None)
    uploaded_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
