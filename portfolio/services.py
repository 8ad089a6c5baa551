"""Writes of the portfolio element, and its one transparent rule: the priority score.

Each service validates, writes in one transaction and returns the object (HackSoftware's Styleguide).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.versioning import version_claim
from governance.choices import BodyKind, DecisionKind, DecisionOutcome
from governance.models import Decision
from governance.scoping import is_office, may_act_for, represented, require_office

from .choices import OPEN_REQUESTS, REQUEST_TRANSITIONS, TRANSITIONS, ProjectStatus, RequestStatus, Risk
from .models import (
    DEFAULT_QUICK_WIN_BUDGET,
    QUICK_WIN_MONTHS,
    CooperationContract,
    Milestone,
    PortfolioRules,
    Project,
    ProjectEffect,
    ProjectKpi,
    Service,
    ServiceRequest,
)

if TYPE_CHECKING:
    from core.typing import AnyUser

# --- The priority score -------------------------------------------------------------------------------

# Out of 100: economic effect against cost 50, time to the first result 30, risk 20. An effect of twice
# the cost a year (or more) takes all 50; a first result at once all 30, at two years or later none.
EFFECT_POINTS, SPEED_POINTS, RISK_POINTS = 50, 30, 20
FULL_EFFECT_RATIO = Decimal(2)
SLOWEST_MONTHS = 24
RISK_SHARE: dict[str, Decimal] = {Risk.LOW: Decimal(1), Risk.MEDIUM: Decimal("0.5"), Risk.HIGH: Decimal(0)}


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


@transaction.atomic
def portfolio_rules_save(*, rules: PortfolioRules, user: AnyUser) -> PortfolioRules:
    """The office sets the largest budget a quick win may have."""
    require_office(user, rules.cluster)
    rules.full_clean()
    rules.save()
    return rules


def quick_win_max_budget(cluster) -> Decimal:
    rules = PortfolioRules.objects.filter(cluster=cluster).first()
    return rules.quick_win_max_budget if rules else DEFAULT_QUICK_WIN_BUDGET


# --- Projects -----------------------------------------------------------------------------------------


@transaction.atomic
def project_save(*, project: Project, user: AnyUser, enterprises=None) -> Project:
    """The office proposes or edits a project; its participants must be the cluster's enterprises."""
    require_office(user, project.cluster)
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
    *, project: Project, to: str, user: AnyUser, decision: Decision | None = None, on: datetime.date | None = None
) -> Project:
    """Move a project along proposed → selected → active → completed, or cancel it; nothing else.

    Selection names the adopted council decision that took it; starting and completing record the date.
    """
    project = Project.objects.select_for_update().select_related("cluster").get(pk=project.pk)
    require_office(user, project.cluster)
    if to not in ProjectStatus.values:
        raise ValidationError({"status": _("Choose one of the project's states.")})
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
def milestone_save(*, milestone: Milestone, user: AnyUser, expected_version: int | None = None) -> Milestone:
    """Record a milestone or its progress; 100 % marks it done (today unless a date is given). With
    `expected_version`, only over the version the person saw (else StaleVersion, nothing saved)."""
    require_office(user, milestone.project.cluster)
    version_claim(milestone, expected=expected_version)
    if milestone.progress is not None and milestone.progress >= 100 and milestone.done_on is None:
        milestone.done_on = timezone.localdate()
    elif milestone.progress is not None and milestone.progress < 100:
        milestone.done_on = None
    milestone.full_clean()
    milestone.save()
    return milestone


# --- Cooperation contracts ----------------------------------------------------------------------------


@transaction.atomic
def contract_save(*, contract: CooperationContract, user: AnyUser) -> CooperationContract:
    """The office registers a contract between two participants of the cluster."""
    require_office(user, contract.cluster)
    contract.full_clean()
    contract.save()
    return contract


# --- Shared-services centre ---------------------------------------------------------------------------

_PRIORITY: list[Callable[[list[int]], dict[int, int]]] = []


def register_request_priority(source: Callable[[list[int]], dict[int, int]]) -> None:
    """Let a higher app rank requests (incentives: the enterprise's tier); higher is served first."""
    _PRIORITY[:] = [source]


def request_priority(enterprise_id: int) -> int:
    return _PRIORITY[0]([enterprise_id]).get(enterprise_id, 0) if _PRIORITY else 0


def requests_reprioritise(*, enterprise_ids: Iterable[int] | None = None) -> int:
    """Open requests (of these enterprises, or all) take the priority their enterprise has now: an award approved,
    suspended, revoked or run out moves them in the queue. Answers how many moved."""
    open_requests = ServiceRequest.objects.filter(status__in=OPEN_REQUESTS)
    if enterprise_ids is not None:
        open_requests = open_requests.filter(enterprise_id__in=list(enterprise_ids))
    waiting = sorted(set(open_requests.values_list("enterprise_id", flat=True)))
    if not waiting or not _PRIORITY:
        return 0
    priorities = _PRIORITY[0](waiting)
    return sum(
        open_requests.filter(enterprise_id=enterprise_id)
        .exclude(priority=priorities.get(enterprise_id, 0))
        .update(priority=priorities.get(enterprise_id, 0))
        for enterprise_id in waiting
    )


_DISCOUNT: list[Callable[[list[int]], dict[int, Decimal]]] = []


def register_request_discount(source: Callable[[list[int]], dict[int, Decimal]]) -> None:
    """Let a higher app give an enterprise a discount on services (incentives: its award's fee discount, %)."""
    _DISCOUNT[:] = [source]


def request_discount(enterprise_id: int) -> Decimal:
    return _DISCOUNT[0]([enterprise_id]).get(enterprise_id, Decimal(0)) if _DISCOUNT else Decimal(0)


@transaction.atomic
def service_save(*, service: Service, user: AnyUser) -> Service:
    require_office(user, service.cluster)
    service.full_clean()
    service.save()
    return service


@transaction.atomic
def service_request_create(
    *, service: Service, enterprise, user: AnyUser, note: str = "", now: datetime.datetime | None = None
) -> ServiceRequest:
    """An enterprise (its representative, or the office for it) asks for a service; the promise runs from now."""
    now = now or timezone.now()
    if not service.is_active:
        raise ValidationError({"service": _("This service is not offered at the moment.")})
    if enterprise.cluster_id != service.cluster_id:
        raise ValidationError({"enterprise": _("Only the cluster's participants request its services.")})
    if not may_act_for(user, service.cluster_id, enterprise.pk):
        raise PermissionDenied
    request = ServiceRequest(
        service=service,
        enterprise=enterprise,
        note=note,
        priority=request_priority(enterprise.pk),
        price=service.price,
        discount=request_discount(enterprise.pk),
        requested_at=now,
        due_at=now + datetime.timedelta(days=service.turnaround_days),
    )
    request.full_clean()
    request.save()
    return request


@transaction.atomic
def service_request_move(
    *, request: ServiceRequest, to: str, user: AnyUser, now: datetime.datetime | None = None
) -> ServiceRequest:
    """The office (or the providing enterprise) takes a request on, marks it done or cancels it."""
    request = ServiceRequest.objects.select_for_update().select_related("service").get(pk=request.pk)
    service = request.service
    provider = service.provider_id and service.provider_id in represented(user, service.cluster_id)
    if not is_office(user, service.cluster_id) and not provider:
        raise PermissionDenied
    if to not in RequestStatus.values:
        raise ValidationError({"status": _("Choose one of the request's states.")})
    if to not in REQUEST_TRANSITIONS.get(request.status, ()):
        raise ValidationError(
            {
                "status": _("A request cannot go from %(from)s to %(to)s.")
                % {"from": RequestStatus(request.status).label, "to": RequestStatus(to).label}
            }
        )
    request.status = to
    request.done_at = (now or timezone.now()) if to == RequestStatus.DONE else None
    request.full_clean()
    request.save()
    return request


# --- What a project should move, and what it did ------------------------------------------------------


@transaction.atomic
def project_kpi_save(*, target: ProjectKpi, user: AnyUser) -> ProjectKpi:
    """Name a KPI the project should move and the change expected."""
    require_office(user, target.project.cluster)
    target.full_clean()
    target.save()
    return target


@transaction.atomic
def project_effect_save(*, effect: ProjectEffect, user: AnyUser) -> ProjectEffect:
    """Record (or correct) the effect a project had in a year."""
    require_office(user, effect.project.cluster)
    existing = ProjectEffect.objects.filter(project=effect.project, year=effect.year).first()
    if existing is not None:
        existing.actual_effect = effect.actual_effect
        effect = existing
    effect.full_clean()
    effect.save()
    return effect
