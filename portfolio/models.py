"""The portfolio element: joint projects chosen by their economic effect and their milestones, the cooperation
contracts that bind the value chain, and the shared-services centre (DESIGN.md, "2. portfolio").
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.versioning import Versioned
from governance.choices import BodyKind, Role
from governance.models import Body, Cluster, Decision, Enterprise
from governance.scoping import ScopeRule
from kpi.models import Kpi

from .choices import Phase, ProjectCategory, ProjectStatus, RequestStatus, Risk

if TYPE_CHECKING:
    from core.scoping import Access
    from core.typing import AnyUser

# Money is never negative: the validator puts the error at the field in forms, the constraints keep the table right.
MONEY: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "validators": [MinValueValidator(0)]}

# A quick win: a first result within six months at a cost under the cluster's threshold (DESIGN.md).
QUICK_WIN_MONTHS = 6
DEFAULT_QUICK_WIN_BUDGET = Decimal("500000")


class PortfolioRules(models.Model):
    """The cluster's settings for its portfolio: what counts as a small enough budget for a quick win."""

    cluster = models.OneToOneField(
        Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="portfolio_rules"
    )
    quick_win_max_budget = models.DecimalField(
        _("largest budget of a quick win"),
        default=DEFAULT_QUICK_WIN_BUDGET,
        help_text=_("In the cluster's currency (thousands)."),
        **MONEY,
    )

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        verbose_name = _("portfolio rules")
        verbose_name_plural = _("portfolio rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(quick_win_max_budget__gte=0),
                name="portfolio_rules_budget_not_negative",
                violation_error_message=_("The budget cannot be negative."),
            )
        ]

    def __str__(self) -> str:
        return str(self.cluster)


class Project(Versioned):
    """A joint project of the cluster: what it costs, what it should earn or save a year, how soon and how surely.

    It moves proposed → selected → active → completed (or cancelled); selection is a council decision.
    """

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="projects")
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=24, choices=ProjectCategory.choices)
    lead_group = models.ForeignKey(
        Body,
        verbose_name=_("lead working group"),
        on_delete=models.PROTECT,
        related_name="led_projects",
        limit_choices_to={"kind": BodyKind.WORKING_GROUP},
    )
    enterprises = models.ManyToManyField(
        Enterprise, verbose_name=_("participating enterprises"), related_name="projects", blank=True
    )
    budget = models.DecimalField(_("budget"), help_text=_("In the cluster's currency (thousands)."), **MONEY)
    expected_effect = models.DecimalField(
        _("expected economic effect per year"),
        help_text=_("Cost saved or revenue gained a year, in the cluster's currency (thousands)."),
        **MONEY,
    )
    months_to_first_result = models.PositiveSmallIntegerField(_("months to the first result"))
    risk = models.CharField(_("risk"), max_length=8, choices=Risk.choices, default=Risk.MEDIUM)
    phase = models.PositiveSmallIntegerField(_("roadmap phase"), choices=Phase.choices, default=Phase.PREPARATION)
    status = models.CharField(_("status"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PROPOSED)
    selection_decision = models.ForeignKey(
        Decision,
        verbose_name=_("council decision selecting it"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="selected_projects",
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["cluster", "status", "title"]
        verbose_name = _("joint project")
        verbose_name_plural = _("joint projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(budget__gte=0),
                name="project_budget_not_negative",
                violation_error_message=_("The budget cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(expected_effect__gte=0),
                name="project_effect_not_negative",
                violation_error_message=_("The expected effect cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=[ProjectStatus.PROPOSED, ProjectStatus.CANCELLED])
                | Q(selection_decision__isnull=False),
                name="project_selected_by_a_decision",
                violation_error_message=_("A selected project names the council decision that selected it."),
            ),
            models.CheckConstraint(condition=Q(phase__gte=1) & Q(phase__lte=3), name="project_phase_one_to_three"),
        ]
        indexes = [models.Index(fields=["cluster", "status"], name="project_cluster_status")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.lead_group_id and self.cluster_id and self.lead_group.cluster_id != self.cluster_id:
            raise ValidationError({"lead_group": _("The lead working group must be a body of this cluster.")})
        if self.lead_group_id and self.lead_group.kind != BodyKind.WORKING_GROUP:
            raise ValidationError({"lead_group": _("A project is led by a working group.")})


class Milestone(Versioned):
    """A step of a project with its due date and progress (0–100 %); progress rolls up to the project."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=255)
    due_on = models.DateField(_("due on"))
    progress = models.PositiveSmallIntegerField(_("progress, %"), default=0)
    done_on = models.DateField(_("done on"), null=True, blank=True)

    scope_rule = ScopeRule(cluster="project__cluster")

    class Meta:
        ordering = ["project", "due_on", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100),
                name="milestone_progress_at_most_100",
                violation_error_message=_("Progress runs from 0 to 100 per cent."),
            ),
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | Q(progress=100),
                name="milestone_done_is_complete",
                violation_error_message=_("A milestone marked done is complete (100 per cent)."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.title}"


# --- Cooperation contracts ----------------------------------------------------------------------------


def _own_contracts(user: AnyUser, access: Access) -> Q:
    """An enterprise's representatives read the contracts it is a party to."""
    own = Q(pk__in=[])
    for cluster_id, enterprise_ids in access.enterprises.items():
        ids = sorted(enterprise_ids)
        own |= Q(cluster_id=cluster_id) & (Q(supplier_id__in=ids) | Q(buyer_id__in=ids))
    return own


class CooperationContract(models.Model):
    """A contract between two participants (supplier → buyer): the value chain as a graph of real links."""

    cluster = models.ForeignKey(
        Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="cooperation_contracts"
    )
    supplier = models.ForeignKey(
        Enterprise, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="contracts_as_supplier"
    )
    buyer = models.ForeignKey(
        Enterprise, verbose_name=_("buyer"), on_delete=models.PROTECT, related_name="contracts_as_buyer"
    )
    subject = models.CharField(_("subject"), max_length=255)
    annual_value = models.DecimalField(
        _("annual value"), help_text=_("In the cluster's currency (thousands)."), **MONEY
    )
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)

    # Commercial terms: those who steer the cluster read them all, a party its own contracts.
    scope_rule = ScopeRule(
        cluster="cluster", readers=frozenset({Role.OFFICE, Role.COUNCIL, Role.WORKING_GROUP}), own=_own_contracts
    )

    class Meta:
        ordering = ["cluster", "-start_date", "pk"]
        verbose_name = _("cooperation contract")
        verbose_name_plural = _("cooperation contracts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(supplier=F("buyer")),
                name="contract_between_two_enterprises",
                violation_error_message=_("Supplier and buyer must be two different enterprises."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="contract_ends_after_it_starts",
                violation_error_message=_("The contract cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(annual_value__gte=0),
                name="contract_value_not_negative",
                violation_error_message=_("The annual value cannot be negative."),
            ),
        ]
        indexes = [models.Index(fields=["cluster", "start_date"], name="contract_cluster_start")]

    def __str__(self) -> str:
        return f"{self.supplier} → {self.buyer}: {self.subject}"

    def clean(self) -> None:
        for field in ("supplier", "buyer"):
            if getattr(self, f"{field}_id") and self.cluster_id and getattr(self, field).cluster_id != self.cluster_id:
                raise ValidationError({field: _("Both parties must be participants of this cluster.")})


# --- Shared-services centre ---------------------------------------------------------------------------


class Service(models.Model):
    """A service of the shared-services centre: who provides it (the office or an enterprise), at what price,
    and how many days the centre promises to take."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="services")
    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    provider = models.ForeignKey(
        Enterprise,
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services_provided",
        help_text=_("Empty: the cluster office provides it."),
    )
    price = models.DecimalField(_("price"), help_text=_("In the cluster's currency (thousands)."), **MONEY)
    turnaround_days = models.PositiveSmallIntegerField(
        _("promised turnaround, days"), validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("offered"), default=True)

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["cluster", "name"]
        verbose_name = _("shared service")
        verbose_name_plural = _("shared services")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "name"],
                name="service_name_unique_in_cluster",
                violation_error_message=_("The centre already offers a service of this name."),
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0),
                name="service_price_not_negative",
                violation_error_message=_("The price cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(turnaround_days__gte=1),
                name="service_turnaround_at_least_a_day",
                violation_error_message=_("The promised turnaround is at least one day."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.provider_id and self.cluster_id:
            assert self.provider is not None  # its id is set
            if self.provider.cluster_id != self.cluster_id:
                raise ValidationError({"provider": _("The provider must be a participant of this cluster.")})


def _provided_requests(user: AnyUser, access: Access) -> Q:
    own = Q(pk__in=[])
    for cluster_id, enterprise_ids in access.enterprises.items():
        own |= Q(service__cluster_id=cluster_id, service__provider_id__in=sorted(enterprise_ids))
    return own


class ServiceRequest(models.Model):
    """An enterprise's request for a shared service, queued by priority and then by the time it came in."""

    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="requests")
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="service_requests"
    )
    note = models.TextField(_("note"), blank=True)
    # Set when the request comes in: the enterprise's incentive tier once incentives exist (a hook), else 0.
    priority = models.SmallIntegerField(_("priority"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.REQUESTED
    )
    requested_at = models.DateTimeField(_("requested at"))
    due_at = models.DateTimeField(_("promised by"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # The terms when the request came in, kept: a price or an award changed later does not rewrite them.
    price = models.DecimalField(_("price"), null=True, blank=True, **MONEY)
    discount = models.DecimalField(
        _("discount, %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("The enterprise's incentive discount when it asked (a hook incentives fills)."),
    )

    # The office reads every request; an enterprise its own requests, and a providing enterprise the
    # requests for its services (it works them).
    scope_rule = ScopeRule(
        cluster="enterprise__cluster",
        enterprise="enterprise",
        readers=frozenset({Role.OFFICE}),
        editors=frozenset(),
        own=_provided_requests,
    )

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(due_at__gte=F("requested_at")),
                name="service_request_due_after_request",
            ),
            models.CheckConstraint(
                condition=(Q(status=RequestStatus.DONE) & Q(done_at__isnull=False))
                | (~Q(status=RequestStatus.DONE) & Q(done_at__isnull=True)),
                name="service_request_done_at_iff_done",
            ),
        ]
        indexes = [models.Index(fields=["service", "status", "priority", "requested_at"], name="service_request_queue")]

    def __str__(self) -> str:
        return f"{self.service} · {self.enterprise}"

    @property
    def missed(self) -> bool:
        """Done after the promised date, or still open past it."""
        return (self.done_at or timezone.now()) > self.due_at and self.status != RequestStatus.CANCELLED

    @property
    def price_due(self) -> Decimal | None:
        """The price with the discount taken off."""
        if self.price is None:
            return None
        return (self.price * (100 - self.discount) / 100).quantize(Decimal("0.01"))


# --- What a project should move, and what it did ------------------------------------------------------


class ProjectKpi(models.Model):
    """A KPI the project is meant to move, with the change expected (in the KPI's unit; % as a fraction)."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="kpis")
    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="projects")
    expected_change = models.DecimalField(
        _("expected change"),
        max_digits=20,
        decimal_places=6,
        help_text=_("In the KPI's unit, + or −; a percentage as a fraction (0.02 = 2 points)."),
    )

    scope_rule = ScopeRule(cluster="project__cluster")

    class Meta:
        ordering = ["project", "kpi__position"]
        verbose_name = _("KPI the project moves")
        verbose_name_plural = _("KPIs the project moves")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kpi"],
                name="project_kpi_once",
                violation_error_message=_("The project names this KPI already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.kpi.code}"


class ProjectEffect(models.Model):
    """The economic effect a project actually had in a year (cost saved or revenue gained; a loss is negative)."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="effects")
    year = models.PositiveSmallIntegerField(_("year"))
    actual_effect = models.DecimalField(
        _("actual effect"), max_digits=18, decimal_places=2, help_text=_("In the cluster's currency (thousands).")
    )

    scope_rule = ScopeRule(cluster="project__cluster")

    class Meta:
        ordering = ["project", "year"]
        verbose_name = _("actual effect")
        verbose_name_plural = _("actual effects")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "year"],
                name="project_effect_once_a_year",
                violation_error_message=_("The effect of this year is recorded already."),
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100),
                name="project_effect_year_plausible",
                violation_error_message=_("Give the year with four digits."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.year}"
