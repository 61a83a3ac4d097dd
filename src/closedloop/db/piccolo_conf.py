"""Piccolo configuration: the engine (from settings) and the app registry.

The ``closedloop`` command points ``PICCOLO_CONF`` here; the repository's top-level
``piccolo_conf.py`` re-exports it so that Piccolo's own CLI works from a checkout.
"""

from piccolo.conf.apps import AppRegistry

from closedloop.db.engine_factory import make_engine
from closedloop.settings import get_settings

DB = make_engine(get_settings().database_url)

APP_REGISTRY = AppRegistry(apps=["closedloop.db.piccolo_app"])
