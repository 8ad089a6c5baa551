"""Named parameters for hand-written SQL: every value a statement reads has a name, and tables of parameters
(VALUES lists) take their column names from a NamedTuple, so no statement is fed a long positional tuple.

    params = SqlParams(pending="pending")
    terms = params.table("terms", rows, casts={"kpi_id": "integer"})   # "terms (kpi_id, …) AS (VALUES (…), …)"
    sql = f"WITH {terms} SELECT … WHERE t.status = %(pending)s AND t.id IN ({params.in_list('ids', ids)})"
    cursor.execute(sql, params.values)

Django runs `%(name)s` parameters on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from django.db import connection

# Casts SQLite knows; it would read a date cast as a number (2025-03-01 → 2025), so it gets the others bare.
_SQLITE_CASTS = frozenset({"integer", "numeric"})


class SqlParams:
    """The parameters of one statement, by name."""

    def __init__(self, **values: Any) -> None:
        self.values: dict[str, Any] = {}
        for name, value in values.items():
            self.add(name, value)

    def add(self, name: str, value: Any) -> str:
        """A named parameter; answers its placeholder."""
        if name in self.values and self.values[name] != value:
            raise ValueError(f"parameter {name!r} is given twice with different values")
        self.values[name] = value
        return f"%({name})s"

    def in_list(self, name: str, values: Iterable[Any]) -> str:
        """The placeholders of an IN (…) list (NULL when empty: IN (NULL) matches nothing)."""
        placeholders = [self.add(f"{name}_{i}", value) for i, value in enumerate(values)]
        return ", ".join(placeholders) or "NULL"

    def table(self, name: str, rows: Sequence[NamedTuple], *, casts: Mapping[str, str]) -> str:
        """A common table expression `name (columns) AS (VALUES …)` of NamedTuple rows, each cell cast to its column's
        type (`casts`, by field name) so that the database types every column as the statement reads it."""
        if not rows:
            raise ValueError(f"the table {name!r} has no rows")
        fields = type(rows[0])._fields
        if connection.vendor != "postgresql":
            casts = {field: cast for field, cast in casts.items() if cast in _SQLITE_CASTS}
        lines = []
        for i, row in enumerate(rows):
            cells = []
            for field, value in zip(fields, row, strict=True):
                placeholder = self.add(f"{name}_{i}_{field}", value)
                cast = casts.get(field)
                cells.append(f"CAST({placeholder} AS {cast})" if cast else placeholder)
            lines.append("(" + ", ".join(cells) + ")")
        return f"{name} ({', '.join(fields)}) AS (VALUES {', '.join(lines)})"


def statistics_refresh(models: Iterable[Any]) -> None:
    """ANALYZE these models' tables on PostgreSQL, after a bulk write and before reading them in the same
    transaction.

    The planner sizes a join from the statistics of the last ANALYZE. When a bulk load is read again before
    autovacuum has seen it (within its own transaction, which autovacuum never sees), a table analysed while nearly
    empty is still planned as nearly empty. The enterprise values of `kpi/services/enterprise_values.py` then ran
    as a nested loop of every submission over every figure: 45 s instead of a fraction of a second for the demo.
    ANALYZE counts the rows the transaction itself wrote. The row counts it sets (pg_class.reltuples) stay even when
    the transaction is rolled back, until the next ANALYZE or autovacuum: harmless, a plan only. SQLite plans
    without such statistics, so it has nothing to do there.
    """
    if connection.vendor != "postgresql":
        return
    tables = sorted({connection.ops.quote_name(model._meta.db_table) for model in models})
    if tables:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
