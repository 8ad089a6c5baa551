"""The demo cluster's KPI history: 24 months of monthly figures for every demo enterprise.

`load_kpi_demo()` runs after `demo.governance.load_demo()` on the demo cluster. The history is generated,
not stored as a fixture, because it is anchored to today: the last month is always the one being
collected, the months before it are approved and locked. A seeded generator per enterprise keeps it
deterministic (two loads on the same day give the same figures) and believable:

- magnitudes by kind and value-chain link: contracted farms grow raw cotton with a small staff, the
  ginneries and spinning mills turn out large volumes of semi-products, weaving, knitting and sewing
  carry the finished-product share, service firms and education partners have little or no output
  but train their people, export structures earn the export revenue on goods the others make;
- seasons: the cotton harvest (September–November) multiplies the farms' output and the ginneries
  gin it through the winter; textile mills slow down in January;
- trends: output, the finished-product share and exports rise slowly, and once the cluster runs its
  members buy more from each other and reject fewer products;
- one weak link, for the alerts to find: the supply link delivers late and slowly, and the processors
  stand idle waiting for raw material, most of all in the harvest;
- the reporting discipline: most months approved on time, some late, a few missing, the last month
  still being collected.

The figures respect every hard rule of `kpi.validation` (checked before anything is written). They are
written directly with `bulk_create` (not through `data_values_write`, which validates row by row for
people): `make run` loads them on SQLite in well under ten seconds. Figures, comments and reasons are
the cluster's own content, not interface text: they are written in Uzbek (Latin), as the cluster's
enterprises and office would write them, and are not translated with the interface.
"""

from __future__ import annotations

import calendar
import datetime
import random
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import cast

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import DateTimeField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from core.sql import statistics_refresh
from governance.choices import Area, BodyKind, EnterpriseKind, EnterpriseStatus, RegulationKind, RegulationStatus, Role
from governance.models import Body, Cluster, ClusterRole, Enterprise, Regulation
from kpi.catalogue import DATA_ELEMENTS
from kpi.choices import Channel, SubmissionStatus
from kpi.models import (
    ClusterKpi,
    Correction,
    DataCollectionRules,
    DataElement,
    DataValue,
    DataValueChange,
    ReportingPeriod,
    Submission,
    add_months,
)
from kpi.services import (
    KpiSetting,
    cluster_kpis_ensure,
    cluster_kpis_save,
    collection_rules_save,
    correction_request,
    kpi_values_compute_due,
    period_open,
)
from kpi.validation import History, Row, check_rows, soft_warnings

HISTORY_MONTHS = 24
DEADLINE_DAY = 10
LOCK_DELAY_DAYS = 15
UZS_PER_USD = 12.7  # thousand UZS per US dollar
SEED = "cluster-platform-kpi-demo"

# --- Seasons (January … December) ----------------------------------------------------------------

COTTON = (0.10, 0.10, 0.15, 0.20, 0.25, 0.60, 0.30, 0.35, 2.20, 3.30, 2.40, 0.55)  # harvest; wheat in June
GINNING = (1.30, 1.10, 0.80, 0.50, 0.40, 0.35, 0.35, 0.45, 1.20, 1.80, 1.90, 1.60)  # gins through the winter
MILL = (0.86, 0.92, 1.00, 1.02, 1.03, 1.00, 0.97, 0.98, 1.02, 1.06, 1.07, 1.04)  # slow January
GARMENT = (0.84, 0.92, 1.02, 1.05, 1.03, 0.98, 0.94, 1.00, 1.05, 1.08, 1.07, 1.00)
OIL = (1.30, 1.20, 1.00, 0.80, 0.60, 0.50, 0.50, 0.60, 0.90, 1.30, 1.50, 1.50)  # pressed from ginned seed
INPUTS = (0.60, 1.30, 1.80, 1.70, 1.30, 0.90, 0.80, 0.70, 0.80, 0.90, 0.60, 0.60)  # fertiliser, seed: spring
SEED_SALES = (0.60, 1.60, 2.20, 1.80, 0.80, 0.60, 0.50, 0.50, 0.80, 1.00, 0.80, 0.60)
HAULAGE = (0.80, 0.80, 0.90, 0.95, 0.95, 0.95, 0.90, 0.95, 1.25, 1.45, 1.35, 1.00)
REPAIRS = (0.90, 1.20, 1.40, 1.20, 0.90, 0.80, 0.80, 1.10, 1.30, 1.10, 0.80, 0.70)  # before sowing and harvest
SCHOOL = (1.10, 1.10, 1.10, 1.10, 1.10, 0.80, 0.30, 0.30, 1.10, 1.10, 1.10, 1.10)  # no courses in summer
FLAT = (0.95, 0.97, 1.00, 1.00, 1.00, 1.00, 0.98, 1.00, 1.02, 1.03, 1.03, 1.02)
FARM_BUYING = (0.30, 0.60, 1.60, 1.80, 1.60, 1.40, 1.20, 1.00, 1.30, 1.20, 0.60, 0.40)  # inputs before the harvest
TRAINING = (1.60, 1.50, 1.20, 1.00, 0.90, 0.80, 0.50, 0.50, 0.70, 0.80, 1.00, 1.50)  # retraining in winter
HARVEST = (9, 10, 11)

# Downtime from raw-material delays, days a month. The gins wait for raw cotton that the farms deliver
# late in the harvest; the mills run short of fibre before the new crop and when the winter slows the
# railway; the farms wait for seed, fertiliser and fuel in spring.
NO_DOWNTIME = (0.0,) * 12
GIN_DOWNTIME = (1.5, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.5, 3.5, 4.5, 4.0, 2.0)
MILL_DOWNTIME = (2.0, 1.5, 0.5, 0.0, 0.0, 0.5, 1.0, 2.0, 2.5, 2.0, 1.0, 1.5)
SEWING_DOWNTIME = (1.5, 1.0, 0.5, 0.0, 0.0, 0.0, 0.5, 0.5, 1.0, 1.0, 0.5, 1.0)
FARM_DOWNTIME = (0.0, 0.0, 1.0, 1.5, 1.0, 0.0, 0.0, 0.0, 0.5, 1.0, 0.5, 0.0)


@cache
def _normalised(season: Sequence[float]) -> tuple[float, ...]:
    """A season as factors with a mean of 1, so a profile's `output` stays its yearly average."""
    mean = sum(season) / len(season)
    return tuple(s / mean for s in season)


# --- Profiles of the enterprises ------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """How one kind of enterprise's monthly figures look, at the start of the history (money in thousand UZS)."""

    output: float  # average monthly total output
    season: tuple[float, ...] = FLAT
    growth: float = 0.06  # output growth a year
    finished: float = 0.0  # finished-product share of the output
    finished_gain: float = 0.0  # added to that share over the 24 months
    value_added: float = 0.3  # share of the output
    cost: float = 0.88  # production cost per unit of output
    unit_value: float = 0.0  # output per unit produced (0: the enterprise counts no units)
    defect: float = 0.0  # defect rate
    defect_cut: float = 0.25  # share of the defect rate that the cluster's quality work removes
    shipments: float = 0.0  # a month, at average output
    lead: float = 3.0  # days from order to delivery
    harvest_lead: float = 0.0  # extra share of lead time in the harvest
    on_time: float = 0.9  # share of shipments on time
    harvest_late: float = 0.0  # share of shipments on time lost in the harvest
    inventory_days: float = 20.0  # finished-goods stock, in days of average output
    employees: int = 10
    harvest_staff: float = 0.0  # extra share of staff in the harvest
    training: float = 0.01  # share of the staff trained a month
    dual_training: float = 0.0  # extra share once the dual-training programme with the college runs
    purchases: float | None = None  # share of output bought in; None: 90 % of what is not value added
    buying: tuple[float, ...] | None = None  # the purchases' own season (farms buy inputs before the harvest)
    in_cluster: float = 0.3  # share of purchases from cluster participants before the cluster started
    in_cluster_gain: float = 0.1  # added once the cluster runs
    local: float = 0.8  # share of purchases made in Uzbekistan
    contracts: int = 1  # cooperation contracts before the cluster started
    contracts_gain: int = 1  # added once the cluster runs
    export: float = 0.0  # exported share of the output
    export_gain: float = 0.0  # added to that share a year
    export_usd: float = 0.0  # export sales a month in USD of goods others made (export structures)
    downtime: tuple[float, ...] = NO_DOWNTIME


PROFILES: dict[str, Profile] = {
    # Supply: raw cotton in tonnes; deliveries queue at the gins in the harvest.
    "farm": Profile(
        output=900_000, season=COTTON, growth=0.04, value_added=0.45, cost=0.86, unit_value=9_000, defect=0.045,
        defect_cut=0.1, shipments=12, lead=6.5, harvest_lead=0.35, on_time=0.62, harvest_late=0.1,
        inventory_days=8, employees=35, harvest_staff=0.5, training=0.008, buying=FARM_BUYING, in_cluster=0.3,
        in_cluster_gain=0.2, local=0.9, contracts=1, contracts_gain=1, downtime=FARM_DOWNTIME,
    ),
    "agrochemicals": Profile(
        output=600_000, season=INPUTS, growth=0.05, value_added=0.22, cost=0.9, unit_value=3_500, defect=0.01,
        shipments=55, lead=6.0, on_time=0.64, inventory_days=45, employees=40, in_cluster=0.05,
        in_cluster_gain=0.05, local=0.75, contracts=6, contracts_gain=5,
    ),
    "seeds": Profile(
        output=400_000, season=SEED_SALES, growth=0.05, value_added=0.35, cost=0.87, unit_value=12_000,
        defect=0.02, shipments=30, lead=5.5, on_time=0.66, inventory_days=60, employees=45, in_cluster=0.4,
        local=0.95, contracts=5, contracts_gain=4,
    ),
    # Processing: fibre in bales, yarn and fabric in lots and rolls, knitwear and garments in pieces.
    "ginnery": Profile(
        output=7_000_000, season=GINNING, growth=0.05, value_added=0.15, cost=0.9, unit_value=4_400, defect=0.025,
        shipments=35, lead=3.0, on_time=0.89, inventory_days=25, employees=300, harvest_staff=0.3, training=0.02,
        in_cluster=0.72, in_cluster_gain=0.12, local=0.97, contracts=10, contracts_gain=4, downtime=GIN_DOWNTIME,
    ),
    "spinning": Profile(
        output=8_000_000, season=MILL, growth=0.07, value_added=0.22, cost=0.88, unit_value=4_500, defect=0.018,
        shipments=40, lead=2.8, on_time=0.9, inventory_days=25, employees=450, training=0.02, in_cluster=0.55,
        in_cluster_gain=0.15, local=0.95, contracts=5, contracts_gain=2, export=0.3, export_gain=0.02,
        downtime=MILL_DOWNTIME,
    ),
    "weaving": Profile(
        output=4_000_000, season=MILL, growth=0.06, finished=0.72, finished_gain=0.05, value_added=0.28, cost=0.87,
        unit_value=2_500, defect=0.025, shipments=30, lead=3.2, on_time=0.88, inventory_days=30, employees=350,
        training=0.015, in_cluster=0.5, in_cluster_gain=0.15, local=0.85, contracts=4, contracts_gain=2,
        export=0.25, export_gain=0.02, downtime=MILL_DOWNTIME,
    ),
    "denim": Profile(
        output=5_000_000, season=MILL, growth=0.09, finished=0.78, finished_gain=0.05, value_added=0.3, cost=0.86,
        unit_value=3_000, defect=0.03, shipments=28, lead=3.4, on_time=0.88, inventory_days=35, employees=450,
        training=0.015, in_cluster=0.45, in_cluster_gain=0.15, local=0.7, contracts=3, contracts_gain=2,
        export=0.45, export_gain=0.03, downtime=MILL_DOWNTIME,
    ),
    "knitting": Profile(
        output=3_500_000, season=GARMENT, growth=0.08, finished=0.85, finished_gain=0.04, value_added=0.3,
        cost=0.86, unit_value=60, defect=0.03, shipments=30, lead=2.8, on_time=0.9, inventory_days=30,
        employees=380, training=0.015, dual_training=0.03, in_cluster=0.5, in_cluster_gain=0.15, local=0.8,
        contracts=3, contracts_gain=2, export=0.4, export_gain=0.03, downtime=SEWING_DOWNTIME,
    ),
    "dyeing": Profile(
        output=2_000_000, season=MILL, growth=0.06, finished=0.6, finished_gain=0.05, value_added=0.3, cost=0.88,
        unit_value=2_000, defect=0.035, shipments=25, lead=2.6, on_time=0.88, inventory_days=15, employees=180,
        training=0.015, in_cluster=0.35, in_cluster_gain=0.1, local=0.35, contracts=4, contracts_gain=2,
        export=0.1, downtime=SEWING_DOWNTIME,
    ),
    "sewing": Profile(
        output=2_800_000, season=GARMENT, growth=0.08, finished=0.96, finished_gain=0.02, value_added=0.35,
        cost=0.86, unit_value=70, defect=0.03, shipments=22, lead=3.0, on_time=0.9, inventory_days=30,
        employees=450, training=0.015, dual_training=0.03, in_cluster=0.45, in_cluster_gain=0.15, local=0.6,
        contracts=3, contracts_gain=2, export=0.55, export_gain=0.03, downtime=SEWING_DOWNTIME,
    ),
    "leading": Profile(
        output=20_000_000, season=MILL, growth=0.08, finished=0.48, finished_gain=0.08, value_added=0.3,
        cost=0.86, unit_value=110, defect=0.022, shipments=90, lead=3.2, on_time=0.92, inventory_days=35,
        employees=2_200, training=0.012, dual_training=0.01, in_cluster=0.6, in_cluster_gain=0.15, local=0.82,
        contracts=12, contracts_gain=6, export=0.35, export_gain=0.03, downtime=SEWING_DOWNTIME,
    ),
    "oil": Profile(
        output=3_000_000, season=OIL, growth=0.04, finished=0.7, value_added=0.2, cost=0.9, unit_value=20,
        defect=0.01, shipments=40, lead=2.5, on_time=0.9, inventory_days=20, employees=160, in_cluster=0.8,
        in_cluster_gain=0.1, local=0.95, contracts=3, contracts_gain=1, downtime=SEWING_DOWNTIME,
    ),
    # Service: sales of services; the hauliers and the terminal carry the cluster's shipments.
    "transport": Profile(
        output=600_000, season=HAULAGE, growth=0.08, value_added=0.5, cost=0.85, shipments=350, lead=1.8,
        harvest_lead=0.2, on_time=0.9, inventory_days=0, employees=60, training=0.02, purchases=0.35,
        in_cluster=0.1, local=0.7, contracts=14, contracts_gain=6,
    ),
    "terminal": Profile(
        output=450_000, season=HAULAGE, growth=0.07, value_added=0.55, cost=0.84, shipments=120, lead=2.2,
        on_time=0.88, inventory_days=0, employees=80, training=0.02, purchases=0.3, in_cluster=0.1, local=0.8,
        contracts=8, contracts_gain=4,
    ),
    "machinery": Profile(
        output=300_000, season=REPAIRS, growth=0.06, value_added=0.4, cost=0.87, shipments=10, lead=4.0,
        on_time=0.8, inventory_days=10, employees=70, training=0.02, in_cluster=0.05, local=0.3, contracts=6,
        contracts_gain=4,
    ),
    "laboratory": Profile(
        output=120_000, growth=0.25, value_added=0.55, cost=0.85, inventory_days=0, employees=25, training=0.04,
        purchases=0.25, in_cluster=0.05, local=0.4, contracts=4, contracts_gain=8,
    ),
    "packaging": Profile(
        output=250_000, season=GARMENT, growth=0.1, value_added=0.3, cost=0.88, unit_value=8, defect=0.02,
        shipments=60, lead=2.5, on_time=0.9, inventory_days=15, employees=45, in_cluster=0.1, local=0.7,
        contracts=3, contracts_gain=3,
    ),
    # Innovation: little or no output of their own; they train.
    "college": Profile(
        output=60_000, season=SCHOOL, growth=0.05, value_added=0.7, cost=0.95, inventory_days=0, employees=90,
        training=0.04, purchases=0.2, in_cluster=0.1, local=0.9, contracts=2, contracts_gain=5,
    ),
    "research": Profile(
        output=150_000, season=SEED_SALES, growth=0.05, value_added=0.6, cost=0.9, unit_value=12_000, defect=0.02,
        shipments=4, lead=5.0, on_time=0.75, inventory_days=30, employees=60, training=0.03, in_cluster=0.1,
        local=0.85, contracts=2, contracts_gain=4,
    ),
    "innovation": Profile(
        output=90_000, growth=0.3, value_added=0.65, cost=0.9, inventory_days=0, employees=18, training=0.05,
        purchases=0.25, in_cluster=0.1, local=0.6, contracts=1, contracts_gain=4,
    ),
    "investor": Profile(output=0, employees=12, training=0.02, contracts=2, contracts_gain=3),
    # Export structures: their output is their trading margin; the export revenue is the goods' value.
    "exporter": Profile(
        output=230_000, season=GARMENT, growth=0.2, value_added=0.6, cost=0.8, shipments=18, lead=4.0,
        on_time=0.88, inventory_days=10, employees=14, training=0.02, purchases=0.3, in_cluster=0.5, local=0.8,
        contracts=8, contracts_gain=6, export_usd=240_000,
    ),
}  # fmt: skip

# The demo enterprises (demo.governance.ENTERPRISES) by taxpayer id: profile and size.
ENTERPRISE_PROFILES: dict[str, tuple[str, float]] = {
    "305187264": ("leading", 1.0),
    "311402567": ("farm", 1.2),
    "311402981": ("farm", 1.5),
    "311403344": ("farm", 0.9),
    "311404120": ("farm", 1.1),
    "311405236": ("farm", 0.7),
    "311405872": ("farm", 0.8),
    "311406409": ("farm", 0.6),
    "311407115": ("farm", 1.0),
    "311407790": ("farm", 0.75),
    "311408263": ("farm", 0.65),
    "311409057": ("farm", 1.3),
    "311409614": ("farm", 0.85),
    "311410238": ("farm", 0.7),
    "302918476": ("agrochemicals", 1.0),
    "302918533": ("seeds", 1.0),
    "304556120": ("ginnery", 1.2),
    "304556247": ("ginnery", 0.85),
    "304557318": ("spinning", 1.1),
    "304557461": ("spinning", 0.8),
    "304558093": ("weaving", 1.0),
    "304558170": ("knitting", 1.0),
    "304558642": ("dyeing", 1.0),
    "304559215": ("sewing", 1.0),
    "304559388": ("sewing", 1.15),
    "304559704": ("denim", 1.0),
    "304560031": ("sewing", 0.65),
    "304560489": ("oil", 1.0),
    "306771204": ("transport", 1.0),
    "306771392": ("terminal", 1.0),
    "306772015": ("machinery", 1.0),
    "306772558": ("laboratory", 1.0),
    "306773140": ("packaging", 1.0),
    "308114502": ("college", 1.0),
    "308114679": ("research", 1.0),
    "308115233": ("innovation", 1.0),
    "309220418": ("investor", 1.0),
    "307330926": ("exporter", 1.2),
    "307331457": ("exporter", 0.75),
}
# Any other enterprise of the cluster reports like the typical one of its kind.
KIND_PROFILES: dict[str, str] = {
    EnterpriseKind.LEADING: "leading",
    EnterpriseKind.SUPPLIER: "farm",
    EnterpriseKind.PROCESSOR: "sewing",
    EnterpriseKind.SERVICE: "transport",
    EnterpriseKind.EDUCATION_RESEARCH: "college",
    EnterpriseKind.INVESTOR: "investor",
    EnterpriseKind.EXPORT: "exporter",
}

# --- Reporting discipline -------------------------------------------------------------------------

LATE_SHARE = 0.04  # of an enterprise's months, submitted after the deadline
LATE_PRONE = {"311405236": 0.35, "311408263": 0.3, "304560031": 0.4, "306773140": 0.25}
MISSING = {"304560031": 3, "311408263": 2, "306772015": 2}  # scattered months with no figures at all
LEFT_MONTHS = 5  # an enterprise that left the cluster has reported nothing for this many months
DEMO_FARM = "311402567"  # represented by the `enterprise` demo user: its last month waits for them
PARTIAL_ELEMENTS = 9  # a draft started but not finished holds the first elements only
RETURN_REASON = (
    "O'z vaqtida yetkazilgan jo'natmalar soni va yetkazib berish kunlari logistika ishchi guruhiga yuborgan "
    "yuk xatlaringizga mos kelmaydi. Ikkala ko'rsatkichni tekshirib, farqni izohda tushuntiring."
)
CORRECTION_REASON = (
    "E'tirozimizdan so'ng umumiy laboratoriya bir partiyaning navini qayta aniqladi: past navli mahsulot kamroq."
)

# Believable targets and minimums (the worst acceptable value: above the target where lower is better).
TARGETS: dict[str, tuple[str, str]] = {
    "FPS": ("0.45", "0.35"),
    "COST": ("850", "920"),
    "LEAD": ("4", "7"),
    "OTD": ("0.90", "0.80"),
    "DEFECT": ("0.02", "0.04"),
    "DOWNTIME": ("10", "20"),
    "INVENT": ("30", "45"),
    "COOP": ("130", "100"),
    "COOPSH": ("0.65", "0.50"),
    "PROD": ("13000", "10000"),
    "EXPORT": ("2200000", "1600000"),
    "EXPGR": ("0.15", "0.05"),
    "VA": ("0.30", "0.22"),
    "LOCAL": ("0.85", "0.75"),
    "SKILLS": ("150", "80"),
    # Platform KPIs (PROJSEL gets its target with the portfolio).
    "PARTIC": ("35", "28"),
    "REGS": ("6", "4"),
    "WGS": ("5", "4"),
    "DISCIP": ("0.85", "0.70"),
    "TIMELY": ("0.90", "0.75"),
}

COUNT_KEYS = (
    "kpi_periods",
    "periods",
    "kpis",
    "values",
    "changes",
    "submissions",
    "locked",
    "approved",
    "submitted",
    "returned",
    "drafts",
    "late",
    "missing",
    "corrections",
)

INTEGER_CODES = frozenset(spec.code for spec in DATA_ELEMENTS if spec.value_type == "integer")


# --- Figures --------------------------------------------------------------------------------------


def _jitter(rng: random.Random, sd: float) -> float:
    """A factor around 1 with standard deviation `sd`, kept within three of them (no negative figures)."""
    return min(1 + 3 * sd, max(1 - 3 * sd, rng.gauss(1.0, sd)))


def month_figures(
    *, profile: Profile, scale: float, month: datetime.date, index: int, ramp: float, dual: bool, rng: random.Random
) -> dict[str, Decimal]:
    """One enterprise's 18 figures for one month, consistent with each other and with the hard rules.

    `index` counts the months of the history (0 the oldest), `ramp` runs from 0 before the cluster
    started to 1 a year later (the cluster's own effect), `dual` says whether the dual-training
    programme runs. Money is rounded to whole thousands of UZS, days to tenths and half days.
    """
    p = profile
    years = index / 12
    season = _normalised(p.season)[month.month - 1]
    harvest = month.month in HARVEST
    base = p.output * scale * (1 + p.growth) ** years
    output = base * season * _jitter(rng, 0.06)
    finished_share = p.finished + p.finished_gain * index / (HISTORY_MONTHS - 1)
    finished = output * min(1.0, finished_share * _jitter(rng, 0.02))
    value_added = min(output, output * p.value_added * _jitter(rng, 0.04))
    cost = output * p.cost * _jitter(rng, 0.03)
    stock = p.inventory_days / 30 * base * (0.6 + 0.4 * season) * _jitter(rng, 0.1)

    units = round(output / p.unit_value) if p.unit_value else 0
    defective = min(units, round(units * p.defect * (1 - p.defect_cut * ramp) * _jitter(rng, 0.15)))

    shipments = round(p.shipments * scale * season * _jitter(rng, 0.1)) if output else 0
    lead = p.lead * (1 + (p.harvest_lead if harvest else 0)) * (1 - 0.05 * ramp) * _jitter(rng, 0.08)
    on_time_share = p.on_time - (p.harvest_late if harvest else 0) + 0.03 * ramp * (p.on_time >= 0.85)
    on_time = min(shipments, round(shipments * min(1.0, max(0.0, on_time_share + rng.gauss(0, 0.025)))))
    days = calendar.monthrange(month.year, month.month)[1]
    downtime_base = p.downtime[month.month - 1] * (1 - 0.2 * ramp) * _jitter(rng, 0.3)
    downtime = min(days, round(downtime_base * 2) / 2)

    if p.buying is not None:
        purchases = base * (1 - p.value_added) * 0.9 * _normalised(p.buying)[month.month - 1] * _jitter(rng, 0.08)
    else:
        share = p.purchases if p.purchases is not None else (1 - p.value_added) * 0.9
        purchases = output * share * _jitter(rng, 0.05)
    in_cluster = purchases * min(1.0, (p.in_cluster + p.in_cluster_gain * ramp) * _jitter(rng, 0.04))
    local = purchases * min(1.0, p.local * _jitter(rng, 0.03))

    staff = p.employees * scale * (1 + 0.03 * years) * (1 + (p.harvest_staff if harvest else 0))
    employees = max(1, round(staff * _jitter(rng, 0.01))) if p.employees else 0
    training = p.training * _normalised(TRAINING)[month.month - 1] * (1 + 0.3 * ramp)
    training += p.dual_training if dual else 0
    trained = min(employees, round(employees * training * _jitter(rng, 0.3)))
    contracts = max(1 if p.contracts else 0, round((p.contracts + p.contracts_gain * ramp) * scale))

    export = output * min(1.0, p.export + p.export_gain * years) / UZS_PER_USD
    export += p.export_usd * scale * (1 + p.growth) ** years * season
    export *= _jitter(rng, 0.08)

    def money(value: float) -> Decimal:
        return Decimal(round(value))

    return {
        "total_output": money(output),
        "finished_output": money(finished),
        "production_cost": money(cost),
        "value_added": money(value_added),
        "finished_goods_inventory": money(stock),
        "produced_units": Decimal(units),
        "defective_units": Decimal(defective),
        "shipments_total": Decimal(shipments),
        "shipments_on_time": Decimal(on_time),
        "delivery_days_total": Decimal(f"{shipments * lead:.1f}"),
        "downtime_days": Decimal(f"{downtime:.1f}"),
        "coop_contracts": Decimal(contracts),
        "purchases_total": money(purchases),
        "purchases_in_cluster": money(min(in_cluster, purchases)),
        "local_inputs": money(min(local, purchases)),
        "employees": Decimal(employees),
        "employees_trained": Decimal(trained),
        "export_revenue": money(export),
    }


def enterprise_profile(enterprise: Enterprise) -> tuple[Profile, float]:
    key, scale = ENTERPRISE_PROFILES.get(enterprise.taxpayer_id, (KIND_PROFILES.get(enterprise.kind, "farm"), 1.0))
    return PROFILES[key], scale


SEASON_NOTES: dict[tuple[float, ...], tuple[str, str]] = {
    COTTON: ("Paxta terimi mavsumi.", "Mavsumdan tashqari: teriladigan paxta yo'q."),
    GINNING: ("Yangi hosil paxtasi tozalanmoqda.", "Yangi hosilgacha tozalanadigan paxta xomashyosi kam qoldi."),
    OIL: ("Yangi hosil chigitidan moy olinmoqda.", "Presslash uchun chigit kam qoldi."),
    INPUTS: ("Ekish oldidan o'g'it va urug' savdosi.", "Ekishdan keyin savdo kam."),
    SEED_SALES: ("Ekish oldidan urug' savdosi.", "Bu yilgi urug' savdosi tugadi."),
    HAULAGE: ("Terim mavsumidagi yuk tashish.", "Terimdan keyin yuk tashish kamaydi."),
    REPAIRS: ("Mavsum oldidan texnika ta'miri.", "Mavsum davomida ta'mir ishlari kam."),
    SCHOOL: ("Yozgi ta'tildan keyin mashg'ulotlar qayta boshlandi.", "Yozgi ta'til: mashg'ulotlar yo'q."),
}


def _comment(*, code: str, above: bool, profile: Profile) -> str:
    """What an enterprise writes next to a figure far from its recent months (the soft rule asks for it)."""
    if code == "employees_trained":
        return "Bu oy to'qimachilik texnikumi bilan o'quv kursi o'tkazildi." if above else "Bu oy o'quv kursi bo'lmadi."
    if code == "downtime_days":
        return "Kechikib kelgan xomashyoni kutib qoldik." if above else "Xomashyo o'z vaqtida keldi."
    if code == "defective_units":
        return (
            "Bir partiya umumiy laboratoriyada tekshiruvdan o'tmadi."
            if above
            else "Tekshiruvlardan keyin brak kamaydi."
        )
    if code == "employees":
        return "Terim uchun mavsumiy ishchilar olindi." if above else "Mavsumiy ishchilar terimdan keyin ketdi."
    if code == "coop_contracts":
        return (
            "Yangi kooperatsiya shartnomalari imzolandi." if above else "Kooperatsiya shartnomalarining muddati tugadi."
        )
    if profile.season in SEASON_NOTES:
        return SEASON_NOTES[profile.season][0 if above else 1]
    if code == "export_revenue":
        return "Katta eksport buyurtmasi jo'natildi." if above else "Eksport buyurtmasi keyingi oyga ko'chdi."
    return "Bu oy buyurtmalar odatdagidan ko'p bo'ldi." if above else "Bu oy buyurtmalar odatdagidan kam bo'ldi."


# --- The loader -----------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What happened to one enterprise's month: its state, its figures and the times of each step."""

    enterprise: Enterprise
    period: ReportingPeriod
    state: str  # approved, submitted, returned, draft
    figures: dict[str, Decimal]
    entered_at: datetime.datetime
    submitted_at: datetime.datetime | None = None
    decided_at: datetime.datetime | None = None
    partial: bool = False


class _Loader:
    """Plans and writes the history of one cluster: who reported what, when, and how far each month went."""

    def __init__(self, *, cluster: Cluster, today: datetime.date, periods: list[ReportingPeriod]):
        self.cluster = cluster
        self.today = today
        self.tz = zoneinfo.ZoneInfo(cluster.time_zone)
        self.now = datetime.datetime.combine(today, datetime.time.min, self.tz)  # every event happens before
        self.periods = periods
        self.elements = {e.code: e for e in DataElement.objects.all()}
        self.enterprises = list(Enterprise.objects.filter(cluster=cluster).order_by("taxpayer_id"))
        self.office_id = (
            ClusterRole.objects.filter(cluster=cluster, role=Role.OFFICE, is_active=True)
            .order_by("pk")
            .values_list("user_id", flat=True)
            .first()
        )
        self.representatives: dict[int, int] = {}
        through = ClusterRole.enterprises.through
        for enterprise_id, user_id in (
            through.objects.filter(clusterrole__cluster=cluster, clusterrole__is_active=True)
            .order_by("clusterrole_id")
            .values_list("enterprise_id", "clusterrole__user_id")
        ):
            self.representatives.setdefault(enterprise_id, user_id)

    # -- time

    def _at(self, day: datetime.date, rng: random.Random) -> datetime.datetime:
        """A moment in office hours of `day`, in the cluster's time zone."""
        return datetime.datetime.combine(day, datetime.time(rng.randint(9, 17), rng.randrange(60)), self.tz)

    def _between(
        self, start: datetime.datetime, end: datetime.datetime, rng: random.Random
    ) -> datetime.datetime | None:
        """A moment between `start` and `end`, to the minute (None when they are less than two hours apart)."""
        span = (end - start).total_seconds()
        if span < 7200:
            return None
        moment = start + datetime.timedelta(seconds=rng.uniform(1800, span - 1800))
        return moment.replace(second=0, microsecond=0)

    # -- the plan

    def plan(self) -> tuple[list[_Plan], int]:
        """Decide, for every enterprise and month, whether it reported and how far its submission went."""
        current = self.today.replace(day=1)
        start = self.cluster.start_date.replace(day=1)
        dual_from = add_months(current, -4)  # the council approved the dual training programme four months ago
        left_from = add_months(current, -LEFT_MONTHS)
        last = self.periods[-1]
        plans: list[_Plan] = []
        missing = 0
        for enterprise in self.enterprises:
            profile, scale = enterprise_profile(enterprise)
            rng = random.Random(f"{SEED}:{enterprise.taxpayer_id}")
            # Missing months: locked ones, neither the first nor the latest (scattered through the history).
            candidates = [i for i, p in enumerate(self.periods) if p.locks_at <= self.now][1:-1]
            skipped = set(rng.sample(candidates, min(MISSING.get(enterprise.taxpayer_id, 0), len(candidates))))
            late_share = LATE_PRONE.get(enterprise.taxpayer_id, LATE_SHARE)
            for index, period in enumerate(self.periods):
                months_running = (period.month.year - start.year) * 12 + period.month.month - start.month + 1
                figures = month_figures(
                    profile=profile,
                    scale=scale,
                    month=period.month,
                    index=index,
                    ramp=min(1.0, max(0.0, months_running / 12)),
                    dual=period.month >= dual_from,
                    rng=rng,
                )
                draw, late = rng.random(), rng.random() < late_share
                if enterprise.status == EnterpriseStatus.LEFT and period.month >= left_from:
                    continue
                if index in skipped:
                    missing += 1
                    continue
                plan = self._plan_month(enterprise, period, figures, draw, late, rng, last=period is last)
                if plan is not None:
                    plans.append(plan)
        self._return_one(plans)
        return plans, missing

    def _plan_month(
        self,
        enterprise: Enterprise,
        period: ReportingPeriod,
        figures: dict[str, Decimal],
        draw: float,
        late: bool,
        rng: random.Random,
        *,
        last: bool,
    ) -> _Plan | None:
        """One enterprise's month: its submission's state and times, or None when it has reported nothing yet."""
        month_end = datetime.datetime.combine(add_months(period.month, 1), datetime.time.min, self.tz)
        deadline_at, locks_at = period.deadline_at, period.locks_at
        plan = _Plan(enterprise=enterprise, period=period, state="approved", figures=figures, entered_at=month_end)
        demo_farm = enterprise.taxpayer_id == DEMO_FARM

        if locks_at <= self.now:
            # A locked month: approved (on time or late) and locked; in the last month a few never submitted.
            if last and draw > 0.92:
                plan.state = "draft"
                plan.entered_at = self._between(month_end, deadline_at, rng) or month_end
                return plan
            if late:
                delay = rng.randint(1, max(1, (period.lock_date - period.deadline).days - 3))
                plan.submitted_at = self._at(period.deadline + datetime.timedelta(days=delay), rng)
            else:
                first = max(1, period.deadline.day - 8)
                plan.submitted_at = self._at(period.deadline.replace(day=rng.randint(first, period.deadline.day)), rng)
            plan.entered_at = max(month_end, plan.submitted_at - datetime.timedelta(hours=rng.randint(1, 48)))
            decided = plan.submitted_at + datetime.timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 5))
            plan.decided_at = min(decided, locks_at - datetime.timedelta(hours=2))
            return plan

        # The month being collected: nothing happens after the start of today.
        if demo_farm:
            plan.state = "draft"
        elif deadline_at <= self.now:
            # Past the deadline, before the lock: most approved or waiting, some late, some not started.
            states = ((0.55, "approved"), (0.70, "submitted"), (0.80, "late"), (0.82, "returned"), (0.93, "draft"))
            plan.state = next((s for limit, s in states if draw < limit), "")
        else:
            # Before the deadline: some submitted (a few already approved), many drafts, some not started.
            states = ((0.12, "approved"), (0.32, "submitted"), (0.35, "returned"), (0.65, "draft"), (0.75, "partial"))
            plan.state = next((s for limit, s in states if draw < limit), "")
        if not plan.state:
            return None
        if plan.state == "late":
            plan.submitted_at = self._between(deadline_at, self.now, rng)
        elif plan.state in ("approved", "submitted", "returned"):
            plan.submitted_at = self._between(month_end, min(deadline_at, self.now), rng)
        if plan.submitted_at is None:
            # A draft: started in the month's last days at the earliest (some enter figures as they come).
            plan.partial, plan.state = plan.state == "partial", "draft"
            entered = self._between(month_end - datetime.timedelta(days=3), self.now, rng)
            if entered is None:
                return None  # too early for anyone to have entered anything
            plan.entered_at = entered
            return plan
        plan.entered_at = max(
            month_end - datetime.timedelta(days=3), plan.submitted_at - datetime.timedelta(hours=rng.randint(1, 72))
        )
        if plan.state == "late":
            plan.state = "submitted"
        if plan.state in ("approved", "returned"):
            plan.decided_at = self._between(plan.submitted_at, self.now, rng)
            if plan.decided_at is None:
                plan.state = "submitted"
        return plan

    def _return_one(self, plans: list[_Plan]) -> None:
        """The office has sent one submission of the month being collected back (when it had the time)."""
        collected = [p for p in plans if p.period is self.periods[-1] and p.period.locks_at > self.now]
        if any(p.state == "returned" for p in collected):
            return
        for plan in collected:
            if plan.state == "submitted" and plan.submitted_at is not None:
                decided = self._between(plan.submitted_at, self.now, random.Random(f"{SEED}:return"))
                if decided is not None:
                    plan.state, plan.decided_at = "returned", decided
                    return

    # -- writing

    def write(self, plans: list[_Plan], counts: dict[str, int]) -> None:
        """Check the figures against the hard rules, then write figures, their history and submissions in bulk."""
        rules = DataCollectionRules.objects.get(cluster=self.cluster)
        codes = {code: element.pk for code, element in self.elements.items()}
        order = [spec.code for spec in DATA_ELEMENTS]
        rows: list[Row] = []
        owners: list[tuple[_Plan, str]] = []
        history = History()
        for plan in plans:
            elements = order[:PARTIAL_ELEMENTS] if plan.partial else order
            for code in elements:
                value = plan.figures[code]
                element = self.elements[code]
                rows.append(Row(len(rows), plan.enterprise.pk, plan.period.pk, plan.period.month, element, value))
                owners.append((plan, code))
                history.values.setdefault((plan.enterprise.pk, codes[code]), {})[plan.period.month] = value
        problems = check_rows(rows, {}, codes)
        # Every demo row carries a figure (plan.figures), never None.
        fractions = [
            r for r in rows if r.element.code in INTEGER_CODES and r.value != cast(Decimal, r.value).to_integral_value()
        ]
        broken = [*problems, *fractions]
        if broken:
            raise RuntimeError(f"The demo figures break the hard rules: {broken[:5]}")

        # Figures far from an enterprise's recent months carry the comment the soft rule asks for,
        # except in drafts, where the enterprise has not got that far yet.
        comments: dict[int, str] = {}
        for warning in soft_warnings(rows, history, threshold=rules.deviation_threshold, months=rules.history_months):
            row = rows[warning.row]
            plan, code = owners[warning.row]
            if plan.state == "draft":
                continue
            average, _count = history.average(row.enterprise_id, row.element_id, row.month, rules.history_months)
            assert row.value is not None  # every demo row carries a figure
            profile, _scale = enterprise_profile(plan.enterprise)
            comments[warning.row] = _comment(code=code, above=row.value > average, profile=profile)

        cluster_id = self.cluster.pk
        values, changes = [], []
        for row, (plan, _code) in zip(rows, owners, strict=True):
            values.append(
                DataValue(
                    cluster_id=cluster_id,
                    enterprise_id=row.enterprise_id,
                    period_id=row.period_id,
                    data_element_id=row.element_id,
                    value=row.value,
                    comment=comments.get(row.index, ""),
                )
            )
            changes.append(
                DataValueChange(
                    cluster_id=cluster_id,
                    enterprise_id=row.enterprise_id,
                    period_id=row.period_id,
                    data_element_id=row.element_id,
                    existed=False,
                    old_value=None,
                    new_value=row.value,
                    changed_at=plan.entered_at,
                    channel=Channel.SYSTEM,
                )
            )
        DataValue.objects.bulk_create(values, batch_size=2000)
        DataValueChange.objects.bulk_create(changes, batch_size=2000)
        counts["values"], counts["changes"] = len(values), len(changes)

        submissions = [self._submission(plan) for plan in plans]
        Submission.objects.bulk_create(submissions, batch_size=2000)
        counts["submissions"] = len(submissions)
        for submission in submissions:
            names: dict[str, str] = {SubmissionStatus.DRAFT: "drafts", SubmissionStatus.APPROVED: "approved"}
            key = names.get(submission.status)
            key = key or str(submission.status)
            counts[key] = counts.get(key, 0) + 1
            counts["late"] += submission.on_time is False

        # `auto_now` stamped the load's time on every row: give them the time the story says instead.
        entered = DataValueChange.objects.filter(
            enterprise_id=OuterRef("enterprise_id"),
            period_id=OuterRef("period_id"),
            data_element_id=OuterRef("data_element_id"),
        ).values("changed_at")[:1]
        DataValue.objects.filter(cluster=self.cluster).update(updated_at=Subquery(entered))
        last_entry = (
            DataValueChange.objects.filter(enterprise_id=OuterRef("enterprise_id"), period_id=OuterRef("period_id"))
            .order_by("-changed_at")
            .values("changed_at")[:1]
        )
        Submission.objects.filter(cluster=self.cluster).update(
            updated_at=Coalesce("decided_at", "submitted_at", Subquery(last_entry), output_field=DateTimeField())
        )

    def _submission(self, plan: _Plan) -> Submission:
        status = {
            "approved": SubmissionStatus.LOCKED if plan.period.locks_at <= self.now else SubmissionStatus.APPROVED,
            "submitted": SubmissionStatus.SUBMITTED,
            "returned": SubmissionStatus.RETURNED,
            "draft": SubmissionStatus.DRAFT,
        }[plan.state]
        submitted = plan.submitted_at is not None
        return Submission(
            cluster_id=self.cluster.pk,
            enterprise_id=plan.enterprise.pk,
            period_id=plan.period.pk,
            status=status,
            submitted_at=plan.submitted_at,
            submitted_by_id=self.representatives.get(plan.enterprise.pk) if submitted else None,
            on_time=plan.period.on_time(plan.submitted_at) if plan.submitted_at is not None else None,
            returned_reason=RETURN_REASON if plan.state == "returned" else "",
            decided_at=plan.decided_at,
            decided_by_id=self.office_id if plan.decided_at else None,
        )


# --- Set-up ---------------------------------------------------------------------------------------


def _rules_save(cluster: Cluster) -> DataCollectionRules:
    """The calendar of the cluster's approved data-collection regulation: due on the 10th, locked 15 days later."""
    rules = DataCollectionRules.objects.filter(cluster=cluster).first() or DataCollectionRules(cluster=cluster)
    rules.deadline_day, rules.lock_delay_days = DEADLINE_DAY, LOCK_DELAY_DAYS
    rules.regulation = (
        Regulation.objects.filter(
            cluster=cluster, kind=RegulationKind.DATA_COLLECTION, status=RegulationStatus.APPROVED
        )
        .order_by("-version")
        .first()
    )
    return collection_rules_save(rules=rules)


def _targets_save(cluster: Cluster) -> int:
    """Targets and minimums for the cluster's KPIs, through the service that checks them against the direction."""
    cluster_kpis_ensure(cluster=cluster)
    settings = []
    for row in ClusterKpi.objects.filter(cluster=cluster).select_related("kpi"):
        target, minimum = TARGETS.get(row.kpi.code, (None, None))
        settings.append(
            KpiSetting(
                kpi_id=row.kpi_id,
                active=row.active,
                target=Decimal(target) if target is not None else row.target,
                minimum=Decimal(minimum) if minimum is not None else row.minimum,
                working_group_id=row.working_group_id,
                compare_links=row.compare_links,
            )
        )
    cluster_kpis_save(cluster=cluster, settings=settings)
    return sum(1 for s in settings if s.target is not None)


def _alert_groups_save(cluster: Cluster) -> None:
    """Cooperation KPIs have no working-group area of their own: the logistics group takes joint purchasing."""
    logistics = Body.objects.filter(cluster=cluster, kind=BodyKind.WORKING_GROUP, area=Area.LOGISTICS).first()
    if logistics is not None:
        ClusterKpi.objects.filter(cluster=cluster, kpi__code__in=["COOP", "COOPSH"]).update(working_group=logistics)


def _periods_open(cluster: Cluster, today: datetime.date) -> tuple[list[ReportingPeriod], int]:
    """The 24 months before today's month, oldest first; the new ones dated as opened when their month ended."""
    current = today.replace(day=1)
    months = [add_months(current, k - HISTORY_MONTHS) for k in range(HISTORY_MONTHS)]
    existing = set(ReportingPeriod.objects.filter(cluster=cluster, month__in=months).values_list("month", flat=True))
    periods = [period_open(cluster=cluster, month=month) for month in months]
    tz = zoneinfo.ZoneInfo(cluster.time_zone)
    opened = [p for p in periods if p.month not in existing]
    for period in opened:
        period.opened_at = datetime.datetime.combine(add_months(period.month, 1), datetime.time(0, 5), tz)
    ReportingPeriod.objects.bulk_update(opened, ["opened_at"])
    for period in periods:
        period.cluster = cluster
    return periods, len(opened)


def _correction_request(cluster: Cluster, plans: list[_Plan], now: datetime.datetime) -> int:
    """The demo farm asks to correct a figure of its latest locked month: work waiting for the office."""
    locked = [p for p in plans if p.enterprise.taxpayer_id == DEMO_FARM and p.period.locks_at <= now]
    if not locked:
        return 0
    plan = locked[-1]
    user_id = (
        ClusterRole.objects.filter(cluster=cluster, role=Role.ENTERPRISE, is_active=True, enterprises=plan.enterprise)
        .values_list("user_id", flat=True)
        .first()
    )
    defective = plan.figures["defective_units"]
    if user_id is None or defective < 1:
        return 0
    correction = Correction(
        enterprise=plan.enterprise,
        period=plan.period,
        data_element=DataElement.objects.get(code="defective_units"),
        value=(defective * Decimal("0.7")).to_integral_value(),
        reason=CORRECTION_REASON,
    )
    correction_request(correction=correction, user=get_user_model().objects.get(pk=user_id), now=now)
    return 1


def load_kpi_demo(*, cluster: Cluster, today: datetime.date) -> dict[str, int]:
    """Load the demo cluster's data-collection rules, KPI targets and 24 months of figures; return the counts.

    Idempotent: when the cluster already has figures nothing is added (the office may have changed
    targets or figures since, and a restart must not undo that) and every count is 0.
    """
    counts = dict.fromkeys(COUNT_KEYS, 0)
    with transaction.atomic():
        Cluster.objects.select_for_update().filter(pk=cluster.pk).first()  # one loader at a time
        if DataValue.objects.filter(cluster=cluster).exists():
            return counts
        _rules_save(cluster)
        counts["kpis"] = _targets_save(cluster)
        periods, counts["periods"] = _periods_open(cluster, today)
        loader = _Loader(cluster=cluster, today=today, periods=periods)
        plans, counts["missing"] = loader.plan()
        loader.write(plans, counts)
        counts["corrections"] = _correction_request(cluster, plans, loader.now)
        _alert_groups_save(cluster)
        # The computation below reads the figures just written, in this transaction: plan it on their real size.
        statistics_refresh([DataValue, DataValueChange, Submission, ReportingPeriod, Enterprise])
        # KPI values of the months past their lock date, as the nightly job would have computed them.
        counts["kpi_periods"] = kpi_values_compute_due(now=loader.now, clusters=[cluster])
    return counts
