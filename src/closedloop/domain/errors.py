"""The one family of domain errors. Services raise these; the API router answers them as JSON
and the pages router as pages (api/errors.py, web/errors.py).

Each class says which HTTP status and error code it is answered with (``status``, ``code``)
and which headers go with it (``headers()``), so the mapping lives with the error and a new
error class cannot be forgotten in a table elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class Issue:
    """One thing wrong: a machine code, the field it concerns (if any) and a Chinese message.
    (Not ``Problem``: that is the record of a 问题 on an item, ``db.tables.Problem``.)"""

    code: str
    message: str
    field: str | None = None


@dataclass
class DomainError(Exception):
    message: str
    problems: list[Issue] = field(default_factory=list)

    status: ClassVar[int] = 400
    code: ClassVar[str] = "error"

    def __str__(self) -> str:
        return self.message

    def headers(self) -> dict[str, str]:
        return {}


class NotFound(DomainError):
    """The record does not exist (or is not visible to the caller)."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The caller may not do this."""

    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    """Not logged in, or the credentials are wrong."""

    status = 401
    code = "unauthorized"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class Conflict(DomainError):
    """Stale version, duplicate key, or a state that does not allow the change."""

    status = 409
    code = "conflict"


class GateNotMet(Conflict):
    """A stage move refused: ``problems`` lists every unmet condition."""

    code = "gate_not_met"


class Invalid(DomainError):
    """Input that names a field and what is wrong with it."""

    status = 422
    code = "invalid"


class TooManyAttempts(DomainError):
    """Rate limit hit; ``retry_after`` seconds until the next try."""

    status = 429
    code = "too_many_attempts"
    retry_after: int = 60

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
