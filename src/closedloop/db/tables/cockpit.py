"""The supervisor's cockpit: explanations of data checks, and what the office noted about
each published 晾晒 edition (the open checks at its cut-off and the item lights then)."""

from piccolo.columns import JSON, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns import Serial
from piccolo.table import Table

from closedloop.db.tables.org import User
from closedloop.db.tables.plans import WorkItem
from closedloop.db.tables.publishing import Publication


class CheckExplanation(Table, tablename="check_explanation"):
    """A supervisor's note that a data check (identified by its ``check_key``) is explained:
    the check drops off the open list. One explanation per check."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    check_key = Varchar(length=120, unique=True, null=False)
    kind = Varchar(length=24, null=False)
    item = ForeignKey(references=WorkItem, null=True, default=None, on_delete=OnDelete.restrict)
    note = Text(null=False)
    explained_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    explained_at = Timestamptz(default=TimestamptzNow())


class EditionReview(Table, tablename="edition_review"):
    """The internal note to supervisors on one edition (never public): the data checks open
    at its cut-off and the district's items per light then (the cockpit's trend)."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    publication = ForeignKey(references=Publication, null=False, unique=True, on_delete=OnDelete.restrict)
    open_checks = JSON(null=False)  # [{"key", "kind", "item_id", "detail"}]
    light_counts = JSON(null=False)  # {"red": n, "yellow": n, "green": n, "blue": n, "none": n}
    created_at = Timestamptz(default=TimestamptzNow())
