"""Request and response Structs (msgspec), one module per area. Requests forbid unknown fields.

Conventions: a foreign key is ``<name>_id`` on the wire and ``<name>`` in services and tables;
update bodies carry ``version`` and only the fields they change (``UNSET`` = not sent).

- ``common``: field types, ``In``, ``read``/``read_all``/``changes``, ``Page``, ``Message``
- ``org``: sign-in, units, users
- ``plans``: import, plans, the tree
- ``items``: items, transitions, gates, history
- ``records``: goals, problems, projects, results, evidence
- ``reports``: progress reports, goal change requests
- ``supervision``: overdue list, 催办/督办, 延期, 销号, notifications
"""

AREAS = ("common", "org", "plans", "items", "records", "reports", "supervision")
