"""The closed vocabularies of the portfolio. Values are the API's; labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectCategory(models.TextChoices):
    STANDARDISATION = "standardisation", _("Standardisation and certification")
    SHARED_LAB = "shared_lab", _("Shared laboratory")
    SUPPLY_CHAIN = "supply_chain", _("Supply-chain optimisation")
    JOINT_PROCUREMENT = "joint_procurement", _("Joint procurement")
    EXPORT_MARKETING = "export_marketing", _("Export marketing")
    SKILLS = "skills", _("Skills and training")
    OTHER = "other", _("Other")


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    SELECTED = "selected", _("Selected")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# The only moves a project makes: proposed → selected → active → completed, or cancelled on the way.
TRANSITIONS: dict[str, frozenset[str]] = {
    ProjectStatus.PROPOSED: frozenset({ProjectStatus.SELECTED, ProjectStatus.CANCELLED}),
    ProjectStatus.SELECTED: frozenset({ProjectStatus.ACTIVE, ProjectStatus.CANCELLED}),
    ProjectStatus.ACTIVE: frozenset({ProjectStatus.COMPLETED, ProjectStatus.CANCELLED}),
    ProjectStatus.COMPLETED: frozenset(),
    ProjectStatus.CANCELLED: frozenset(),
}

# Selected by the council and not (yet) cancelled: what the portfolio carries, and the PROJSEL KPI counts.
CARRIED = (ProjectStatus.SELECTED, ProjectStatus.ACTIVE, ProjectStatus.COMPLETED)


class Risk(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Phase(models.IntegerChoices):
    PREPARATION = 1, _("Phase 1: preparation (months 0–6)")
    LAUNCH = 2, _("Phase 2: launch and stabilisation (months 6–18)")
    EXPANSION = 3, _("Phase 3: expansion and modernisation (months 18–36)")


class RequestStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.REQUESTED: frozenset({RequestStatus.IN_PROGRESS, RequestStatus.CANCELLED}),
    RequestStatus.IN_PROGRESS: frozenset({RequestStatus.DONE, RequestStatus.CANCELLED}),
    RequestStatus.DONE: frozenset(),
    RequestStatus.CANCELLED: frozenset(),
}
OPEN_REQUESTS = (RequestStatus.REQUESTED, RequestStatus.IN_PROGRESS)
