"""The statement behind every KPI value: the parameter tables of a batch of clusters and periods, and the common
table expressions that turn a batch's figures into each enterprise's numerator, denominator and value of each KPI.

`computation.py` groups them into the stored cluster and link values; `enterprise_values.py` reads them as each
enterprise's own values, computed when they are read. The rules (DESIGN.md, "Aggregation rules"): over months
flows are summed and stocks averaged; an enterprise counts for a KPI only when it reported every element the
formula reads in every month of the period (for EXPGR: in both years). Which submissions count is the cluster's
setting.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import connection

from core.sql import SqlParams
from governance.models import Cluster, Enterprise, EnterprisePastLink

from ..choices import Aggregation, Disclosure, Scope, SubmissionStatus
from ..models import ClusterKpi, DataCollectionRules, DataValue, ReportingPeriod, Span, Submission
from .formula import STATUS_PARAMS, THIS_PERIOD, YEAR_BEFORE, Term, counted_statuses, judges_every_scope, value_sql

# What a KPI setting is read with for the computation: the KPI and the elements of its formula.
SETTING_RELATED = ("kpi", "kpi__numerator", "kpi__denominator")


# --- The statement -------------------------------------------------------------------------------------
#
# One INSERT … SELECT computes every active data KPI for a batch of clusters and periods (months and
# quarters): the monthly job takes every cluster at once, a history recomputation every period. Small
# tables of parameters (the rows below: the KPI terms per cluster, the periods and their months) ride along
# as VALUES, so the statement and its number of queries do not depend on the number of enterprises.


class TermRow(NamedTuple):
    """A KPI's term (formula.Term) as one cluster runs it, with the cluster's target and minimum."""

    cluster_id: int
    kpi_id: int
    numerator: int | None
    numerator_year: int
    denominator: int | None
    denominator_year: int
    multiplier: Decimal
    per_days: int
    shift: Decimal
    target: Decimal | None
    minimum: Decimal | None
    direction: str
    judged: int  # link and enterprise values judged too (formula.judges_every_scope)
    position: int  # the KPI's place in the catalogue (the order readers list values in)


class ElementRow(NamedTuple):
    """An element a cluster's KPI reads, in which year, on which side of the fraction."""

    cluster_id: int
    kpi_id: int
    element_id: int
    yr: int
    side: int


class SpanRow(NamedTuple):
    """A month or quarter computed, by its index `si` in the batch."""

    si: int
    span_key: str
    kind: str
    start: datetime.date
    days: int
    months: int
    last_month: datetime.date


class SpanMonthRow(NamedTuple):
    """A month a span reads: of the span itself (yr 0) or a year before it (yr 1, for growth)."""

    si: int
    month: datetime.date
    yr: int


class WorkRow(NamedTuple):
    """A cluster and a span computed."""

    cluster_id: int
    si: int


class RulesRow(NamedTuple):
    """A cluster's rules: whether submitted figures count, and the primary rules of disclosure control."""

    cluster_id: int
    with_submitted: int
    min_n: int
    min_q: int
    dominance: Decimal


TYPES = {
    "cluster_id": "integer",
    "kpi_id": "integer",
    "numerator": "integer",
    "numerator_year": "integer",
    "denominator": "integer",
    "denominator_year": "integer",
    "multiplier": "numeric",
    "per_days": "integer",
    "shift": "numeric",
    "target": "numeric",
    "minimum": "numeric",
    "judged": "integer",
    "position": "integer",
    "element_id": "integer",
    "yr": "integer",
    "side": "integer",
    "si": "integer",
    "span_key": "varchar(16)",  # a month or a quarter; a run of months (MonthRun) is longer
    "kind": "varchar(8)",
    "start": "date",
    "days": "integer",
    "months": "integer",
    "last_month": "date",
    "month": "date",
    "with_submitted": "integer",
    "min_n": "integer",
    "min_q": "integer",
    "dominance": "numeric",
}


@dataclass(frozen=True)
class Batch:
    """What one statement computes: the parameter tables and the periods whose figures it reads."""

    terms: list[TermRow]
    elements: list[ElementRow]
    spans: list[SpanRow]
    span_months: list[SpanMonthRow]
    work: list[WorkRow]
    rules: list[RulesRow]
    period_ids: list[int]
    stocks: frozenset[int]  # the elements averaged over months (stocks); the others are summed


def table_name(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def figure_ctes(batch: Batch, p: SqlParams, where: str = "", *, reading: bool = False) -> str:
    """The common table expressions up to `ent`: each enterprise's numerator and denominator of each KPI and span.

    A month's figures are first put side by side, a column per element read (`figures`: one row per enterprise
    and month), then summed (flows) or averaged (stocks) over each span's months, a column per element and year
    (`sums`: one row per enterprise and span, NULL where a month is missing), then each KPI picks its two columns
    (`pairs`). Each step groups rows of one width, so the planner sizes every step from the enterprises and
    months, not from a row per figure.

    where: a further condition on the figures read (`dv`), its values in `p` (which enterprises a reader may see).
    reading: `ent` carries what a reader shows with each value (its target, minimum and whether it is judged, the
    KPI's place, the enterprise's name and taxpayer id), so the reader joins nothing row by row.
    """
    tables = ",\n".join(
        [
            p.table("terms", batch.terms, casts=TYPES),
            p.table("spans", batch.spans, casts=TYPES),
            p.table("span_months", batch.span_months, casts=TYPES),
            p.table("work", batch.work, casts=TYPES),
            p.table("counted", batch.rules, casts=TYPES),
        ]
    )
    clusters = p.in_list("cluster", sorted({w.cluster_id for w in batch.work}))
    periods = p.in_list("period", sorted(batch.period_ids))
    element_ids = sorted({e.element_id for e in batch.elements})
    elements = p.in_list("element", element_ids)
    # The months read a year before (for growth) only for the elements read a year before: a month's job reads
    # the same month of last year for one element, not for every element.
    before = sorted(
        {m.month for m in batch.span_months if m.yr == YEAR_BEFORE}
        - {m.month for m in batch.span_months if m.yr == THIS_PERIOD}
    )
    before_elements = sorted({e.element_id for e in batch.elements if e.yr == YEAR_BEFORE})
    only_before = ""
    if before:
        months_before = p.in_list("month_before", before)
        only_before = (
            f"AND (p.month NOT IN ({months_before}) "
            f"OR dv.data_element_id IN ({p.in_list('element_before', before_elements)}))"
        )
    final = p.in_list("final", counted_statuses(count_submitted=False))
    columns = sorted({(e.element_id, e.yr) for e in batch.elements})
    only = f"AND ({where})" if where else ""
    pivot = ",\n           ".join(
        f"MAX(CASE WHEN dv.data_element_id = {p.add(f'pivot_{e}', e)} THEN dv.value END) AS f{e}" for e in element_ids
    )

    def over_span(element: int, year: int) -> str:
        value = f"CASE WHEN sm.yr = {p.add(f'year_{year}', year)} THEN f.f{element} END"
        total = f"1.0 * SUM({value}) / COUNT({value})" if element in batch.stocks else f"SUM({value})"
        # Every month of the span reported, or nothing.
        return f"CASE WHEN COUNT({value}) = MAX(sp.months) THEN {total} END AS c{element}_{year}"

    sums = ",\n           ".join(over_span(e, y) for e, y in columns)

    def pick(side: str) -> str:
        cases = " ".join(
            f"WHEN t.{side} = {p.add(f'pick_{e}', e)} AND t.{side}_year = {p.add(f'year_{y}', y)} THEN s.c{e}_{y}"
            for e, y in columns
        )
        return f"CASE {cases} END"

    def shown(enterprise: str, term: str) -> str:
        if not reading:
            return ""
        return (
            f"{term}.target, {term}.minimum, {term}.direction, {term}.judged, {term}.position, "
            f"{enterprise}.name, {enterprise}.taxpayer_id,"
        )

    # Materialized: each later step reads these narrow rows, not the expressions (and the wide rows) behind them.
    materialized = "MATERIALIZED" if connection.vendor == "postgresql" else ""
    return f"""{tables},
figures AS (
    SELECT dv.cluster_id, dv.enterprise_id, p.month,
           {pivot}
    FROM {table_name(DataValue)} dv
    JOIN {table_name(ReportingPeriod)} p ON p.id = dv.period_id
    JOIN {table_name(Submission)} s ON s.enterprise_id = dv.enterprise_id AND s.period_id = dv.period_id
    JOIN counted c ON c.cluster_id = dv.cluster_id
    WHERE dv.cluster_id IN ({clusters}) AND dv.period_id IN ({periods}) AND dv.data_element_id IN ({elements})
      AND s.cluster_id IN ({clusters}) AND s.period_id IN ({periods}) AND p.id IN ({periods}) {only} {only_before}
      AND (s.status IN ({final}) OR (c.with_submitted = 1 AND s.status = %(submitted)s))
    GROUP BY dv.cluster_id, dv.enterprise_id, p.month
),
sums AS {materialized} (
    -- The link of the span's last month: a past link where the enterprise has moved since (EnterprisePastLink).
    SELECT g.*, sp.days, COALESCE(
               (SELECT pl.link FROM {table_name(EnterprisePastLink)} pl
                WHERE pl.enterprise_id = g.enterprise_id AND pl.until > sp.last_month
                ORDER BY pl.until LIMIT 1),
               e.value_chain_link
           ) AS link{", e.name, e.taxpayer_id" if reading else ""}
    FROM (
        SELECT f.cluster_id, sm.si, f.enterprise_id,
               {sums}
        FROM figures f
        JOIN span_months sm ON sm.month = f.month
        JOIN spans sp ON sp.si = sm.si
        GROUP BY f.cluster_id, sm.si, f.enterprise_id
    ) g
    JOIN spans sp ON sp.si = g.si
    JOIN {table_name(Enterprise)} e ON e.id = g.enterprise_id
),
pairs AS (
    -- Each KPI's two columns, with what its value is computed with (so `ent` joins nothing).
    SELECT s.cluster_id, s.si, t.kpi_id, s.enterprise_id, s.link, s.days,
           t.multiplier, t.per_days, t.shift, t.denominator, {shown("s", "t")}
           {pick("numerator")} AS num, {pick("denominator")} AS den
    FROM sums s
    JOIN terms t ON t.cluster_id = s.cluster_id
    JOIN work w ON w.cluster_id = s.cluster_id AND w.si = s.si
),
ent AS {materialized} (
    SELECT p.cluster_id, p.si, p.kpi_id, p.enterprise_id, p.link, p.num, p.den, p.denominator, {shown("p", "p")}
           {value_sql("p", term="p", span="p")} AS v
    FROM pairs p
    WHERE p.num IS NOT NULL AND (p.denominator IS NULL OR p.den IS NOT NULL)
)"""


def batch_of(
    work: list[tuple[Cluster, Span]],
    settings: dict[int, list[ClusterKpi]],
    rules: dict[int, DataCollectionRules],
    period_ids: list[int],
) -> Batch | None:
    """The parameter tables of a statement for every (cluster, span) of `work` (None when no data KPI is active)."""
    terms = [
        (cluster_id, setting, Term.of(setting.kpi))
        for cluster_id, rows in settings.items()
        for setting in rows
        if not setting.kpi.is_platform
    ]
    with_terms = {cluster_id for cluster_id, _s, _t in terms}
    work = [(c, s) for c, s in work if c.pk in with_terms]
    if not work:
        return None
    index = {key: i for i, key in enumerate(dict.fromkeys(s.key for _c, s in work))}
    spans = {s.key: s for _c, s in work}
    clusters = {c.pk: c for c, _s in work}
    return Batch(
        terms=[
            TermRow(
                cluster_id=cluster_id,
                kpi_id=term.kpi_id,
                numerator=term.numerator,
                numerator_year=term.numerator_year,
                denominator=term.denominator,
                denominator_year=term.denominator_year,
                multiplier=term.multiplier,
                per_days=int(term.per_days),
                shift=term.shift,
                target=setting.target,
                minimum=setting.minimum,
                direction=setting.kpi.direction,
                judged=int(judges_every_scope(setting)),
                position=setting.kpi.position,
            )
            for cluster_id, setting, term in terms
        ],
        elements=[
            ElementRow(cluster_id, term.kpi_id, element, year, side)
            for cluster_id, _setting, term in terms
            for element, year, side in term.elements()
        ],
        spans=[
            SpanRow(index[s.key], s.key, s.kind, s.start, s.days, len(s.months), s.months[-1]) for s in spans.values()
        ],
        span_months=sorted(
            {SpanMonthRow(index[s.key], m, THIS_PERIOD) for s in spans.values() for m in s.months}
            | {SpanMonthRow(index[s.key], m, YEAR_BEFORE) for s in spans.values() for m in s.year_before.months}
        ),
        work=[WorkRow(c.pk, index[s.key]) for c, s in work],
        rules=[
            RulesRow(
                cluster_id=c.pk,
                with_submitted=int(rules[c.pk].count_submitted),
                min_n=rules[c.pk].publish_min_enterprises,
                min_q=rules[c.pk].publish_min_enterprises_quartiles,
                dominance=rules[c.pk].publish_dominance_share,
            )
            for c in clusters.values()
        ],
        period_ids=sorted(period_ids),
        stocks=frozenset(
            element.pk
            for _c, setting, _t in terms
            for element in (setting.kpi.numerator, setting.kpi.denominator)
            if element is not None and element.aggregation == Aggregation.STOCK
        ),
    )


def sql_params() -> SqlParams:
    """The named values every statement over the batch reads."""
    return SqlParams(
        **STATUS_PARAMS,
        submitted=SubmissionStatus.SUBMITTED.value,
        scope_cluster=Scope.CLUSTER.value,
        scope_link=Scope.LINK.value,
        scope_enterprise=Scope.ENTERPRISE.value,
        no_link="",
        published=Disclosure.PUBLISHED.value,
        few=Disclosure.FEW.value,
        dominated=Disclosure.DOMINATED.value,
    )
