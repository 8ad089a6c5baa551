"""Disclosure control: which cluster and link KPI values everyone in the cluster may read.

Competing enterprises hand the cluster their figures on the promise that nobody but the office (and each
enterprise for itself) can learn one enterprise's figure from what is published, alone or combined with
other published values. The rules are those statistical offices apply to business data, with thresholds
that are the cluster's settings (`DataCollectionRules.publish_*`):

- Minimum number of contributors: a value over fewer than `publish_min_enterprises` enterprises (at
  least 3) is not published. Quartiles need `publish_min_enterprises_quartiles` (at least 5, 10 by
  default) and each is the mean of the three enterprises around its place, so no published quartile is
  one enterprise's exact value (see `aggregation._quartile_columns`).
- Dominance: a value where the two largest contributions make up more than `publish_dominance_share` of
  its numerator or denominator is not published: the second largest could estimate the largest.
- Secondary suppression: the cluster value is the sum of its links, so one hidden link would be the
  cluster minus the links shown. Further links are hidden (the smallest first) until the hidden links
  taken together pass both rules above. A quarter's value is hidden wherever one of its months is (a
  quarter of flows is the sum of its months).
- Numerators and denominators of cluster and link values are read by the office only (the API and exports
  give others the value): enterprises count in different KPIs, so two KPIs sharing an element would
  otherwise give one enterprise's figure as a difference.
- The sum KPIs of a provisional month (exports, downtime, contracts, people trained) are published once the
  month is final: as each enterprise's figures came in, the change of a provisional sum would be its figure.

The primary rules (few, dominated) are decided in the aggregation statement itself; this module adds the
secondary ones to the rows just computed. The office reads every value, and sees why a value is hidden.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from governance.models import Cluster

from ..choices import Disclosure, PeriodKind, Scope
from ..models import DataCollectionRules, Kpi, KpiComputation, KpiValue, Span

PRIMARY = (Disclosure.FEW, Disclosure.DOMINATED)


def _passes(contributions: list[tuple], rules: DataCollectionRules) -> bool:
    """Whether a sum over these enterprises' (numerator, denominator) passes the primary rules: enough of them,
    and no two making up more than the dominance share of either side."""
    if len(contributions) < rules.publish_min_enterprises:
        return False
    for side in (0, 1):
        amounts = sorted(c[side] for c in contributions if c[side] is not None)
        total = sum(amounts, Decimal(0))
        if total > 0 and sum(amounts[-2:], Decimal(0)) > rules.publish_dominance_share * total:
            return False
    return True


def _protect(
    whole: KpiValue | None, parts: list[KpiValue], rules: DataCollectionRules, contributions: dict[str, list[tuple]]
) -> None:
    """Hide further links of one KPI and period until the hidden ones together pass the primary rules: then the
    cluster minus the links shown gives nothing that could be read back to one enterprise.

    `contributions`: each link's enterprises as (numerator, denominator).
    """
    if whole is None or whole.disclosure:
        for part in parts:
            part.disclosure = part.disclosure or Disclosure.COMPLEMENT
        return
    hidden = [p for p in parts if p.disclosure]
    shown = sorted(
        (p for p in parts if not p.disclosure),
        key=lambda p: (p.reporting_enterprises or 0, p.numerator or 0, p.link),
    )
    while hidden and shown and not _passes([c for p in hidden for c in contributions.get(p.link, [])], rules):
        extra = shown.pop(0)
        extra.disclosure = Disclosure.COMPLEMENT
        hidden.append(extra)


def _cells(rows: Iterable[KpiValue]) -> dict[tuple, tuple[KpiValue | None, list[KpiValue]]]:
    grouped: dict[tuple, tuple[list, list]] = {}
    for row in rows:
        wholes, parts = grouped.setdefault((row.cluster_id, row.period, row.kpi_id), ([], []))
        (wholes if row.scope == Scope.CLUSTER else parts).append(row)
    return {key: (wholes[0] if wholes else None, parts) for key, (wholes, parts) in grouped.items()}


def disclose(clusters: list[Cluster], spans: list[Span], now: datetime.datetime) -> None:
    """Add the secondary rules to the cluster and link values of these clusters and periods (just computed)."""
    keys = [s.key for s in spans]
    rules = {c.pk: getattr(c, "_rules", None) or DataCollectionRules(cluster=c) for c in clusters}
    rows = list(
        KpiValue.objects.filter(
            cluster__in=clusters, period__in=keys, enterprise__isnull=True, reporting_enterprises__isnull=False
        ).only(
            "pk", "cluster_id", "kpi_id", "period", "period_kind", "period_start", "scope", "link",
            "numerator", "denominator", "reporting_enterprises", "disclosure",
        )
    )  # fmt: skip
    before = {row.pk: row.disclosure for row in rows}
    months = [r for r in rows if r.period_kind == PeriodKind.MONTH]
    quarters = [r for r in rows if r.period_kind == PeriodKind.QUARTER]
    month_cells = _cells(months)
    contributions = _contributions(clusters, [key for key, (_w, parts) in month_cells.items() if _any_hidden(parts)])
    for key, (whole, parts) in month_cells.items():
        _protect(whole, parts, rules[key[0]], contributions.get(key, {}))
    if quarters:
        hidden_months = _hidden_months(clusters, [s for s in spans if s.is_quarter], months)
        for row in quarters:
            quarter = Span.parse(row.period)
            if not row.disclosure and any(
                (row.cluster_id, m, row.kpi_id, row.scope, row.link) in hidden_months for m in quarter.months
            ):
                row.disclosure = Disclosure.COMPLEMENT
        quarter_cells = _cells(quarters)
        contributions = _contributions(
            clusters, [key for key, (_w, parts) in quarter_cells.items() if _any_hidden(parts)]
        )
        for key, (whole, parts) in quarter_cells.items():
            _protect(whole, parts, rules[key[0]], contributions.get(key, {}))
    _hold_provisional_sums(clusters, keys, rows, now)
    KpiValue.objects.bulk_update([r for r in rows if r.disclosure != before[r.pk]], ["disclosure"], batch_size=1000)


def _any_hidden(parts: list[KpiValue]) -> bool:
    return any(p.disclosure for p in parts)


def _contributions(clusters, keys: list[tuple]) -> dict[tuple, dict[str, list[tuple]]]:
    """For each (cluster, period, KPI), each link's enterprises as (numerator, denominator): one query."""
    found: dict[tuple, dict[str, list[tuple]]] = {}
    if not keys:
        return found
    wanted = set(keys)
    rows = KpiValue.objects.filter(
        cluster__in=clusters,
        period__in={k[1] for k in keys},
        kpi__in={k[2] for k in keys},
        scope=Scope.ENTERPRISE,
        enterprise__isnull=False,  # the enterprise rows' index
    ).values_list("cluster_id", "period", "kpi_id", "link", "numerator", "denominator")
    for cluster_id, period, kpi_id, link, numerator, denominator in rows.iterator(chunk_size=5000):
        if (cluster_id, period, kpi_id) in wanted:
            found.setdefault((cluster_id, period, kpi_id), {}).setdefault(link, []).append((numerator, denominator))
    return found


def _hidden_months(clusters, quarters: list[Span], computed: list[KpiValue]) -> set[tuple]:
    """(cluster, month start, KPI, scope, link) of the hidden month values of these quarters, computed just now
    or stored from before."""
    hidden = {(r.cluster_id, r.period_start, r.kpi_id, r.scope, r.link) for r in computed if r.disclosure}
    just_computed = {r.period for r in computed}
    others = {m for q in quarters for m in q.months if Span.month(m).key not in just_computed}
    if others:
        hidden |= set(
            KpiValue.objects.filter(
                cluster__in=clusters,
                period_kind=PeriodKind.MONTH,
                period_start__in=others,
                enterprise__isnull=True,
                reporting_enterprises__isnull=False,
            )
            .exclude(disclosure=Disclosure.PUBLISHED)
            .values_list("cluster_id", "period_start", "kpi_id", "scope", "link")
        )
    return hidden


def _hold_provisional_sums(clusters, keys: list[str], rows: list[KpiValue], now: datetime.datetime) -> None:
    """Sums of a provisional period wait until it is final: their changes would be single enterprises' figures."""
    provisional = {
        (c.cluster_id, c.period)
        for c in KpiComputation.objects.filter(cluster__in=clusters, period__in=keys)
        if c.is_provisional(now)
    }
    if not provisional:
        return
    sums = set(Kpi.objects.filter(denominator__isnull=True, year_over_year=False).values_list("pk", flat=True))
    for row in rows:
        if not row.disclosure and row.kpi_id in sums and (row.cluster_id, row.period) in provisional:
            row.disclosure = Disclosure.PROVISIONAL
