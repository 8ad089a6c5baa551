"""Disclosure control: which cluster and link KPI values everyone in the cluster may read.

Competing enterprises hand the cluster their figures on the promise that nobody but the office (and each
enterprise for itself) can learn one enterprise's figure from what is published, alone or combined with
other published values. The rules are those statistical offices apply to business data, with thresholds
that are the cluster's settings (`DataCollectionRules.publish_*`):

- Minimum number of contributors: a value over fewer than `publish_min_enterprises` enterprises (at
  least 3) is not published. Quartiles need `publish_min_enterprises_quartiles` (at least 10: with five to
  eight, the quartiles and the total give one enterprise's value), and each is the mean of the three
  enterprises around its place, so no published quartile is one enterprise's exact value (see
  `aggregation._quartile_columns`).
- Dominance: a value where the two largest contributions make up more than `publish_dominance_share` of
  its numerator or denominator is not published: the second largest could estimate the largest.
- Secondary suppression: the cluster value is the sum of its links, so one hidden link would be the
  cluster minus the links shown. Further links are hidden (the smallest first) until the hidden links
  taken together pass both rules above. A quarter's value is hidden wherever one of its months is (a
  quarter of flows is the sum of its months). For a quarter of a sum KPI, the hidden links' months added up
  minus their quarters (rebuilt as the cluster's quarter minus the links shown) give the firms that missed a
  month in them: those firms taken together must pass both rules as well; so must, for growth, the hidden links'
  enterprises left out of the sums (the cluster's growth base minus the links' shown is the hidden links').
- Linked values over different enterprises: where two published values read the same figures over sets of
  enterprises that differ by a few, their difference is those few enterprises' figures. So a quarter of a sum
  KPI is hidden where the enterprises counted in some of its months but not in the quarter (they missed a month)
  fail the primary rules (the months added up, minus the quarter, are theirs); and growth on a year before (EXPGR, over
  the enterprises with figures in both years) is hidden where the enterprises it leaves out of the sum
  of the same figure (EXPORT, this period or a year before) fail them. Growth is also hidden wherever that sum
  (same scope and link, this period or a year before) is: (1 + growth) × one sum gives the other. Where an
  enterprise is counted under one link in one value and under another in the linked value (its link changed
  between two computations), or is in a quarter but not in each of its months (values computed from figures
  that changed since), the values involved are hidden too: their difference is no longer a set of enterprises.
  (A link saved through the platform applies from the month of the change on, the months before keeping the
  link they had: governance.services.enterprise_save. This is for links changed behind its back.)
- A hidden link covers another only if its own value cannot be worked out: a quarter of a sum KPI whose months
  are all shown and in which nobody missed one is known (its months added up), so it is never the one hidden;
  where no other link is left, the cluster's value is hidden.
- Numerators and denominators of cluster and link values are read by the office only (the API and exports
  give others the value): enterprises count in different KPIs, so two KPIs sharing an element would
  otherwise give one enterprise's figure as a difference.
- Until the period's (last) month is locked, approvals and returns change which enterprises count, one at a
  time: its sum KPIs (exports, downtime, contracts, people trained) and growth on a year before are held back and
  its quartiles dropped, since each change of a sum would be one enterprise's figure (and growth times the sum a
  year before is the sum) and the quartiles' shifts would tell their
  places apart. After the lock only an approved correction changes a figure.

The primary rules (few, dominated) are decided in the computation's statement itself; this module adds the
secondary ones to the rows just computed. The office reads every value, and sees why a value is hidden.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from decimal import Decimal

from governance.models import Cluster

from ..choices import Disclosure, PeriodKind, Scope
from ..models import DataCollectionRules, Kpi, KpiComputation, KpiValue, Span
from .enterprise_values import Readable, enterprise_values

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
    whole: KpiValue | None,
    parts: list[KpiValue],
    rules: DataCollectionRules,
    contributions: dict[str, list[tuple]],
    left_out: Sequence[dict[str, list[tuple]]] = (),
    known: AbstractSet[str] = frozenset(),
) -> None:
    """Hide further links of one KPI and period until the hidden ones together pass the primary rules: then the
    cluster minus the links shown gives nothing that could be read back to one enterprise. Where no link is left
    to hide and the hidden ones still do not pass, the cluster value is hidden too.

    `contributions`: each link's enterprises as (numerator, denominator). `left_out`: differences with linked values
    that the links shown would give for the hidden ones taken together, each per link as (numerator, denominator):
    for a quarter of a sum KPI the enterprises that missed one of its months (its months added up, minus the
    quarter); for growth those left out of the sum of its figure, this period and a year before (each sum minus
    (1 + growth) times the other). Per difference, the hidden links' enterprises together must pass too, or be
    none; the links with such enterprises are hidden first. `known`: links whose value others work out anyway (a
    quarter of a sum KPI from its months, where all are shown and nobody in the link missed one): hiding one of
    those protects nothing, so they count as shown and are never chosen.
    """
    with_left_out = {link for difference in left_out for link in difference}
    if whole is None or whole.disclosure:
        for part in parts:
            part.disclosure = part.disclosure or Disclosure.COMPLEMENT
        return
    hidden = [p for p in parts if p.disclosure and p.link not in known]
    shown = sorted(
        (p for p in parts if not p.disclosure and p.link not in known),
        key=lambda p: (p.link not in with_left_out, p.reporting_enterprises or 0, p.numerator or 0, p.link),
    )

    def safe() -> bool:
        if not _passes([c for p in hidden for c in contributions.get(p.link, [])], rules):
            return False
        for difference in left_out:
            theirs = [c for p in hidden for c in difference.get(p.link, [])]
            if theirs and not _passes(theirs, rules):
                return False
        return True

    while hidden and not safe():
        if not shown:  # the cluster minus every value known is the hidden links' together: the cluster goes too
            whole.disclosure = Disclosure.COMPLEMENT
            return
        extra = shown.pop(0)
        extra.disclosure = Disclosure.COMPLEMENT
        hidden.append(extra)


def _cells(rows: Iterable[KpiValue]) -> dict[tuple, tuple[KpiValue | None, list[KpiValue]]]:
    grouped: dict[tuple, tuple[list, list]] = {}
    for row in rows:
        wholes, parts = grouped.setdefault((row.cluster_id, row.period, row.kpi_id), ([], []))
        (wholes if row.scope == Scope.CLUSTER else parts).append(row)
    return {key: (wholes[0] if wholes else None, parts) for key, (wholes, parts) in grouped.items()}


def disclose(
    clusters: list[Cluster], spans: list[Span], rules: dict[int, DataCollectionRules], now: datetime.datetime
) -> None:
    """Add the secondary rules to the cluster and link values of these clusters and periods (just computed), by
    each cluster's rules."""
    keys = [s.key for s in spans]
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
    rules_of = {row.pk: rules[row.cluster_id] for row in rows}
    left_out = _growth_against_sums(clusters, [s for s in spans if not s.is_quarter], months, rules_of)
    month_cells = _cells(months)
    contributions = _contributions(clusters, [key for key, (_w, parts) in month_cells.items() if _any_hidden(parts)])
    for key, (whole, parts) in month_cells.items():
        _protect(whole, parts, rules[key[0]], contributions.get(key, {}), _by_link(left_out.get(key)))
    _growth_against_hidden_sums(clusters, [s for s in spans if not s.is_quarter], months, rules, left_out)
    if quarters:
        hidden_months = _hidden_months(clusters, [s for s in spans if s.is_quarter], months)
        for row in quarters:
            quarter = Span.parse(row.period)
            if not row.disclosure and any(
                (row.cluster_id, m, row.kpi_id, row.scope, row.link) in hidden_months for m in quarter.months
            ):
                row.disclosure = Disclosure.COMPLEMENT
        sums = set(Kpi.objects.filter(denominator__isnull=True, year_over_year=False).values_list("pk", flat=True))
        quarter_sums = [r for r in quarters if r.kpi_id in sums]
        left_out = _quarters_against_months(clusters, [s for s in spans if s.is_quarter], quarter_sums, rules_of)
        left_out |= _growth_against_sums(clusters, [s for s in spans if s.is_quarter], quarters, rules_of)
        quarter_cells = _cells(quarters)
        contributions = _contributions(
            clusters, [key for key, (_w, parts) in quarter_cells.items() if _any_hidden(parts)]
        )
        for key, (whole, parts) in quarter_cells.items():
            differences = _by_link(left_out.get(key))
            known = set()
            if key[2] in sums:  # a quarter of flows is its months added up, less those who missed one
                missed = {link for difference in differences for link in difference}
                known = {
                    p.link
                    for p in parts
                    if p.link not in missed
                    and not any(
                        (key[0], m, key[2], Scope.LINK, p.link) in hidden_months for m in Span.parse(key[1]).months
                    )
                }
            _protect(whole, parts, rules[key[0]], contributions.get(key, {}), differences, known)
        _growth_against_hidden_sums(clusters, [s for s in spans if s.is_quarter], quarters, rules, left_out)
    KpiValue.objects.bulk_update([r for r in rows if r.disclosure != before[r.pk]], ["disclosure"], batch_size=1000)
    _hold_until_locked(clusters, keys, now)


def _any_hidden(parts: list[KpiValue]) -> bool:
    return any(p.disclosure for p in parts)


def _contributions(clusters, keys: list[tuple]) -> dict[tuple, dict[str, list[tuple]]]:
    """For each (cluster, period, KPI), each link's enterprises as (numerator, denominator): one query."""
    found: dict[tuple, dict[str, list[tuple]]] = {}
    if not keys:
        return found
    wanted = set(keys)
    rows = _enterprise_rows(clusters, {k[0] for k in keys}, {k[1] for k in keys}, {k[2] for k in keys})
    for row in rows:
        key = (row.cluster_id, row.period, row.kpi_id)
        if key in wanted:
            found.setdefault(key, {}).setdefault(row.link, []).append((row.numerator, row.denominator))
    return found


def _enterprise_rows(clusters, cluster_ids, periods, kpi_ids) -> list[KpiValue]:
    """The enterprises' own values behind these clusters' values (computed on read, by one statement)."""
    chosen = [c for c in clusters if c.pk in set(cluster_ids)]
    return enterprise_values(clusters=chosen, spans=periods, readable=Readable.everything(chosen), kpi_ids=kpi_ids)


def _total(amounts: list) -> Decimal | None:
    """SUM in SQL: None where every amount is."""
    present = [a for a in amounts if a is not None]
    return sum(present, Decimal(0)) if present else None


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


def _hold_until_locked(clusters, keys: list[str], now: datetime.datetime) -> None:
    """Sums and growth of a period whose (last) month is not locked wait for the lock, and its quartiles are
    dropped: which enterprises count still changes one approval or return at a time (an UPDATE per period)."""
    open_periods: dict[str, list[int]] = {}
    for computation in KpiComputation.objects.filter(cluster__in=clusters, period__in=keys).only(
        "cluster_id", "period", "locked_at"
    ):
        if not computation.is_locked(now):
            open_periods.setdefault(computation.period, []).append(computation.cluster_id)
    if not open_periods:
        return
    # Sums, and growth (denominator-less too: its year before is its denominator).
    sums = list(Kpi.objects.filter(denominator__isnull=True).values_list("pk", flat=True))
    for period, cluster_ids in open_periods.items():
        derived = KpiValue.objects.filter(
            cluster__in=sorted(cluster_ids), period=period, enterprise__isnull=True, reporting_enterprises__isnull=False
        )
        derived.update(p25=None, median=None, p75=None)
        derived.filter(kpi__in=sums, disclosure=Disclosure.PUBLISHED).update(disclosure=Disclosure.PROVISIONAL)


# --- Linked values over different enterprises ----------------------------------------------------------------


def _hide_where_the_difference_shows(
    targets: list[KpiValue],
    differences: dict[tuple, dict[int, list]],
    rules_of: dict[int, DataCollectionRules],
    unsure: AbstractSet[tuple] = frozenset(),
) -> None:
    """Hide each shown value whose difference with a linked value is a few enterprises' figures: `differences`
    gives, per (cluster, period, KPI), the enterprises in the linked value but not in this one, as
    {enterprise: [link, numerator, denominator]}; a cluster value takes them all, a link value those of its link.
    `unsure`: (cluster, period, KPI, link or None for the cluster) whose difference is not a set of enterprises (one
    counted under another link, or from figures changed since): hidden."""
    for row in targets:
        if row.disclosure:
            continue
        link = row.link if row.scope == Scope.LINK else None
        if (row.cluster_id, row.period, row.kpi_id, link) in unsure:
            row.disclosure = Disclosure.COMPLEMENT
            continue
        extra = differences.get((row.cluster_id, row.period, row.kpi_id))
        if not extra:
            continue
        contributions = [
            (numerator, denominator)
            for where, numerator, denominator in extra.values()
            if row.scope == Scope.CLUSTER or where == row.link
        ]
        if contributions and not _passes(contributions, rules_of[row.pk]):
            row.disclosure = Disclosure.COMPLEMENT


def _add(found: dict, key: tuple, enterprise_id: int, link: str, numerator, denominator) -> None:
    entry = found.setdefault(key, {}).setdefault(enterprise_id, [link, Decimal(0), None])
    entry[1] += numerator or 0
    if denominator is not None:
        entry[2] = (entry[2] or Decimal(0)) + denominator


def _by_link(differences: list[dict[int, list]] | None) -> list[dict[str, list[tuple]]]:
    """The enterprises of each difference per link, as (numerator, denominator)."""
    found = []
    for difference in differences or []:
        by_link: dict[str, list[tuple]] = {}
        for link, numerator, denominator in difference.values():
            by_link.setdefault(link, []).append((numerator, denominator))
        found.append(by_link)
    return found


def _counts(clusters, periods, kpis=None) -> dict[tuple, int | None]:
    """How many enterprises each stored cluster and link value of these periods counts: (cluster, period, KPI,
    scope, link) → reporting enterprises."""
    rows = KpiValue.objects.filter(
        cluster__in=clusters, period__in=periods, enterprise__isnull=True, reporting_enterprises__isnull=False
    )
    if kpis is not None:
        rows = rows.filter(kpi__in=kpis)
    return {
        (c, period, kpi, scope, link): n
        for c, period, kpi, scope, link, n in rows.order_by().values_list(
            "cluster_id", "period", "kpi_id", "scope", "link", "reporting_enterprises"
        )
    }


def _quarters_against_months(
    clusters, quarters: list[Span], rows: list[KpiValue], rules_of: dict[int, DataCollectionRules]
) -> dict[tuple, list[dict[int, list]]]:
    """A quarter counts the enterprises that reported in each of its months, a month every enterprise that
    reported in it: for a sum KPI the months added up, minus the quarter, are the figures of those that missed a
    month. Where those enterprises fail the primary rules, the quarter is hidden. (A ratio KPI publishes only
    ratios, its sums being the office's: nothing subtracts to an enterprise's figure, so `rows` are sums.)
    Answers those enterprises per (cluster, quarter, KPI), for the secondary rule across links.

    Where a quarter counts as many enterprises as each of its months, the sets are the same (a quarter's are
    among each month's): only the other (cluster, KPI) pairs are looked at, their enterprises' values of the quarter
    and its months read once per quarter (computed on read, one statement) and compared enterprise by enterprise.
    That also finds where the sets are not nested (an enterprise counted under another link in a month than in
    the quarter, or in the quarter but not in a month): those values are hidden. The enterprises' values are
    computed from the figures as they stand; a stored month computed before a change of its figures is computed
    again with the quarter (scheduling.kpi_values_changed queues both together)."""
    by_quarter: dict[str, list[KpiValue]] = {}
    for row in rows:
        if not row.disclosure:
            by_quarter.setdefault(row.period, []).append(row)
    differences: dict[tuple, dict[int, list]] = {}
    unsure: set[tuple] = set()
    for quarter in quarters:
        shown = by_quarter.get(quarter.key, [])
        month_keys = [Span.month(m).key for m in quarter.months]
        months = _counts(clusters, month_keys, {r.kpi_id for r in shown}) if shown else {}
        # A month not computed publishes nothing to subtract; where a link has no value in a month computed, none
        # of its enterprises is counted there (0).
        computed = {(c, period) for c, period, _k, _s, _l in months}
        differ = {
            (r.cluster_id, r.kpi_id)
            for r in shown
            if all((r.cluster_id, m) in computed for m in month_keys)
            and any(
                months.get((r.cluster_id, m, r.kpi_id, r.scope, r.link), 0) != r.reporting_enterprises
                for m in month_keys
            )
        }
        if not differ:
            continue
        per_enterprise: dict[tuple, dict] = {}
        for row in _enterprise_rows(
            clusters, {c for c, _k in differ}, [quarter.key, *month_keys], {k for _c, k in differ}
        ):
            if (row.cluster_id, row.kpi_id) not in differ:
                continue
            seen = per_enterprise.setdefault(
                (row.cluster_id, row.kpi_id, row.enterprise_id), {"quarter": [], "months": []}
            )
            seen["quarter" if row.period == quarter.key else "months"].append(row)
        for (cluster_id, kpi_id, enterprise_id), seen in sorted(per_enterprise.items()):
            in_quarter, in_months = seen["quarter"], seen["months"]
            q_rows, m_rows = len(in_quarter), len(in_months)
            q_link = max((r.link for r in in_quarter), default=None)
            first = min((r.link for r in in_months), default=None)
            last = max((r.link for r in in_months), default=None)
            if q_rows and m_rows == len(month_keys) and first == last == q_link:
                continue  # in the quarter and in each of its months, under one link
            num = _total([r.numerator for r in in_months])
            den = _total([r.denominator for r in in_months])
            key = (cluster_id, quarter.key, kpi_id)
            if q_rows and m_rows < len(month_keys):  # not among each month's: figures changed since
                unsure |= {(*key, None), (*key, q_link)}
            if first != last or (q_rows and first != q_link):  # counted under another link
                unsure |= {(*key, link) for link in (first, last, q_link) if link is not None}
            if not q_rows:  # missed a month (under whichever link: the cluster's difference holds it all the same)
                _add(differences, key, enterprise_id, last or "", num, den)
    _hide_where_the_difference_shows(rows, differences, rules_of, unsure)
    return {key: [difference] for key, difference in differences.items()}


def _growth_pairs() -> list[tuple[Kpi, int]]:
    """Each growth KPI with each sum KPI of the same figure (EXPGR with EXPORT)."""
    growth = list(Kpi.objects.filter(year_over_year=True, numerator__isnull=False))
    sums = Kpi.objects.filter(
        denominator__isnull=True, year_over_year=False, numerator__in=[k.numerator_id for k in growth]
    ).values_list("pk", "numerator_id")
    return [(kpi, pk) for kpi in growth for pk, numerator in sums if numerator == kpi.numerator_id]


def _growth_against_sums(
    clusters, spans: list[Span], rows: list[KpiValue], rules_of: dict[int, DataCollectionRules]
) -> dict[tuple, list[dict[int, list]]]:
    """Growth on a year before counts the enterprises with the figure in both years; the sum of the same figure
    counts every enterprise that has it, this period and a year before. (1 + growth) × the sum a year before,
    taken from the sum now, gives the figures of the enterprises growth leaves out: where they fail the primary
    rules, growth is hidden.

    Where growth counts as many as a sum, the sets are the same (growth's are among each sum's): only the other
    clusters are looked at, their enterprises' values of growth and of the sum read once per period (computed on
    read), which also finds an enterprise counted under another link in the two, or in growth but not in the sum.
    Answers those left out per (cluster, period, growth KPI), one difference for this period and one for the year
    before, for the secondary rule across links."""
    pairs = _growth_pairs()
    targets = [r for r in rows if r.kpi_id in {kpi.pk for kpi, _s in pairs} and not r.disclosure]
    differences: dict[tuple, list[dict[int, list]]] = {}
    if not targets or not spans:
        return differences
    keys = {s.key for s in spans}
    periods = keys | {s.year_before.key for s in spans}
    counts = _counts(sorted({r.cluster_id for r in targets}), periods, [sum_id for _k, sum_id in pairs])
    for kpi, sum_id in pairs:
        growth_id = kpi.pk
        for span in spans:
            shown = [r for r in targets if r.kpi_id == growth_id and r.period == span.key]
            # This period and the year before: two differences, each checked on its own.
            for period in (span.key, span.year_before.key):
                differ = sorted(
                    {
                        r.cluster_id
                        for r in shown
                        if counts.get((r.cluster_id, period, sum_id, r.scope, r.link), 0) != r.reporting_enterprises
                    }
                )
                if not differ:
                    continue
                per_enterprise: dict[tuple, dict] = {}
                for row in _enterprise_rows(clusters, differ, {span.key, period}, [growth_id, sum_id]):
                    if row.cluster_id not in differ:
                        continue
                    sides = [
                        side
                        for side, (kpi_id, key) in (("growth", (growth_id, span.key)), ("sum", (sum_id, period)))
                        if (row.kpi_id, row.period) == (kpi_id, key)
                    ]
                    for side in sides:
                        per_enterprise.setdefault((row.cluster_id, row.enterprise_id), {"growth": [], "sum": []})[
                            side
                        ].append(row)
                enterprises = []
                for (cluster_id, enterprise_id), seen in sorted(per_enterprise.items()):
                    growth_link = max((r.link for r in seen["growth"]), default=None)
                    link = max((r.link for r in seen["sum"]), default=None)
                    if seen["growth"] and seen["sum"] and growth_link == link:
                        continue  # in both, under one link
                    num = _total([r.numerator for r in seen["sum"]])
                    den = _total([r.denominator for r in seen["sum"]])
                    enterprises.append((cluster_id, enterprise_id, len(seen["growth"]), growth_link, link, num, den))
                found: dict[tuple, dict[int, list]] = {}
                unsure: set[tuple] = set()
                for cluster_id, enterprise_id, growth_rows, growth_link, link, num, den in enterprises:
                    key = (cluster_id, span.key, growth_id)
                    if not growth_rows:
                        _add(found, key, enterprise_id, link or "", num, den)
                    elif link is None:  # in growth but not in the sum: figures changed since
                        unsure |= {(*key, None), (*key, growth_link)}
                    else:  # counted under another link in the two
                        unsure |= {(*key, growth_link), (*key, link)}
                _hide_where_the_difference_shows(shown, found, rules_of, unsure)
                for key, difference in found.items():
                    differences.setdefault(key, []).append(difference)
    return differences


def _growth_against_hidden_sums(
    clusters,
    spans: list[Span],
    rows: list[KpiValue],
    rules: dict[int, DataCollectionRules],
    left_out: dict[tuple, list[dict[int, list]]],
) -> None:
    """Hide growth wherever the sum of the same figure, at the same scope and link, is shown in one of the two
    years and hidden in the other ((1 + growth) × one is the other), then hide further links of the growth where
    the secondary rule calls for it. Run after the sums' own secondary rule, on the values computed just now and
    those stored. (Where neither sum is shown, or the sum KPI is not kept, growth gives no sum away.)"""
    pairs = _growth_pairs()
    targets = [r for r in rows if r.kpi_id in {kpi.pk for kpi, _s in pairs} and not r.disclosure]
    if not targets:
        return
    sum_ids = [sum_id for _k, sum_id in pairs]
    published: dict[tuple, bool] = {
        (r.cluster_id, r.period, r.kpi_id, r.scope, r.link): not r.disclosure for r in rows if r.kpi_id in sum_ids
    }
    stored = (
        KpiValue.objects.filter(
            cluster__in=clusters,
            period__in={s.year_before.key for s in spans} - {r.period for r in rows},
            kpi__in=sum_ids,
            enterprise__isnull=True,
            reporting_enterprises__isnull=False,
        )
        .order_by()
        .values_list("cluster_id", "period", "kpi_id", "scope", "link", "disclosure")
    )
    for cluster_id, period, kpi_id, scope, link, disclosure in stored:
        # Held until its lock, a year before: not published yet either.
        published[(cluster_id, period, kpi_id, scope, link)] = disclosure == Disclosure.PUBLISHED
    # A sum not computed (its KPI not kept, or no enterprise of the link): nothing to read, nothing to hide.
    hidden_cells = set()
    for kpi, sum_id in pairs:
        for row in targets:
            if row.kpi_id != kpi.pk:
                continue
            year_before = Span.parse(row.period).year_before.key
            shown = {
                published.get((row.cluster_id, period, sum_id, row.scope, row.link))
                for period in (row.period, year_before)
            }
            if shown == {True, False}:
                row.disclosure = Disclosure.COMPLEMENT
                hidden_cells.add((row.cluster_id, row.period, row.kpi_id))
    if not hidden_cells:
        return
    cells = {key: cell for key, cell in _cells(r for r in rows if r.kpi_id in {k.pk for k, _s in pairs}).items()}
    contributions = _contributions(clusters, sorted(hidden_cells))
    for key in hidden_cells:
        whole, parts = cells[key]
        _protect(whole, parts, rules[key[0]], contributions.get(key, {}), _by_link(left_out.get(key)))
