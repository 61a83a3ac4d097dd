"""Progress reports, supervision (督办), extensions (延期), stage moves, audit and notifications."""

from piccolo.columns import (
    JSON,
    Boolean,
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

from closedloop.domain.stages import Stage
from closedloop.domain.statuses import DeliveryStatus, RequestStatus
from closedloop.db.tables.org import Unit, User
from closedloop.db.tables.plans import WorkItem
from closedloop.db.tables.records import Goal, Project


class ProgressReport(Table, tablename="progress_report"):
    """进度填报: immutable once written; an entry of the report ledger (services/progress.py).

    ``kind``: ``report`` (the first for its item and period), ``correction`` (更正: a later
    report for the same period, with a ``reason``, naming the one it ``corrects``) or ``admin``
    (an admin's direct correction of a goal's actual, kept as a dated entry too).
    ``reported_on`` is the filing day (the clock's, never typed); ``late`` marks a 补报, a report
    for a period already over when it was filed.
    """

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    item = ForeignKey(references=WorkItem, null=False, on_delete=OnDelete.restrict, index=True)
    period = Varchar(length=20, null=False)
    period_end = Date(null=True, default=None)  # the period's last day (null only for rows of before the ledger)
    reported_on = Date(null=False)
    narrative = Text(null=False)
    reporter = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    kind = Varchar(length=12, null=False, default="report")  # report|correction|admin
    late = Boolean(null=False, default=False)
    reason = Text(null=True, default=None)
    corrects: ForeignKey = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())


class ProgressValue(Table, tablename="progress_value"):
    """A goal actual or project progress recorded by a report."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    report = ForeignKey(references=ProgressReport, null=False, on_delete=OnDelete.restrict, index=True)
    # the 晾晒 looks up a goal's latest value as of a cut-off
    goal = ForeignKey(references=Goal, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    project = ForeignKey(references=Project, null=True, default=None, on_delete=OnDelete.restrict)
    value = DoublePrecision(null=False)
    # the report's date, copied (reports are immutable): the 晾晒 finds a goal's value as of a
    # cut-off with one step of the (goal, reported_on) index instead of joining every report
    reported_on = Date(null=True, default=None)
    # the goal value ledger (services/values.py): the report's period end and filing instant,
    # copied, so that "the value as of T" is one step of the (goal, period_end, recorded_at) index
    period_end = Date(null=True, default=None)
    recorded_at = Timestamptz(null=True, default=None)


class SupervisionAction(Table, tablename="supervision_action"):
    """督办记录: reminder, 催办, 督办单, 通报 and 约谈 listings.

    ``dedupe_key`` makes each ladder step happen once per item and deadline.
    """

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    item = ForeignKey(references=WorkItem, null=False, on_delete=OnDelete.restrict, index=True)
    unit = ForeignKey(references=Unit, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=16, null=False)  # reminder|urge|order|circular|interview
    deadline = Date(null=True, default=None)
    message = Text(null=False, default="")
    respond_by = Date(null=True, default=None)
    response = Text(null=True, default=None)
    responded_at = Timestamptz(null=True, default=None)
    responded_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    actor = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    dedupe_key = Varchar(length=120, null=True, default=None, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    version = Integer(null=False, default=1)


class ExtensionRequest(Table, tablename="extension_request"):
    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    item = ForeignKey(references=WorkItem, null=False, on_delete=OnDelete.restrict, index=True)
    requested_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    reason = Text(null=False)
    old_deadline = Date(null=False)
    new_deadline = Date(null=False)
    status = Varchar(length=12, null=False, default="pending", choices=RequestStatus)
    decided_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    version = Integer(null=False, default=1)


class GoalChangeRequest(Table, tablename="goal_change_request"):
    """目标调整申请: a lead's request to change a frozen goal (after 细算), decided by the
    supervision office like a 延期. ``original`` keeps the goal's values when the request was
    filed; ``changes`` the values asked for; approval applies them."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    goal = ForeignKey(references=Goal, null=False, on_delete=OnDelete.restrict, index=True)
    item = ForeignKey(references=WorkItem, null=False, on_delete=OnDelete.restrict, index=True)
    requested_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    reason = Text(null=False)
    changes = JSON(null=False)
    original = JSON(null=False)
    status = Varchar(length=12, null=False, default="pending", choices=RequestStatus)
    decided_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    decided_at = Timestamptz(null=True, default=None)
    decision_reason = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    version = Integer(null=False, default=1)


class StageTransition(Table, tablename="stage_transition"):
    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    item = ForeignKey(references=WorkItem, null=False, on_delete=OnDelete.restrict, index=True)
    from_stage = Varchar(length=16, null=False, choices=Stage)
    to_stage = Varchar(length=16, null=False, choices=Stage)
    direction = Varchar(length=8, null=False)  # forward|back
    reason = Text(null=True, default=None)
    actor = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())


class AuditEvent(Table, tablename="audit_event"):
    """Append-only: every change with actor, time, entity, before and after."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    at = Timestamptz(default=TimestamptzNow())
    actor = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    actor_name = Varchar(length=100, null=False, default="system")
    action = Varchar(length=40, null=False)
    entity = Varchar(length=40, null=False)
    entity_id = Integer(null=True, default=None)
    item = ForeignKey(references=WorkItem, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)


class Notification(Table, tablename="notification"):
    """An in-app inbox entry for a unit (and optionally one user)."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    unit = ForeignKey(references=Unit, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    item = ForeignKey(references=WorkItem, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    action = ForeignKey(references=SupervisionAction, null=True, default=None, on_delete=OnDelete.restrict)
    kind = Varchar(length=16, null=False)
    title = Varchar(length=300, null=False)
    body = Text(null=False, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)


class WebhookDelivery(Table, tablename="webhook_delivery"):
    """A pending or finished webhook post, retried with backoff."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    notification = ForeignKey(references=Notification, null=False, on_delete=OnDelete.restrict)
    url = Varchar(length=500, null=False)
    payload = JSON(null=False)
    status = Varchar(length=8, null=False, default="pending", choices=DeliveryStatus)
    attempts = Integer(null=False, default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    last_error = Text(null=True, default=None)
