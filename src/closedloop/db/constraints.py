"""Composite unique keys, created by raw SQL in a migration.

Piccolo's ``Unique`` constraint is emitted as ``ALTER TABLE ... ADD CONSTRAINT``, which SQLite
does not support, so multi-column keys are unique indexes instead (the same on both
engines). The schema-drift test checks that each of these exists in the database.
"""

UNIQUE_INDEXES: dict[str, str] = {
    # sections have no parent: COALESCE makes (plan, NULL, code) unique too
    "uq_work_item_plan_parent_code": 'ON "work_item" ("plan", COALESCE("parent", 0), "code")',
    "uq_item_unit": 'ON "item_unit" ("item", "unit")',
    "uq_problem_goal": 'ON "problem_goal" ("problem", "goal")',
    "uq_project_problem": 'ON "project_problem" ("project", "problem")',
    "uq_project_goal": 'ON "project_goal" ("project", "goal")',
    "uq_publication_edition": 'ON "publication" ("cadence", "period", "edition")',
    "uq_publication_row_unit": 'ON "publication_row" ("publication", "unit")',
    # one report per item and period: a 更正 names the report it corrects, so two first reports
    # (or two corrections of one report) cannot both be written; admin corrections stand apart
    "uq_progress_report_period": """ON "progress_report" ("item", "period", COALESCE("corrects", 0)) WHERE "kind" <> 'admin'""",
}


def create_statements() -> list[str]:
    return [f'CREATE UNIQUE INDEX IF NOT EXISTS "{name}" {body}' for name, body in UNIQUE_INDEXES.items()]
