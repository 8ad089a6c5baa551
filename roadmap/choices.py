from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_TASKS = (TaskStatus.PLANNED, TaskStatus.IN_PROGRESS)


class GateMeasure(models.TextChoices):
    """What a gate criterion reads from the platform's own data, as of the end of a month."""

    COUNCIL = "council", _("Active council")
    OFFICE = "office", _("Active office")
    WORKING_GROUPS = "working_groups", _("Active working groups")
    REGULATION = "regulation", _("Approved data-collection regulation")
    PROJECTS_SELECTED = "projects_selected", _("Joint projects selected by the council")
    QUICK_WIN_AREAS = "quick_win_areas", _("Areas with a quick win (logistics, quality, skills)")
    PARTICIPANTS = "participants", _("Participant enterprises")
    KPI_FINAL_MONTHS = "kpi_final_months", _("Months of KPI monitoring with final figures")
    PROJECT_AREAS_ACTIVE = (
        "project_areas_active",
        _("Joint projects under way in standardisation, logistics and training (areas)"),
    )
    KPI_TREND = "kpi_trend", _("A KPI improving (latest final quarter against the one before)")
    CONTRACTS_GROWTH = "contracts_growth", _("Growth of cooperation contracts in force over six months")
    KPI_TARGET = "kpi_target", _("A KPI against its target (latest final quarter)")
    INCENTIVES_KPI = "incentives_kpi", _("Incentive packages whose rule in force reads a KPI")


# Measures that name a KPI, and the one whose threshold is the KPI's own target.
KPI_MEASURES = frozenset({GateMeasure.KPI_TREND, GateMeasure.KPI_TARGET})


class Comparison(models.TextChoices):
    AT_LEAST = "gte", _("at least")
    AT_MOST = "lte", _("at most")


class Result(models.TextChoices):
    MET = "met", _("Met")
    NOT_MET = "not_met", _("Not met")
    INSUFFICIENT = "insufficient", _("Insufficient data")


class Outcome(models.TextChoices):
    GO = "go", _("Go")
    CONDITIONAL_GO = "conditional_go", _("Conditional go")
    HOLD = "hold", _("Hold")
    RECYCLE = "recycle", _("Recycle")


# Outcomes that pass the gate: the phase after it begins.
PASSING = frozenset({Outcome.GO, Outcome.CONDITIONAL_GO})
