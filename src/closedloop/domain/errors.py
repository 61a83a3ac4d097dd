"""The one family of domain errors. Services raise these; the API maps them to HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong: a machine code, the field it concerns (if any) and a Chinese message."""

    code: str
    message: str
    field: str | None = None


@dataclass
class DomainError(Exception):
    message: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    """The record does not exist (or is not visible to the caller)."""


class Forbidden(DomainError):
    """The caller may not do this."""


class Unauthorized(DomainError):
    """Not logged in, or the credentials are wrong."""


class Conflict(DomainError):
    """Stale version, duplicate key, or a state that does not allow the change."""


class GateNotMet(Conflict):
    """A stage move refused: ``problems`` lists every unmet condition."""


class Invalid(DomainError):
    """Input that names a field and what is wrong with it."""


class TooManyAttempts(DomainError):
    """Rate limit hit; ``retry_after`` seconds until the next try."""

    retry_after: int = 60
