"""The state columns name their states: ``Varchar(choices=…)`` with the domain's enums (stages,
lights, roles, problem, request, delivery and run statuses; ``domain/statuses.py``).

Piccolo keeps choices in its migration state only: no SQL runs, no column or row changes (every
stored value is already one of the states named). Recorded here so that the tables and the
migrations agree (tests/integration/test_schema.py).
"""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-28T22:59:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "choices of the state columns"

# The enums as they were when this migration was written (a migration does not import the code)
Stage = Enum("Stage", {"DRILL": "drill", "CALCULATE": "calculate", "LEVERS": "levers", "EXECUTE": "execute", "CLOSE": "close", "REVIEW": "review", "ARCHIVED": "archived"})
Light = Enum("Light", {"BLUE": "blue", "GREEN": "green", "YELLOW": "yellow", "RED": "red"})
Role = Enum("Role", {"ADMIN": "admin", "SUPERVISOR": "supervisor", "LEAD": "lead"})
ProblemStatus = Enum("ProblemStatus", {"OPEN": "open", "RESOLVED": "resolved", "VERIFIED": "verified", "CARRIED_OVER": "carried_over"})
RequestStatus = Enum("RequestStatus", {"PENDING": "pending", "APPROVED": "approved", "REJECTED": "rejected"})
DeliveryStatus = Enum("DeliveryStatus", {"PENDING": "pending", "SENT": "sent", "FAILED": "failed"})
RunStatus = Enum("RunStatus", {"RUNNING": "running", "DONE": "done"})

COLUMNS = (
    ("User", "app_user", "role", Role),
    ("WorkItem", "work_item", "stage", Stage),
    ("WorkItem", "work_item", "light", Light),
    ("Goal", "goal", "light", Light),
    ("Problem", "problem", "status", ProblemStatus),
    ("PublicationRow", "publication_row", "light", Light),
    ("JobRun", "job_run", "status", RunStatus),
    ("ExtensionRequest", "extension_request", "status", RequestStatus),
    ("GoalChangeRequest", "goal_change_request", "status", RequestStatus),
    ("StageTransition", "stage_transition", "from_stage", Stage),
    ("StageTransition", "stage_transition", "to_stage", Stage),
    ("WebhookDelivery", "webhook_delivery", "status", DeliveryStatus),
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="closedloop", description=DESCRIPTION)
    for class_name, tablename, column, states in COLUMNS:
        manager.alter_column(
            table_class_name=class_name, tablename=tablename, column_name=column, db_column_name=column,
            params={"choices": states}, old_params={"choices": None}, schema=None,
        )
    return manager
