"""Writes of the portfolio element, and its one transparent rule: the priority score.

Each service validates, writes in one transaction and returns the object (HackSoftware's Styleguide).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.choices import BodyKind, DecisionKind, DecisionOutcome, Role
from governance.models import Decision
from governance.scoping import access_for

from .choices import TRANSITIONS, ProjectStatus, Risk
from .models import DEFAULT_QUICK_WIN_BUDGET, QUICK_WIN_MONTHS, Milestone, PortfolioRules, Project

# --- The priority score -------------------------------------------------------------------------------

# Out of 100: economic effect against cost 50, time to the first result 30, risk 20. An effect of twice
# the cost a year (or more) takes all 50; a first result at once all 30, at two years or later none.
EFFECT_POINTS, SPEED_POINTS, RISK_POINTS = 50, 30, 20
FULL_EFFECT_RATIO = Decimal(2)
SLOWEST_MONTHS = 24
RISK_SHARE = {Risk.LOW: Decimal(1), Risk.MEDIUM: Decimal("0.5"), Risk.HIGH: Decimal(0)}


@dataclass(frozen=True)
class Score:
    """A project's priority score with its parts, so the ranking explains itself."""

    effect: Decimal  # 0–50: expected effect a year against the budget
    speed: Decimal  # 0–30: how soon the first result comes
    risk: Decimal  # 0–20: low risk scores most
    quick_win: bool

    @property
    def total(self) -> Decimal:
        return self.effect + self.speed + self.risk


def project_score(*, project: Project, quick_win_max_budget: Decimal = DEFAULT_QUICK_WIN_BUDGET) -> Score:
    if project.budget:
        ratio = min(project.expected_effect / project.budget, FULL_EFFECT_RATIO)
    else:
        ratio = FULL_EFFECT_RATIO if project.expected_effect else Decimal(0)
    effect = EFFECT_POINTS * ratio / FULL_EFFECT_RATIO
    speed = SPEED_POINTS * max(Decimal(0), 1 - Decimal(project.months_to_first_result) / SLOWEST_MONTHS)
    risk = RISK_POINTS * RISK_SHARE[project.risk]
    quick = project.months_to_first_result <= QUICK_WIN_MONTHS and project.budget <= quick_win_max_budget
    tenth = Decimal("0.1")
    return Score(
        effect.quantize(tenth, ROUND_HALF_UP),
        speed.quantize(tenth, ROUND_HALF_UP),
        risk.quantize(tenth, ROUND_HALF_UP),
        quick,
    )


def quick_win_max_budget(cluster) -> Decimal:
    rules = PortfolioRules.objects.filter(cluster=cluster).first()
    return rules.quick_win_max_budget if rules else DEFAULT_QUICK_WIN_BUDGET


# --- Projects -----------------------------------------------------------------------------------------


def _require_office(user, cluster) -> None:
    if user is None or not (user.is_superuser or Role.OFFICE in access_for(user).roles.get(cluster.pk, ())):
        raise PermissionDenied


@transaction.atomic
def project_save(*, project: Project, user, enterprises=None) -> Project:
    """The office proposes or edits a project; its participants must be the cluster's enterprises."""
    _require_office(user, project.cluster)
    if project.pk is None and project.status != ProjectStatus.PROPOSED:
        raise ValidationError({"status": _("A new project starts as proposed.")})
    project.full_clean()
    project.save()
    if enterprises is not None:
        enterprises = list(enterprises)
        if any(e.cluster_id != project.cluster_id for e in enterprises):
            raise ValidationError({"enterprises": _("The participating enterprises must be of this cluster.")})
        project.enterprises.set(enterprises)
    return project


def _check_selection(project: Project, decision: Decision | None) -> None:
    if decision is None:
        raise ValidationError({"selection_decision": _("Selecting a project takes a council decision.")})
    body = decision.meeting.body
    if body.cluster_id != project.cluster_id or body.kind != BodyKind.COUNCIL:
        raise ValidationError({"selection_decision": _("The decision must be one of this cluster's council.")})
    if decision.kind != DecisionKind.STRATEGIC or decision.outcome != DecisionOutcome.ADOPTED:
        raise ValidationError({"selection_decision": _("Only an adopted strategic decision selects a project.")})


@transaction.atomic
def project_transition(
    *, project: Project, to: str, user, decision: Decision | None = None, on: datetime.date | None = None
) -> Project:
    """Move a project along proposed → selected → active → completed, or cancel it; nothing else.

    Selection names the adopted council decision that took it; starting and completing record the date.
    """
    project = Project.objects.select_for_update().select_related("cluster").get(pk=project.pk)
    _require_office(user, project.cluster)
    if to not in TRANSITIONS.get(project.status, ()):
        raise ValidationError(
            {
                "status": _("A project cannot go from %(from)s to %(to)s.")
                % {"from": ProjectStatus(project.status).label, "to": ProjectStatus(to).label}
            }
        )
    on = on or timezone.localdate()
    if to == ProjectStatus.SELECTED:
        _check_selection(project, decision)
        project.selection_decision = decision
    elif to == ProjectStatus.ACTIVE:
        project.started_on = on
    elif to == ProjectStatus.COMPLETED:
        project.completed_on = on
    project.status = to
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def milestone_save(*, milestone: Milestone, user) -> Milestone:
    """Record a milestone or its progress; 100 % marks it done (today unless a date is given)."""
    _require_office(user, milestone.project.cluster)
    if milestone.progress is not None and milestone.progress >= 100 and milestone.done_on is None:
        milestone.done_on = timezone.localdate()
    elif milestone.progress is not None and milestone.progress < 100:
        milestone.done_on = None
    milestone.full_clean()
    milestone.save()
    return milestone
