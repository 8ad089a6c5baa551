"""The same KPIs as a data analyst computes them outside the platform, for bench/aggregation.py (issue 12, item 6).

The counted figures go out of PostgreSQL as one CSV (COPY); pandas, and DuckDB, read it, compute every data KPI
of every month and quarter for each cluster and link (values, numerators, denominators, enterprises counted, the
quartiles), and write the values as CSV; the values are checked against the rows the platform stored, and COPYed
into PostgreSQL (what an analyst's pipeline would have to do to serve them). Each implements DESIGN.md's rules on
its own, with floats: over months flows summed and stocks averaged, an enterprise counted only with every element
in every month of the span (growth: in both years), ratios of sums, each quartile the mean of the three
enterprises around its place (kpi.services.computation._quartile_columns), over `min_q` enterprises or more.
"""

from __future__ import annotations

import csv
import datetime
import math
import time
from dataclasses import dataclass
from pathlib import Path

OUT_COLUMNS = [
    "cluster",
    "period",
    "kpi",
    "scope",
    "link",
    "value",
    "numerator",
    "denominator",
    "n",
    "p25",
    "p50",
    "p75",
]


@dataclass(frozen=True)
class Term:
    code: str
    numerator: str
    denominator: str | None
    denominator_year: int  # 1: a year before (growth)
    multiplier: float
    per_days: bool
    shift: float


@dataclass(frozen=True)
class SpanInfo:
    si: int
    key: str
    days: int
    months: tuple[str, ...]  # ISO dates of its months
    year_before: tuple[str, ...]


def catalogue(ids: list[int]) -> tuple[list[Term], set[str], int]:
    """The active data KPIs of the clusters (the same for each in the bench), the stock elements, and min_q."""
    from kpi.models import ClusterKpi, DataCollectionRules, DataElement

    settings = ClusterKpi.objects.filter(cluster_id=ids[0], active=True, kpi__source="data").select_related(
        "kpi__numerator", "kpi__denominator"
    )
    terms = []
    for s in settings:
        kpi = s.kpi
        growth = kpi.year_over_year
        terms.append(
            Term(
                code=kpi.code,
                numerator=kpi.numerator.code,
                denominator=kpi.numerator.code if growth else (kpi.denominator.code if kpi.denominator else None),
                denominator_year=1 if growth else 0,
                multiplier=float(kpi.multiplier),
                per_days=kpi.per_days_in_period,
                shift=-1.0 if growth else 0.0,
            )
        )
    stocks = set(DataElement.objects.filter(aggregation="stock").values_list("code", flat=True))
    rules = DataCollectionRules.objects.filter(cluster_id=ids[0]).first() or DataCollectionRules()
    return terms, stocks, rules.publish_min_enterprises_quartiles


def spans(months: list[datetime.date], *, quarters: bool = True) -> list[SpanInfo]:
    """Every month and (`quarters`) each quarter after its last month, as the platform computes a history."""
    from kpi.models import Span

    chosen = []
    for month in sorted(months):
        chosen.append(Span.month(month))
        if quarters and month.month % 3 == 0:
            chosen.append(Span.quarter_of(month))
    found = []
    for si, span in enumerate(chosen):
        found.append(
            SpanInfo(
                si,
                span.key,
                span.days,
                tuple(m.isoformat() for m in span.months),
                tuple(m.isoformat() for m in span.year_before.months),
            )
        )
    return found


def export_figures(ids: list[int], months: list[str], path: Path) -> float:
    """The counted figures (approved or locked submissions) of the clusters in these months (ISO dates) as CSV:
    COPY out of PostgreSQL."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor, path.open("w") as out:
        cursor.copy_expert(
            cursor.mogrify(
                """COPY (
                SELECT dv.cluster_id AS cluster, dv.enterprise_id AS enterprise, e.value_chain_link AS link,
                       p.month, de.code AS element, dv.value
                FROM kpi_datavalue dv
                JOIN kpi_reportingperiod p ON p.id = dv.period_id
                JOIN kpi_submission s ON s.enterprise_id = dv.enterprise_id AND s.period_id = dv.period_id
                JOIN governance_enterprise e ON e.id = dv.enterprise_id
                JOIN kpi_dataelement de ON de.id = dv.data_element_id
                WHERE dv.cluster_id = ANY(%s) AND p.month = ANY(%s::date[]) AND s.status IN ('approved', 'locked')
            ) TO STDOUT WITH CSV HEADER""",
                [ids, months],
            ).decode(),
            out,
        )
    return time.perf_counter() - started


def _quartile_place(count, a: int, b: int):
    """The place (1 = lowest) nearest to (count - 1) × a/b, as the platform counts it, kept within [2, count - 1]."""
    place = (2 * a * (count - 1) + b) // (2 * b) + 1
    return place.clip(lower=2).where(place.clip(lower=2) <= count - 1, count - 1)


def pandas_kpis(csv_path: Path, terms: list[Term], stocks: set[str], spans_: list[SpanInfo], min_q: int, out: Path):
    import numpy as np
    import pandas as pd

    figures = pd.read_csv(csv_path, dtype={"link": "category", "element": "category"})
    wide = figures.set_index(["cluster", "enterprise", "link", "month", "element"])["value"].unstack("element")
    wide = wide.reset_index()
    elements = sorted({t.numerator for t in terms} | {t.denominator for t in terms if t.denominator})
    rows = [(s.si, m, 0) for s in spans_ for m in s.months] + [(s.si, m, 1) for s in spans_ for m in s.year_before]
    span_months = pd.DataFrame(rows, columns=["si", "month", "yr"])
    per_span = wide.merge(span_months, on="month")
    grouped = per_span.groupby(["cluster", "enterprise", "link", "si", "yr"], observed=True)[elements]
    totals, counts = grouped.sum(min_count=1), grouped.count()
    months = pd.Series({s.si: len(s.months) for s in spans_})
    complete = counts.eq(months.reindex(counts.index.get_level_values("si")).to_numpy(), axis=0)
    for element in elements:
        if element in stocks:
            totals[element] = totals[element] / counts[element]
    sums = totals.where(complete).unstack("yr")
    days = pd.Series({s.si: s.days for s in spans_})
    frames = []
    for t in terms:
        num = sums.get((t.numerator, 0))
        if num is None:
            continue
        den = sums.get((t.denominator, t.denominator_year)) if t.denominator else None
        if t.denominator and den is None:
            continue
        keep = num.notna() & (den.notna() if den is not None else True)
        part = pd.DataFrame({"num": num[keep], "den": den[keep] if den is not None else np.nan}).reset_index()
        part["kpi"] = t.code
        factor = t.multiplier * (days.reindex(part["si"]).to_numpy() if t.per_days else 1.0)
        if t.denominator:
            with np.errstate(divide="ignore", invalid="ignore"):
                part["v"] = np.where(part["den"] == 0, np.nan, factor * part["num"] / part["den"] + t.shift)
        else:
            part["v"] = factor * part["num"] + t.shift
        frames.append(part)
    ent = pd.concat(frames, ignore_index=True)
    ent["rounded"] = ent["v"].round(8)
    results = []
    for scope, keys in (("cluster", ["cluster", "si", "kpi"]), ("link", ["cluster", "si", "kpi", "link"])):
        ordered = ent.sort_values([*keys, "rounded", "enterprise"], na_position="last")
        ordered["rank"] = ordered.groupby(keys, observed=True).cumcount() + 1
        ordered["nv"] = ordered.groupby(keys, observed=True)["v"].transform("count")
        aggregates = {"num": ("num", "sum"), "den": ("den", lambda d: d.sum(min_count=1)), "n": ("num", "size")}
        for name, (a, b) in (("p25", (1, 4)), ("p50", (1, 2)), ("p75", (3, 4))):
            centre = _quartile_place(ordered["nv"], a, b)
            inside = (ordered["rank"] >= centre - 1) & (ordered["rank"] <= centre + 1)
            ordered[name] = ordered["v"].where(inside & (ordered["nv"] >= max(min_q, 3)))
            aggregates[name] = (name, "mean")
        group = ordered.groupby(keys, observed=True).agg(**aggregates).reset_index()
        group["scope"] = scope
        if scope == "cluster":
            group["link"] = ""
        results.append(group)
    values = pd.concat(results, ignore_index=True)
    by_code = {t.code: t for t in terms}
    factor = np.array(
        [
            by_code[k].multiplier * (days[si] if by_code[k].per_days else 1.0)
            for k, si in zip(values["kpi"], values["si"], strict=True)
        ]
    )
    shift = np.array([by_code[k].shift for k in values["kpi"]])
    ratio = np.array([by_code[k].denominator is not None for k in values["kpi"]])
    with np.errstate(divide="ignore", invalid="ignore"):
        values["value"] = np.where(
            ratio,
            np.where(values["den"] == 0, np.nan, factor * values["num"] / values["den"] + shift),
            factor * values["num"] + shift,
        )
    keys = {s.si: s.key for s in spans_}
    values["period"] = values["si"].map(keys)
    values = values.rename(columns={"num": "numerator", "den": "denominator"})
    values[OUT_COLUMNS].to_csv(out, index=False)


def duckdb_kpis(csv_path: Path, terms: list[Term], stocks: set[str], spans_: list[SpanInfo], min_q: int, out: Path):
    import duckdb

    elements = sorted({t.numerator for t in terms} | {t.denominator for t in terms if t.denominator})
    columns = sorted(
        {(t.numerator, 0) for t in terms} | {(t.denominator, t.denominator_year) for t in terms if t.denominator}
    )
    pivot = ", ".join(f"max(CASE WHEN element = '{e}' THEN value END) AS \"{e}\"" for e in elements)

    def over(e: str, y: int) -> str:
        value = f'CASE WHEN sm.yr = {y} THEN f."{e}" END'
        total = f"sum({value}) / count({value})" if e in stocks else f"sum({value})"
        return f'CASE WHEN count({value}) = any_value(sp.months) THEN {total} END AS "{e}_{y}"'

    def pick(side: str) -> str:
        cases = " ".join(f"WHEN t.{side} = '{e}' AND t.{side}_year = {y} THEN s.\"{e}_{y}\"" for e, y in columns)
        return f"CASE {cases} END"

    terms_sql = ", ".join(
        f"('{t.code}', '{t.numerator}', 0, {repr(t.denominator) if t.denominator else 'NULL'}, {t.denominator_year}, "
        f"{t.multiplier}, {int(t.per_days)}, {t.shift})"
        for t in terms
    )
    spans_sql = ", ".join(f"({s.si}, '{s.key}', {s.days}, {len(s.months)})" for s in spans_)
    months_sql = ", ".join(
        [f"({s.si}, DATE '{m}', 0)" for s in spans_ for m in s.months]
        + [f"({s.si}, DATE '{m}', 1)" for s in spans_ for m in s.year_before]
    )

    def quartiles(rank: str, count: str) -> str:
        parts = []
        for (a, b), name in (((1, 4), "p25"), ((1, 2), "p50"), ((3, 4), "p75")):
            place = f"(2 * {a} * ({count} - 1) + {b}) // {2 * b} + 1"
            centre = f"least(greatest({place}, 2), {count} - 1)"
            parts.append(
                f"CASE WHEN max({count}) >= {max(min_q, 3)} THEN "
                f"avg(CASE WHEN {rank} BETWEEN {centre} - 1 AND {centre} + 1 THEN v END) END AS {name}"
            )
        return ", ".join(parts)

    sql = f"""
WITH terms (kpi, numerator, numerator_year, denominator, denominator_year, multiplier, per_days, shift) AS
    (VALUES {terms_sql}),
spans (si, period, days, months) AS (VALUES {spans_sql}),
span_months (si, month, yr) AS (VALUES {months_sql}),
figures AS (
    SELECT cluster, enterprise, link, month, {pivot}
    FROM read_csv('{csv_path}', header = true) GROUP BY cluster, enterprise, link, month
),
sums AS (
    SELECT f.cluster, f.enterprise, f.link, sm.si, {", ".join(over(e, y) for e, y in columns)}
    FROM figures f JOIN span_months sm ON sm.month = f.month JOIN spans sp ON sp.si = sm.si
    GROUP BY f.cluster, f.enterprise, f.link, sm.si
),
pairs AS (
    SELECT s.cluster, s.enterprise, s.link, s.si, t.kpi, t.denominator, t.multiplier, t.per_days, t.shift,
           {pick("numerator")} AS num, {pick("denominator")} AS den
    FROM sums s CROSS JOIN terms t
),
ent AS (
    SELECT p.*, CASE WHEN p.denominator IS NULL THEN factor * num + shift WHEN den = 0 THEN NULL
                     ELSE factor * num / den + shift END AS v
    FROM (SELECT p.*, p.multiplier * CASE WHEN p.per_days = 1 THEN sp.days ELSE 1 END AS factor
          FROM pairs p JOIN spans sp ON sp.si = p.si) p
    WHERE num IS NOT NULL AND (p.denominator IS NULL OR den IS NOT NULL)
),
ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY cluster, si, kpi, link ORDER BY v IS NULL, round(v, 8), enterprise) AS rn_l,
           count(v) OVER (PARTITION BY cluster, si, kpi, link) AS nv_l,
           row_number() OVER (PARTITION BY cluster, si, kpi ORDER BY v IS NULL, round(v, 8), enterprise) AS rn_c,
           count(v) OVER (PARTITION BY cluster, si, kpi) AS nv_c
    FROM ent
),
grouped AS (
    SELECT cluster, si, kpi, 'link' AS scope, link, any_value(denominator) AS denominator,
           any_value(factor) AS factor, any_value(shift) AS shift, sum(num) AS numerator, sum(den) AS den,
           count(*) AS n,
           {quartiles("rn_l", "nv_l")}
    FROM ranked GROUP BY cluster, si, kpi, link
    UNION ALL
    SELECT cluster, si, kpi, 'cluster', '', any_value(denominator), any_value(factor), any_value(shift), sum(num),
           sum(den), count(*), {quartiles("rn_c", "nv_c")}
    FROM ranked GROUP BY cluster, si, kpi
)
SELECT g.cluster, sp.period, g.kpi, g.scope, g.link,
       CASE WHEN g.denominator IS NULL THEN g.factor * g.numerator + g.shift WHEN g.den = 0 THEN NULL
            ELSE g.factor * g.numerator / g.den + g.shift END AS value,
       g.numerator, g.den AS denominator, g.n, g.p25, g.p50, g.p75
FROM grouped g JOIN spans sp ON sp.si = g.si
"""
    connection = duckdb.connect()
    connection.execute(f"COPY ({sql}) TO '{out}' (HEADER, DELIMITER ',')")
    connection.close()


def stored(ids: list[int], periods: list[str]) -> dict[tuple, tuple]:
    """The platform's stored data KPI values of the clusters and periods with enterprises counted, by (cluster,
    period, KPI, scope, link)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT v.cluster_id, v.period, k.code, v.scope, v.link, v.value, v.numerator, v.denominator,
                      v.reporting_enterprises, v.p25, v.median, v.p75
               FROM kpi_kpivalue v JOIN kpi_kpi k ON k.id = v.kpi_id
               WHERE v.cluster_id = ANY(%s) AND v.period = ANY(%s) AND k.source = 'data'
                 AND v.reporting_enterprises > 0""",
            [ids, periods],
        )
        return {tuple(map(str, row[:5])): row[5:] for row in cursor.fetchall()}


def _same(a, b) -> bool:
    a = None if a in ("", None) or (isinstance(a, float) and math.isnan(a)) else float(a)
    b = None if b is None else float(b)
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-8 * max(1.0, abs(b))


def open_periods(ids: list[int]) -> set[tuple[str, str]]:
    """(cluster, period) not locked yet: disclosure control drops their quartiles until the lock."""
    from django.db.models import Q
    from django.utils import timezone

    from kpi.models import KpiComputation

    rows = KpiComputation.objects.filter(Q(locked_at__isnull=True) | Q(locked_at__gt=timezone.now()), cluster__in=ids)
    return {(str(c), p) for c, p in rows.values_list("cluster_id", "period")}


def check(out: Path, expected: dict[tuple, tuple], unlocked: set[tuple[str, str]]) -> str:
    """Whether the CSV of values matches the stored rows: every row, every column (floats within 1e-8, relative
    above 1: the stored ones are rounded to 8 places); the quartiles only of locked periods."""
    found, differ = set(), 0
    with out.open() as f:
        for row in csv.DictReader(f):
            key = (row["cluster"], row["period"], row["kpi"], row["scope"], row["link"] or "")
            found.add(key)
            want = expected.get(key)
            columns = ("value", "numerator", "denominator", "n", "p25", "p50", "p75")
            if key[:2] in unlocked:
                columns, want = columns[:4], want and want[:4]
            if want is None or not all(_same(row[c], w) for c, w in zip(columns, want, strict=True)):
                differ += 1
    missing = len(set(expected) - found)
    if differ or missing:
        return f"DIFFERENT: {differ} rows differ, {missing} missing of {len(expected):,}"
    return f"identical ({len(expected):,} rows)"


def copy_into_postgres(out: Path) -> float:
    """The values into PostgreSQL with COPY, into a table of kpi_kpivalue's columns and indexes (what the platform
    stores), as an analyst's pipeline would have to serve them; rolled back."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_analyst (cluster integer, period varchar(7), kpi varchar(16), scope varchar(12), "
            "link varchar(16), value numeric(30, 8), numerator numeric(30, 8), denominator numeric(30, 8), n integer, "
            "p25 numeric(30, 8), p50 numeric(30, 8), p75 numeric(30, 8))"
        )
        cursor.execute("CREATE UNIQUE INDEX ON bench_analyst (cluster, period, kpi, scope, link)")
        cursor.execute("CREATE INDEX ON bench_analyst (cluster, scope, kpi, period)")
        with out.open() as f:
            cursor.copy_expert("COPY bench_analyst FROM STDIN WITH CSV HEADER", f)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed
