"""A generated data set for the aggregation tests, and a plain-Python reference of the aggregation rules.

The reference reads DESIGN.md's rules literally, loops and all, and shares no code with the service.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from governance.choices import ValueChainLink
from kpi.choices import Aggregation, SubmissionStatus
from kpi.models import ClusterKpi, DataElement, DataValue, Kpi, ReportingPeriod, Span, Submission, add_months
from tests.governance.factories import EnterpriseFactory

LINKS = list(ValueChainLink.values)
STATUSES = [
    *[SubmissionStatus.APPROVED] * 8,
    *[SubmissionStatus.LOCKED] * 4,
    SubmissionStatus.SUBMITTED,
    SubmissionStatus.DRAFT,
    SubmissionStatus.RETURNED,
]


@dataclass
class DataSet:
    cluster: object
    months: list[datetime.date]
    enterprises: list = field(default_factory=list)
    values: dict = field(default_factory=dict)  # (enterprise id, month, element code) -> Decimal | None
    statuses: dict = field(default_factory=dict)  # (enterprise id, month) -> status


def _value(rng: random.Random, code: str, base: dict) -> Decimal:
    scale = {
        "total_output": 5000,
        "production_cost": 4000,
        "purchases_total": 3000,
        "value_added": 1500,
        "finished_goods_inventory": 2000,
        "export_revenue": 800,
        "produced_units": 1000,
        "shipments_total": 40,
        "delivery_days_total": 200,
        "downtime_days": 4,
        "coop_contracts": 5,
        "employees": 120,
        "employees_trained": 6,
    }
    parts = {
        "finished_output": "total_output",
        "defective_units": "produced_units",
        "shipments_on_time": "shipments_total",
        "purchases_in_cluster": "purchases_total",
        "local_inputs": "purchases_total",
    }
    if code in parts:
        return (base.get(parts[code], Decimal(100)) * Decimal(rng.randint(5, 95)) / 100).quantize(Decimal("1"))
    return Decimal(rng.randint(1, 200) * scale.get(code, 100)) / 100


def generate(cluster, *, enterprises: int = 12, months: int = 18, first=datetime.date(2025, 1, 1), seed: int = 7):
    """Enterprises over all links with 18 months of figures: gaps, empty values, every submission state."""
    rng = random.Random(seed)
    data = DataSet(cluster=cluster, months=[add_months(first, i) for i in range(months)])
    elements = list(DataElement.objects.all())
    periods = {}
    for month in data.months:
        periods[month] = ReportingPeriod.objects.create(
            cluster=cluster,
            month=month,
            deadline=add_months(month, 1).replace(day=10),
            lock_date=add_months(month, 1).replace(day=25),
        )
    for i in range(enterprises):
        data.enterprises.append(
            EnterpriseFactory(cluster=cluster, value_chain_link=LINKS[i % len(LINKS)], name=f"Firm {i:02d}")
        )
    values, submissions = [], []
    for enterprise in data.enterprises:
        for month in data.months:
            if rng.random() < 0.04:
                continue  # no submission at all this month
            status = rng.choice(STATUSES)
            data.statuses[(enterprise.pk, month)] = status
            submissions.append(
                Submission(
                    cluster=cluster,
                    enterprise=enterprise,
                    period=periods[month],
                    status=status,
                    submitted_at=None
                    if status == SubmissionStatus.DRAFT
                    else datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
                )
            )
            base: dict = {}
            for element in sorted(
                elements,
                key=lambda e: (
                    e.code
                    in (
                        "finished_output",
                        "defective_units",
                        "shipments_on_time",
                        "purchases_in_cluster",
                        "local_inputs",
                    )
                ),
            ):
                roll = rng.random()
                if roll < 0.02:
                    continue  # not reported
                value = None if roll < 0.03 else _value(rng, element.code, base)
                if rng.random() < 0.02 and value is not None:
                    value = Decimal(0)
                base[element.code] = value if value is not None else Decimal(0)
                data.values[(enterprise.pk, month, element.code)] = value
                values.append(
                    DataValue(
                        cluster=cluster, enterprise=enterprise, period=periods[month], data_element=element, value=value
                    )
                )
    Submission.objects.bulk_create(submissions)
    DataValue.objects.bulk_create(values)
    return data


# --- The reference -----------------------------------------------------------------------------------


def _element_value(data: DataSet, enterprise_id, span: Span, code: str, counted, aggregation):
    figures = []
    for month in span.months:
        if data.statuses.get((enterprise_id, month)) not in counted:
            return None
        value = data.values.get((enterprise_id, month, code))
        if value is None:
            return None
        figures.append(value)
    total = sum(figures, Decimal(0))
    return total / len(figures) if aggregation == Aggregation.STOCK else total


def reference(data: DataSet, span: Span, counted) -> dict:
    """{(kpi code, scope, link, enterprise id): (value, numerator, denominator, reporting)} for the data KPIs."""
    aggregation = dict(DataElement.objects.values_list("code", "aggregation"))
    out = {}
    settings = ClusterKpi.objects.filter(cluster=data.cluster, active=True).select_related(
        "kpi__numerator", "kpi__denominator"
    )
    for setting in settings:
        kpi: Kpi = setting.kpi
        if kpi.is_platform:
            continue
        factor = kpi.multiplier * (span.days if kpi.per_days_in_period else 1)
        rows = []
        for enterprise in data.enterprises:
            num = _element_value(
                data, enterprise.pk, span, kpi.numerator.code, counted, aggregation[kpi.numerator.code]
            )
            if num is None:
                continue
            if kpi.year_over_year:
                den = _element_value(
                    data, enterprise.pk, span.year_before, kpi.numerator.code, counted, aggregation[kpi.numerator.code]
                )
            elif kpi.denominator is not None:
                den = _element_value(
                    data, enterprise.pk, span, kpi.denominator.code, counted, aggregation[kpi.denominator.code]
                )
            else:
                den = "none"
            if den is None:
                continue
            rows.append((enterprise, num, None if den == "none" else den))

        def value(num, den, kpi=kpi, factor=factor):
            shift = -1 if kpi.year_over_year else 0
            if den is None:
                return factor * num + shift
            return None if den == 0 else factor * num / den + shift

        ratio = kpi.denominator is not None or kpi.year_over_year
        for enterprise, num, den in rows:
            out[(kpi.code, "enterprise", enterprise.value_chain_link, enterprise.pk)] = (value(num, den), num, den, 1)
        groups = {"": rows}
        for link in LINKS:
            linked = [r for r in rows if r[0].value_chain_link == link]
            if linked:
                groups[link] = linked
        for link, members in groups.items():
            num = sum((r[1] for r in members), Decimal(0))
            den = sum((r[2] for r in members), Decimal(0)) if ratio else None
            scope = "cluster" if link == "" else "link"
            if not members:
                out[(kpi.code, scope, link, None)] = (None, None, None, 0)
            else:
                out[(kpi.code, scope, link, None)] = (value(num, den), num, den, len(members))
    return out
