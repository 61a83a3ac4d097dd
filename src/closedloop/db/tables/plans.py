"""Plans (工作要点) and their work items as a tree: section → item."""

from piccolo.columns import (
    Boolean,
    Date,
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
from closedloop.domain.stages import Stage
from closedloop.db.tables.org import Unit, User


class Plan(Table, tablename="plan"):
    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    title = Varchar(length=300, null=False)
    issuer = Varchar(length=200, null=True, default=None)
    issued_on = Date(null=True, default=None)
    year = Integer(null=True, default=None)
    content_hash = Varchar(length=64, unique=True, null=False)
    source_text = Text(null=False, default="")
    imported_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())


class WorkItem(Table, tablename="work_item"):
    """A section (kind=section) or a work item (事项, kind=item) of a plan."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    plan = ForeignKey(references=Plan, null=False, on_delete=OnDelete.restrict, index=True)
    parent: ForeignKey = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=8, null=False, default="item")
    seq = Integer(null=False, default=0)
    code = Varchar(length=40, null=False)
    title = Varchar(length=500, null=False)
    text = Text(null=False, default="")
    lead_unit = ForeignKey(references=Unit, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    responsible_person = Varchar(length=100, null=True, default=None)
    deadline = Date(null=True, default=None)
    original_deadline = Date(null=True, default=None)
    # the day the item was (last) assigned to its lead unit: its goals' trajectories start no
    # earlier, the 未下钻 rule counts working days from it, and it joins the 晾晒 after it
    assigned_on = Date(null=True, default=None)
    extension_count = Integer(null=False, default=0)
    stage = Varchar(length=16, null=False, default="drill", choices=Stage)
    light = Varchar(length=8, null=True, default=None, choices=Light)
    completion = Integer(null=True, default=None)  # percent, from goals
    light_reason = Varchar(length=20, null=True, default=None)  # e.g. 未下钻, when the item itself sets the light
    # the latest 进度填报 date (kept by the progress service): the scan's staleness rule reads it
    last_report_on = Date(null=True, default=None)
    review = Text(null=True, default=None)  # 复盘 record
    archived_at = Timestamptz(null=True, default=None)
    closed = Boolean(null=False, default=False)
    # 撤销: an item with history is withdrawn from the plan instead of deleted; rankings leave
    # out items withdrawn before an edition's cut-off (withdrawn_at IS NULL OR withdrawn_at > cut-off)
    withdrawn_at = Timestamptz(null=True, default=None)
    withdrawn_reason = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    version = Integer(null=False, default=1)


class ItemUnit(Table, tablename="item_unit"):
    """A cooperating unit (配合单位) of an item."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    item = ForeignKey(references=WorkItem, null=False, on_delete=OnDelete.restrict, index=True)
    unit = ForeignKey(references=Unit, null=False, on_delete=OnDelete.restrict)
