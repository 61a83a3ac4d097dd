"""Units (单位), users, login tokens and the admin-entered working-day calendar."""

from piccolo.columns import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns import Serial
from piccolo.table import Table

from closedloop.domain.statuses import Role


class Unit(Table, tablename="unit"):
    """A department or unit (责任单位) that leads or cooperates on items."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    name = Varchar(length=200, unique=True, null=False)
    webhook_url = Varchar(length=500, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1, null=False)


class User(Table, tablename="app_user"):
    """A person who logs in. Leads belong to a unit; supervisors and admins need not."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    username = Varchar(length=80, unique=True, null=False)
    display_name = Varchar(length=100, null=False, default="")
    role = Varchar(length=16, null=False, choices=Role)
    unit = ForeignKey(references=Unit, null=True, default=None, on_delete=OnDelete.restrict)
    password_hash = Varchar(length=200, null=False)
    active = Boolean(default=True, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1, null=False)


class AuthToken(Table, tablename="auth_token"):
    """A bearer token or web session; only its SHA-256 is stored."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    token_hash = Varchar(length=64, unique=True, null=False)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=8, null=False, default="api")  # api | web
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=False)
    revoked_at = Timestamptz(null=True, default=None)


class WorkdayOverride(Table, tablename="workday_override"):
    """An admin-entered holiday or make-up workday for a year the calendar package lacks."""

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    day = Date(unique=True, null=False)
    is_workday = Boolean(null=False)
    note = Varchar(length=100, null=False, default="")


class LoginThrottle(Table, tablename="login_throttle"):
    """Failed logins, counted in the database so that every worker sees the same counts.

    ``key`` is ``pair:<username>|<client>`` (one person guessing one account from one address)
    or ``client:<address>`` (one address guessing many accounts).
    """

    id: Serial  # Piccolo adds the primary key; declared here for the type checker only
    key = Varchar(length=300, unique=True, null=False)
    failures = Integer(null=False, default=0)
    first_at = Timestamptz(default=TimestamptzNow())
    blocked_until = Timestamptz(null=True, default=None)
