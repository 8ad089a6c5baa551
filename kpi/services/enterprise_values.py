"""Each enterprise's own KPI values, computed when they are read: never stored.

They are read for one enterprise at a time (its own page, its trend), one KPI at a time (the distribution on a
KPI's page), a page at a time (`kpi-values?scope=enterprise`) and by the computation's own checks (alerts'
contributors, disclosure control); storing them would write one row per enterprise, KPI and period (99 % of the
values) for readers that each want a small part of them. One statement computes what a reader asks for from
the figures, with the same common table expressions as the stored cluster and link values (`statement.py`), so
the values, numerators, denominators and statuses are the ones the cluster's value is the sum of.

Who may read which enterprise's values is the caller's to say (`readable`: from `core.scoping`, as `restrict`
would for stored rows).
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models.expressions import Col

from core.sql import SqlParams
from governance.models import Cluster, Enterprise

from ..choices import Disclosure, Scope
from ..models import ClusterKpi, DataCollectionRules, KpiValue, ReportingPeriod, Span
from .formula import status_sql
from .statement import SETTING_RELATED, Batch, batch_of, figure_ctes, sql_params

# A value's fields in the order of the model's (KpiValue.from_db builds it positionally).
VALUE_FIELDS = [f.attname for f in KpiValue._meta.concrete_fields]

# What a value's enterprise is read with (the rest of it loads if asked for).
ENTERPRISE_FIELDS = ["id", "cluster_id", "name", "taxpayer_id"]


# The orders rows may be read in: KpiValue's fields, as the statement names them.
ORDER_SQL: dict[str, str | None] = {
    "period_start": "sp.start",
    "period_kind": "sp.kind",
    "kpi__position": "j.position",
    "scope": None,  # one scope: nothing to order
    "link": "j.link",
    "enterprise__taxpayer_id": "j.taxpayer_id",
}
DEFAULT_ORDER = ("period_start", "period_kind", "kpi__position", "link", "enterprise__taxpayer_id")


@dataclass(frozen=True)
class Readable:
    """Whose values a reader may see: every enterprise of `clusters`, and `enterprises` (their own) elsewhere."""

    clusters: frozenset[int] = frozenset()
    enterprises: frozenset[int] = frozenset()

    @classmethod
    def everything(cls, clusters: Iterable[Cluster | int]) -> Readable:
        return cls(clusters=frozenset(c if isinstance(c, int) else c.pk for c in clusters))

    def __bool__(self) -> bool:
        return bool(self.clusters or self.enterprises)


@dataclass(frozen=True)
class EnterpriseValues:
    """What a reader asks for: the active KPIs (or `kpi_ids` of them) of each (cluster, span) of `work`, for the
    enterprises `readable` lets through (and only `enterprise_ids` of them, where given), optionally of one link
    or one status. `rows()` answers unsaved KpiValue rows of scope enterprise, `count()` how many there are."""

    work: Sequence[tuple[Cluster, Span]]
    readable: Readable
    kpi_ids: Collection[int] | None = None
    enterprise_ids: Collection[int] | None = None
    link: str | None = None
    status: str | None = None
    order: Sequence[str] = DEFAULT_ORDER  # KpiValue fields, "-" before one for descending (as `order_by`)
    # Given each row as `final_at` (when its period stopped being provisional), per (cluster id, period key).
    final_at: Mapping[tuple[int, str], datetime.datetime | None] | None = None

    def rows(self, *, limit: int | None = None) -> list[KpiValue]:
        """In `order` (by default the API's: period, KPI, link, taxpayer id); `limit`: only the first so many."""
        return self.head(limit)[0]

    def head(self, limit: int | None = None, offset: int = 0) -> tuple[list[KpiValue], int]:
        """`limit` rows (all where None) after the first `offset`, and how many there are in all, from one
        statement (past the last row, a second one counts)."""
        prepared = self._prepare()
        if prepared is None:
            return [], 0
        batch, settings, p, where = prepared
        limit_sql = f"LIMIT {p.add('limit', int(limit))}" if limit is not None else ""
        if offset:
            limit_sql += f" OFFSET {p.add('offset', int(offset))}"
        stored = _stored_as
        sql = f"""
{self._ctes(batch, p, where)}
SELECT j.cluster_id, j.kpi_id, sp.span_key, sp.kind, sp.start, j.link, j.enterprise_id, {stored("j.value")},
       {stored("j.num")}, {stored("CASE WHEN j.denominator IS NOT NULL THEN j.den END")}, {stored("j.target")},
       {stored("j.minimum")}, j.status, j.name, j.taxpayer_id, COUNT(*) OVER () AS total
FROM judged j
JOIN spans sp ON sp.si = j.si
ORDER BY {self._order_sql()}
{limit_sql}
"""
        with connection.cursor() as cursor:
            cursor.execute(sql, p.values)
            found = cursor.fetchall()
        kpis = {s.kpi_id: s.kpi for rows in settings.values() for s in rows}
        decimal = _decimal_converter()
        enterprises: dict[int, Enterprise] = {}
        kpi_cache, enterprise_cache = KpiValue.kpi.field, KpiValue.enterprise.field
        result = []
        for (
            cluster_id, kpi_id, key, kind, start, link, enterprise_id, value, numerator, denominator, target,
            minimum, status, name, taxpayer_id, _total,
        ) in found:  # fmt: skip
            enterprise = enterprises.get(enterprise_id)
            if enterprise is None:
                enterprise = enterprises[enterprise_id] = Enterprise.from_db(
                    connection.alias, ENTERPRISE_FIELDS, [enterprise_id, cluster_id, name, taxpayer_id]
                )
            # As Django builds a row it read (every field, in order): the database computed it. It has no id, and
            # the table refuses an enterprise's row, so it is never saved.
            row = KpiValue.from_db(
                connection.alias,
                VALUE_FIELDS,
                (
                    None, cluster_id, kpi_id, key, kind, _date(start), Scope.ENTERPRISE, link, enterprise_id,
                    decimal(value), decimal(numerator), decimal(denominator), decimal(target), decimal(minimum),
                    status, 1, None, None, None, Disclosure.PUBLISHED,
                ),
            )  # fmt: skip
            kpi_cache.set_cached_value(row, kpis[kpi_id])
            enterprise_cache.set_cached_value(row, enterprise)
            result.append(row)
        if self.final_at is not None:
            for row in result:
                row.final_at = self.final_at.get((row.cluster_id, row.period))  # type: ignore[attr-defined]
        if not found and offset:
            return result, self.count()
        return result, found[0][-1] if found else 0

    def count(self) -> int:
        prepared = self._prepare()
        if prepared is None:
            return 0
        batch, _settings, p, where = prepared
        with connection.cursor() as cursor:
            cursor.execute(f"{self._ctes(batch, p, where)}\nSELECT COUNT(*) FROM judged j", p.values)
            return cursor.fetchone()[0]

    def _order_sql(self) -> str:
        terms = []
        for name in [*self.order, *DEFAULT_ORDER]:
            field = name.lstrip("-")
            if field not in ORDER_SQL:
                raise ValueError(f"enterprise values are not ordered by {name!r}")
            if ORDER_SQL[field] is None:
                continue
            terms.append(f"{ORDER_SQL[field]} {'DESC' if name.startswith('-') else 'ASC'}")
        return ", ".join(terms)

    def _ctes(self, batch: Batch, p: SqlParams, where: str) -> str:
        filters = []
        if self.link is not None:
            filters.append(f"e.link = {p.add('only_link', self.link)}")
        if self.status is not None:
            filters.append(f"{status_sql('v', judged='v.judged = 1')} = {p.add('only_status', self.status)}")
        return f"""WITH {figure_ctes(batch, p, where, reading=True)},
valued AS (
    SELECT e.cluster_id, e.si, e.kpi_id, e.link, e.enterprise_id, e.num, e.den, e.v AS value, e.target, e.minimum,
           e.direction, e.denominator, e.judged, e.position, e.name, e.taxpayer_id
    FROM ent e
    {"WHERE " + filters[0] if self.link is not None else ""}
),
judged AS (
    SELECT v.*, {status_sql("v", judged="v.judged = 1")} AS status FROM valued v
    {"WHERE " + filters[-1] if self.status is not None else ""}
)"""

    def _prepare(self) -> tuple[Batch, dict[int, list[ClusterKpi]], SqlParams, str] | None:
        """The batch of the statement (three small reads: KPI settings, rules, periods), or None when there is
        nothing to read."""
        clusters = sorted({c.pk: c for c, _s in self.work}.values(), key=lambda c: c.pk)
        readable_clusters = {c.pk for c in clusters if c.pk in self.readable.clusters}
        if not self.work or not self.readable or (self.enterprise_ids is not None and not self.enterprise_ids):
            return None
        settings: dict[int, list[ClusterKpi]] = {c.pk: [] for c in clusters}
        active = ClusterKpi.objects.filter(cluster__in=clusters, active=True).select_related(*SETTING_RELATED)
        if self.kpi_ids is not None:
            active = active.filter(kpi_id__in=list(self.kpi_ids))
        for setting in active:
            settings[setting.cluster_id].append(setting)
        stored = {r.cluster_id: r for r in DataCollectionRules.objects.filter(cluster__in=clusters)}
        rules = {c.pk: stored.get(c.pk) or DataCollectionRules(cluster=c) for c in clusters}
        months = {m for _c, s in self.work for m in (*s.months, *s.year_before.months)}
        period_ids = list(
            ReportingPeriod.objects.filter(cluster__in=clusters, month__in=months).values_list("pk", flat=True)
        )
        work = sorted(self.work, key=lambda w: (w[1].start, w[1].kind, w[0].pk))
        batch = batch_of(work, settings, rules, period_ids)
        if batch is None or not period_ids:
            return None
        p = sql_params()
        conditions = []
        if readable_clusters:
            conditions.append(f"dv.cluster_id IN ({p.in_list('readable_cluster', sorted(readable_clusters))})")
        if self.readable.enterprises:
            conditions.append(f"dv.enterprise_id IN ({p.in_list('readable', sorted(self.readable.enterprises))})")
        if not conditions:
            return None
        where = " OR ".join(conditions)
        if self.enterprise_ids is not None:
            where = f"({where}) AND dv.enterprise_id IN ({p.in_list('only_enterprise', sorted(self.enterprise_ids))})"
        return batch, settings, p, where


def enterprise_values(
    *,
    clusters: Sequence[Cluster],
    spans: Iterable[Span | str],
    readable: Readable,
    kpi_ids: Collection[int] | None = None,
    enterprise_ids: Collection[int] | None = None,
) -> list[KpiValue]:
    """The enterprises' own values of these clusters, spans and KPIs (one statement after three small reads)."""
    chosen = sorted({Span.parse(s) if isinstance(s, str) else s for s in spans}, key=lambda s: (s.start, s.kind))
    return EnterpriseValues(
        work=[(c, s) for s in chosen for c in clusters],
        readable=readable,
        kpi_ids=kpi_ids,
        enterprise_ids=enterprise_ids,
    ).rows()


def _date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))


def _stored_as(column: str) -> str:
    """A computed value as the table's numeric(30, 8) column would hold it: PostgreSQL rounds it to 8 places by the
    column's own cast; SQLite's floats are rounded by Django's converter (`_decimal_converter`)."""
    return f"CAST({column} AS NUMERIC(30, 8))" if connection.vendor == "postgresql" else column


def _decimal_converter():
    """Values as a stored row would give them on SQLite: Django's converters of the column (PostgreSQL rounds them in
    the statement, `_stored_as`), so a value computed on read equals the one the table would hold."""
    if connection.vendor == "postgresql":
        return lambda value: value
    field = KpiValue._meta.get_field("value")
    column = Col(KpiValue._meta.db_table, field)
    converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)

    def convert(value):
        if value is None:
            return None
        for converter in converters:
            value = converter(value, column, connection)
        return value

    return convert
