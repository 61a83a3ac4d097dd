"""Piccolo tables, one module per area. ``ALL_TABLES`` is the registry order."""

from closedloop.db.tables.cockpit import CheckExplanation, EditionReview
from closedloop.db.tables.org import AuthToken, LoginThrottle, Unit, User, WorkdayOverride
from closedloop.db.tables.plans import ItemUnit, Plan, WorkItem
from closedloop.db.tables.publishing import JobRun, Publication, PublicationRow
from closedloop.db.tables.records import (
    Evidence,
    Goal,
    Problem,
    ProblemGoal,
    Project,
    ProjectGoal,
    ProjectProblem,
    Result,
)
from closedloop.db.tables.workflow import (
    AuditEvent,
    ExtensionRequest,
    GoalChangeRequest,
    Notification,
    ProgressReport,
    ProgressValue,
    StageTransition,
    SupervisionAction,
    WebhookDelivery,
)

ALL_TABLES = (
    Unit,
    User,
    AuthToken,
    WorkdayOverride,
    LoginThrottle,
    Plan,
    WorkItem,
    ItemUnit,
    Goal,
    Problem,
    ProblemGoal,
    Project,
    ProjectProblem,
    ProjectGoal,
    Result,
    Evidence,
    ProgressReport,
    ProgressValue,
    SupervisionAction,
    ExtensionRequest,
    GoalChangeRequest,
    StageTransition,
    AuditEvent,
    Notification,
    WebhookDelivery,
    Publication,
    PublicationRow,
    JobRun,
    CheckExplanation,
    EditionReview,
)

__all__ = [t.__name__ for t in ALL_TABLES] + ["ALL_TABLES"]
