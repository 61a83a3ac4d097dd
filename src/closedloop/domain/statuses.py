"""The states a stored row can be in, named once: the tables declare them as their columns'
choices (``Varchar(choices=…)``) and the rules and services compare against them. Stages and
lights have their own modules (``stages.Stage``, ``lights.Light``); these are the rest.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who a user is (``services/access.py`` says what each may do)."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    LEAD = "lead"


class ProblemStatus(StrEnum):
    """A 问题: open → resolved (by its unit, with a resolution) → verified (by the office); or
    carried over with a reason."""

    OPEN = "open"
    RESOLVED = "resolved"
    VERIFIED = "verified"
    CARRIED_OVER = "carried_over"


class RequestStatus(StrEnum):
    """A lead's request the office decides (延期申请, 目标调整申请)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class DeliveryStatus(StrEnum):
    """A webhook post: retried while pending, then sent or failed for good."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class RunStatus(StrEnum):
    """A claimed scheduler run (``job_run``)."""

    RUNNING = "running"
    DONE = "done"
