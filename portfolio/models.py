"""The portfolio element: joint projects chosen by their economic effect, and their milestones.

Cooperation contracts and the shared-services centre follow in the same app (DESIGN.md, "2. portfolio").
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from governance.choices import BodyKind
from governance.models import Body, Cluster, Decision, Enterprise
from governance.scoping import ScopeRule

from .choices import Phase, ProjectCategory, ProjectStatus, Risk

MONEY = {"max_digits": 18, "decimal_places": 2}

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


class Project(models.Model):
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
                condition=Q(budget__gte=0) & Q(expected_effect__gte=0),
                name="project_money_not_negative",
                violation_error_message=_("Budget and expected effect cannot be negative."),
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


class Milestone(models.Model):
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
