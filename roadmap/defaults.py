"""The roadmap's default content: the model's Table 2 (DESIGN.md, "5. roadmap"), and the default gate criteria.

The texts are catalogue messages (gettext_noop): a phase or a task keeps the English message until the office
edits it, and pages show it through gettext, in the reader's language. Text the office writes is shown as
written."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_noop


@dataclass(frozen=True)
class TaskSpec:
    title: str
    owner: str  # "council", "office" or a working group's area
    month: int  # due at this month of the roadmap


@dataclass(frozen=True)
class CriterionSpec:
    measure: str
    threshold: Decimal | None
    comparison: str = "gte"
    must: bool = True
    weight: int = 1
    kpi: str = ""


@dataclass(frozen=True)
class PhaseSpec:
    number: int
    start: int  # month of the roadmap it starts
    end: int  # month it ends (its gate)
    name: str
    responsible: str
    expected: str
    kpis: tuple[str, ...]
    tasks: tuple[TaskSpec, ...]
    criteria: tuple[CriterionSpec, ...] = field(default_factory=tuple)


PHASES: tuple[PhaseSpec, ...] = (
    PhaseSpec(
        1,
        0,
        6,
        gettext_noop("Preparation"),
        gettext_noop("Council, office, leading enterprise"),
        gettext_noop('Coordination set up; cooperation moves from "formal" to "planned".'),
        ("PARTIC", "REGS", "WGS", "PROJSEL"),
        (
            TaskSpec(gettext_noop("Form the council, the office and the working groups"), "council", 2),
            TaskSpec(gettext_noop("Fix roles and responsibilities"), "office", 3),
            TaskSpec(gettext_noop("Choose the portfolio: 3–5 quick-win projects"), "council", 5),
            TaskSpec(gettext_noop("Introduce the data-collection regulation"), "office", 6),
        ),
        (
            CriterionSpec("council", Decimal(1)),
            CriterionSpec("office", Decimal(1)),
            CriterionSpec("working_groups", Decimal(3)),
            CriterionSpec("regulation", Decimal(1)),
            CriterionSpec("projects_selected", Decimal(3)),
            CriterionSpec("projects_selected", Decimal(5), comparison="lte", must=False),
            CriterionSpec("quick_win_areas", Decimal(3), must=False, weight=2),
            CriterionSpec("participants", Decimal(10), must=False),
        ),
    ),
    PhaseSpec(
        2,
        6,
        18,
        gettext_noop("Launch and stabilisation"),
        gettext_noop("Office, working groups, suppliers, education and research partners"),
        gettext_noop("Fewer breaks in the chain, better quality discipline, cooperation projects working."),
        ("LEAD", "DEFECT", "COOP", "PROD"),
        (
            TaskSpec(gettext_noop("Launch the joint projects: standardisation and certification"), "quality", 9),
            TaskSpec(gettext_noop("Launch the joint projects: logistics optimisation"), "logistics", 10),
            TaskSpec(gettext_noop("Launch the joint projects: training"), "skills", 12),
            TaskSpec(gettext_noop("Run the KPI monitoring panel"), "office", 8),
            TaskSpec(gettext_noop("Coordinate supply, production and delivery planning"), "logistics", 15),
        ),
        (
            CriterionSpec("kpi_final_months", Decimal(3)),
            CriterionSpec("project_areas_active", Decimal(3)),
            # Improving: better by at least a tenth of a day, a tenth of a point, quarter on quarter (flat is not).
            CriterionSpec("kpi_trend", Decimal("0.1"), must=False, kpi="LEAD"),
            CriterionSpec("kpi_trend", Decimal("0.001"), must=False, kpi="DEFECT"),
            CriterionSpec("contracts_growth", Decimal(1), must=False),
        ),
    ),
    PhaseSpec(
        3,
        18,
        36,
        gettext_noop("Expansion and modernisation"),
        gettext_noop("Council, leading enterprise, investors, export structures"),
        gettext_noop("More value added, stable exports, a competitive cluster."),
        ("FPS", "VA", "EXPGR", "LOCAL"),
        (
            TaskSpec(gettext_noop("Deepen processing: more finished product"), "council", 24),
            TaskSpec(gettext_noop("Renew technology: laboratory, standards, equipment"), "innovation", 30),
            TaskSpec(gettext_noop("Export marketing and market diversification"), "export", 33),
            TaskSpec(gettext_noop("Tie the incentives fully to the KPIs"), "office", 24),
        ),
        (
            CriterionSpec("kpi_target", None, must=False, kpi="FPS"),
            CriterionSpec("kpi_target", None, must=False, kpi="VA"),
            CriterionSpec("kpi_target", None, must=False, kpi="EXPGR"),
            CriterionSpec("kpi_target", None, must=False, kpi="LOCAL"),
            CriterionSpec("incentives_kpi", Decimal(1)),
        ),
    ),
)
