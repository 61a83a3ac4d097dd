"""Piccolo's configuration for a checkout: the real one lives in closedloop.db.piccolo_conf."""

from closedloop.db.piccolo_conf import APP_REGISTRY, DB  # noqa: F401
