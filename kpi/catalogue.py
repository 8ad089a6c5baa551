"""The default catalogue: the monthly data elements and the 15 KPIs of DESIGN.md.

`kpi_catalogue_sync()` (run after every `migrate` by `kpi.signals.catalogue_sync`) writes them to the database; the
names shown to users come from here, translated, so a row's stored English name is only a fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from governance.choices import Area

from .choices import Aggregation, Direction, ElementGroup, KpiSource, Unit, ValueType

StrOrLazy = str | Promise  # a name translated when it is shown


@dataclass(frozen=True)
class ElementSpec:
    code: str
    name: StrOrLazy
    group: str
    unit: str
    aggregation: str = Aggregation.FLOW
    value_type: str = ValueType.DECIMAL
    help: StrOrLazy = ""


@dataclass(frozen=True)
class KpiSpec:
    code: str
    name: StrOrLazy
    unit: str
    direction: str
    numerator: str | None
    denominator: str | None
    area: str
    multiplier: Decimal = Decimal(1)
    per_days_in_period: bool = False  # INVENT: days in the period × stock / flow
    year_over_year: bool = False  # EXPGR: value / value a year before − 1
    formula: StrOrLazy = ""
    source: str = KpiSource.DATA


F, S = Aggregation.FLOW, Aggregation.STOCK
INT = ValueType.INTEGER

DATA_ELEMENTS: tuple[ElementSpec, ...] = (
    # Production
    ElementSpec(
        "total_output",
        _("Total output"),
        ElementGroup.PRODUCTION,
        Unit.THOUSAND_UZS,
        help=_("Value of everything produced in the month."),
    ),
    ElementSpec(
        "finished_output",
        _("Finished-product output"),
        ElementGroup.PRODUCTION,
        Unit.THOUSAND_UZS,
        help=_("Part of the total output that is finished product (fabric, garments)."),
    ),
    ElementSpec("production_cost", _("Production cost"), ElementGroup.PRODUCTION, Unit.THOUSAND_UZS),
    ElementSpec(
        "value_added",
        _("Value added"),
        ElementGroup.PRODUCTION,
        Unit.THOUSAND_UZS,
        help=_("Output less bought-in materials and services."),
    ),
    ElementSpec(
        "finished_goods_inventory",
        _("Finished-goods inventory"),
        ElementGroup.PRODUCTION,
        Unit.THOUSAND_UZS,
        aggregation=S,
        help=_("Value in stock at the end of the month."),
    ),
    # Quality
    ElementSpec("produced_units", _("Units produced"), ElementGroup.QUALITY, Unit.UNITS, value_type=INT),
    ElementSpec("defective_units", _("Defective units"), ElementGroup.QUALITY, Unit.UNITS, value_type=INT),
    # Logistics
    ElementSpec("shipments_total", _("Shipments"), ElementGroup.LOGISTICS, Unit.SHIPMENTS, value_type=INT),
    ElementSpec("shipments_on_time", _("Shipments on time"), ElementGroup.LOGISTICS, Unit.SHIPMENTS, value_type=INT),
    ElementSpec(
        "delivery_days_total",
        _("Delivery days, all shipments"),
        ElementGroup.LOGISTICS,
        Unit.DAYS,
        help=_("Sum over the month's shipments of the days from order to delivery."),
    ),
    ElementSpec("downtime_days", _("Downtime from raw-material delays"), ElementGroup.LOGISTICS, Unit.DAYS),
    # Cooperation
    ElementSpec(
        "coop_contracts",
        _("Active cooperation contracts"),
        ElementGroup.COOPERATION,
        Unit.CONTRACTS,
        aggregation=S,
        value_type=INT,
    ),
    ElementSpec("purchases_total", _("Purchases"), ElementGroup.COOPERATION, Unit.THOUSAND_UZS),
    ElementSpec(
        "purchases_in_cluster", _("Purchases from cluster participants"), ElementGroup.COOPERATION, Unit.THOUSAND_UZS
    ),
    ElementSpec(
        "local_inputs",
        _("Locally made inputs"),
        ElementGroup.COOPERATION,
        Unit.THOUSAND_UZS,
        help=_("Purchases of inputs made in Uzbekistan."),
    ),
    # People
    ElementSpec("employees", _("Employees"), ElementGroup.PEOPLE, Unit.PEOPLE, aggregation=S, value_type=INT),
    ElementSpec(
        "employees_trained", _("Employees trained or retrained"), ElementGroup.PEOPLE, Unit.PEOPLE, value_type=INT
    ),
    # Export
    ElementSpec("export_revenue", _("Export revenue"), ElementGroup.EXPORT, Unit.USD),
)

KPIS: tuple[KpiSpec, ...] = (
    KpiSpec(
        "FPS",
        _("Finished-product share"),
        Unit.PERCENT,
        Direction.HIGHER,
        "finished_output",
        "total_output",
        Area.INNOVATION,
        formula="finished_output / total_output",
    ),
    KpiSpec(
        "COST",
        _("Production cost per 1 000 of output"),
        Unit.UZS,
        Direction.LOWER,
        "production_cost",
        "total_output",
        Area.OTHER,
        multiplier=Decimal(1000),
        formula="1000 × production_cost / total_output",
    ),
    KpiSpec(
        "LEAD",
        _("Average delivery lead time"),
        Unit.DAYS,
        Direction.LOWER,
        "delivery_days_total",
        "shipments_total",
        Area.LOGISTICS,
        formula="delivery_days_total / shipments_total",
    ),
    KpiSpec(
        "OTD",
        _("On-time delivery"),
        Unit.PERCENT,
        Direction.HIGHER,
        "shipments_on_time",
        "shipments_total",
        Area.LOGISTICS,
        formula="shipments_on_time / shipments_total",
    ),
    KpiSpec(
        "DEFECT",
        _("Defect rate"),
        Unit.PERCENT,
        Direction.LOWER,
        "defective_units",
        "produced_units",
        Area.QUALITY,
        formula="defective_units / produced_units",
    ),
    KpiSpec(
        "DOWNTIME",
        _("Downtime from raw-material delays"),
        Unit.DAYS,
        Direction.LOWER,
        "downtime_days",
        None,
        Area.LOGISTICS,
        formula="downtime_days",
    ),
    KpiSpec(
        "INVENT",
        _("Finished-goods inventory"),
        Unit.DAYS,
        Direction.LOWER,
        "finished_goods_inventory",
        "total_output",
        Area.LOGISTICS,
        per_days_in_period=True,
        formula="days_in_period × finished_goods_inventory / total_output",
    ),
    KpiSpec(
        "COOP",
        _("Active cooperation contracts"),
        Unit.COUNT,
        Direction.HIGHER,
        "coop_contracts",
        None,
        Area.OTHER,
        formula="coop_contracts",
    ),
    KpiSpec(
        "COOPSH",
        _("Intra-cluster purchase share"),
        Unit.PERCENT,
        Direction.HIGHER,
        "purchases_in_cluster",
        "purchases_total",
        Area.OTHER,
        formula="purchases_in_cluster / purchases_total",
    ),
    KpiSpec(
        "PROD",
        _("Labour productivity"),
        Unit.UZS_PER_EMPLOYEE,
        Direction.HIGHER,
        "total_output",
        "employees",
        Area.SKILLS,
        formula="total_output / employees",
    ),
    KpiSpec(
        "EXPORT",
        _("Export revenue"),
        Unit.USD,
        Direction.HIGHER,
        "export_revenue",
        None,
        Area.EXPORT,
        formula="export_revenue",
    ),
    KpiSpec(
        "EXPGR",
        _("Export growth (same period last year)"),
        Unit.PERCENT,
        Direction.HIGHER,
        "export_revenue",
        None,
        Area.EXPORT,
        year_over_year=True,
        formula="export_revenue / export_revenue (same period a year before) − 1",
    ),
    KpiSpec(
        "VA",
        _("Value-added share"),
        Unit.PERCENT,
        Direction.HIGHER,
        "value_added",
        "total_output",
        Area.INNOVATION,
        formula="value_added / total_output",
    ),
    KpiSpec(
        "LOCAL",
        _("Localization level"),
        Unit.PERCENT,
        Direction.HIGHER,
        "local_inputs",
        "purchases_total",
        Area.INNOVATION,
        formula="local_inputs / purchases_total",
    ),
    KpiSpec(
        "SKILLS",
        _("Trained or retrained employees"),
        Unit.PEOPLE,
        Direction.HIGHER,
        "employees_trained",
        None,
        Area.SKILLS,
        formula="employees_trained",
    ),
)

# Platform KPIs: read from the platform's own records, not from the enterprises' figures (kpi/platform.py).
P = KpiSource.PLATFORM
PLATFORM_KPIS: tuple[KpiSpec, ...] = (
    KpiSpec(
        "PARTIC",
        _("Participant enterprises"),
        Unit.COUNT,
        Direction.HIGHER,
        None,
        None,
        Area.OTHER,
        source=P,
        formula=_("active participant enterprises at the end of the period"),
    ),
    KpiSpec(
        "REGS",
        _("Approved regulations"),
        Unit.COUNT,
        Direction.HIGHER,
        None,
        None,
        Area.OTHER,
        source=P,
        formula=_("regulations approved and in force at the end of the period"),
    ),
    KpiSpec(
        "WGS",
        _("Active working groups"),
        Unit.COUNT,
        Direction.HIGHER,
        None,
        None,
        Area.OTHER,
        source=P,
        formula=_("working groups active at the end of the period"),
    ),
    KpiSpec(
        "PROJSEL",
        _("Selected joint projects"),
        Unit.COUNT,
        Direction.HIGHER,
        None,
        None,
        Area.OTHER,
        source=P,
        formula=_("joint projects selected by the council and not cancelled"),
    ),
    KpiSpec(
        "DISCIP",
        _("Execution discipline"),
        Unit.PERCENT,
        Direction.HIGHER,
        None,
        None,
        Area.OTHER,
        source=P,
        formula=_("action items done by their deadline / action items due in the period"),
    ),
    KpiSpec(
        "TIMELY",
        _("Reporting timeliness"),
        Unit.PERCENT,
        Direction.HIGHER,
        None,
        None,
        Area.OTHER,
        source=P,
        formula=_("monthly figures submitted by the deadline / figures expected"),
    ),
)
ELEMENT_NAMES = {spec.code: spec.name for spec in DATA_ELEMENTS}
ELEMENT_HELP = {spec.code: spec.help for spec in DATA_ELEMENTS}
KPI_NAMES = {spec.code: spec.name for spec in KPIS + PLATFORM_KPIS}
KPI_FORMULAS = {spec.code: spec.formula for spec in PLATFORM_KPIS}

# Active by default on a new cluster: 14 of the 15 data KPIs, within the 12–15 the model asks for
# (the range counts the KPIs collected from enterprises; the platform KPIs come on top).
DEFAULT_INACTIVE = frozenset({"COOP"})

ACTIVE_KPI_RANGE = (12, 15)
# KPIs whose level depends on what a link does (a farm makes no finished product, a laboratory little
# output per employee): by default only the cluster's value is held to the target and minimum.
STRUCTURAL_KPIS = frozenset({"FPS", "COST", "COOPSH", "PROD", "VA", "LOCAL"})


def cluster_kpi_defaults(code: str) -> dict[str, bool]:
    """How a cluster's row of a catalogue KPI starts: active unless the catalogue says otherwise, links compared
    unless the KPI is structural."""
    return {"active": code not in DEFAULT_INACTIVE, "compare_links": code not in STRUCTURAL_KPIS}


def kpi_catalogue_sync(data_element_model, kpi_model) -> None:
    """Create or update the catalogue rows (models passed in, so a migration can use its historical ones)."""
    elements = {}
    for position, spec in enumerate(DATA_ELEMENTS, start=1):
        elements[spec.code], _created = data_element_model.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": str(spec.name),
                "group": spec.group,
                "unit": spec.unit,
                "aggregation": spec.aggregation,
                "value_type": spec.value_type,
                "position": position,
            },
        )
    # An early migration's historical model predates the platform KPIs: it gets the data KPIs only.
    fields = {f.name for f in kpi_model._meta.get_fields()}
    specs = KPIS + PLATFORM_KPIS if "source" in fields else KPIS
    for position, kpi in enumerate(specs, start=1):
        defaults = {
            "name": str(kpi.name),
            "unit": kpi.unit,
            "direction": kpi.direction,
            "numerator": elements[kpi.numerator] if kpi.numerator else None,
            "denominator": elements[kpi.denominator] if kpi.denominator else None,
            "multiplier": kpi.multiplier,
            "per_days_in_period": kpi.per_days_in_period,
            "year_over_year": kpi.year_over_year,
            "area": kpi.area,
            "formula": str(kpi.formula),
            "source": kpi.source,
            "position": position,
        }
        kpi_model.objects.update_or_create(code=kpi.code, defaults={k: v for k, v in defaults.items() if k in fields})
