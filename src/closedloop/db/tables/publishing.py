"""晾晒 publications (immutable editions with a hash chain) and scheduler job runs."""

from piccolo.columns import (
    JSON,
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
from closedloop.domain.statuses import RunStatus
from closedloop.db.tables.org import Unit


class Publication(Table, tablename="publication"):
    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    cadence = Varchar(length=12, null=False)
    period = Varchar(length=12, null=False)
    edition = Integer(null=False, default=1)
    corrects: ForeignKey = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.restrict)
    correction_reason = Text(null=True, default=None)
    cutoff = Timestamptz(null=False)
    published_at = Timestamptz(default=TimestamptzNow())
    weights = JSON(null=False)
    title = Varchar(length=200, null=False)
    body_md = Text(null=False)
    body_html = Text(null=False)
    content_hash = Varchar(length=64, null=False)
    previous_hash = Varchar(length=64, null=True, default=None)
    # 1: the hash covers the Markdown and the ranking; 2: also the HTML, the plan goals and
    # each row's breakdown (editions keep the version they were published with)
    hash_version = Integer(null=False, default=1)
    plan_goals = JSON(null=True, default=None)  # the plan goals as of the cut-off


class PublicationRow(Table, tablename="publication_row"):
    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    publication = ForeignKey(references=Publication, null=False, on_delete=OnDelete.restrict, index=True)
    unit = ForeignKey(references=Unit, null=False, on_delete=OnDelete.restrict)
    unit_name = Varchar(length=200, null=False)
    rank = Integer(null=False)
    previous_rank = Integer(null=True, default=None)
    score = DoublePrecision(null=False)
    goal_progress = DoublePrecision(null=False)
    problems_resolved = Integer(null=False)
    results_verified = Integer(null=False)
    overdue_items = Integer(null=False)
    urges = Integer(null=False)
    light = Varchar(length=8, null=False, choices=Light)
    extensions = Integer(null=False, default=0)  # 延期次数 approved by the cut-off
    undrilled_items = Integer(null=False, default=0)
    behind_points = DoublePrecision(null=True, default=None)
    previous_score = DoublePrecision(null=True, default=None)
    breakdown = JSON(null=True, default=None)  # points from each metric and each penalty


class JobRun(Table, tablename="job_run"):
    """A claimed scheduler run: ``run_key`` is unique, so one process wins each run."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    job = Varchar(length=40, null=False)
    run_key = Varchar(length=120, null=False, unique=True)
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    status = Varchar(length=12, null=False, default="running", choices=RunStatus)
    detail = Text(null=True, default=None)
