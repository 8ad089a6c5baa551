"""Models of the roadmap element: three phases dated from the cluster's start, their tasks with owners, the gate
at the end of each phase with criteria read from live data, the gate's readiness kept month by month, and the
council's decisions that pass (or hold) a gate with the evidence frozen as it stood.

The default texts of phases and tasks are catalogue messages (see defaults.py): shown through gettext, they read
in the reader's language until the office rewrites them."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from governance.models import Body, Cluster, Decision
from governance.scoping import ScopeRule
from kpi.models import Kpi

from .choices import KPI_MEASURES, Comparison, GateMeasure, Outcome, Result, TaskStatus


def months_after(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later; the month's last day where it is shorter (a start on the 31st, 29 February)."""
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def shown(text: str) -> str:
    """A default text in the reader's language; text the office wrote, as written."""
    return gettext(text) if text else ""


class Phase(models.Model):
    """One of the three phases: months `start_month` to `end_month` from the cluster's start; its gate closes it."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="phases")
    number = models.PositiveSmallIntegerField(_("phase"), validators=[MinValueValidator(1), MaxValueValidator(3)])
    name = models.CharField(_("name"), max_length=200)
    start_month = models.PositiveSmallIntegerField(_("from month"))
    end_month = models.PositiveSmallIntegerField(_("to month"))
    responsible = models.CharField(_("responsible"), max_length=300, blank=True)
    expected_result = models.TextField(_("expected result"), blank=True)
    example_kpis = models.ManyToManyField(Kpi, verbose_name=_("example KPIs"), blank=True, related_name="+")
    readiness_threshold = models.DecimalField(
        _("readiness threshold"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1))],
        help_text=_("The weighted share of should-meet criteria the gate asks for, besides every must-meet one."),
    )

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["cluster", "number"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        constraints = [
            models.UniqueConstraint(fields=["cluster", "number"], name="phase_once_per_cluster"),
            models.CheckConstraint(condition=Q(end_month__gt=F("start_month")), name="phase_ends_after_it_starts"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {shown(self.name)}"

    def get_absolute_url(self) -> str:
        return reverse("roadmap:phase_detail", args=[self.number])

    @property
    def label(self) -> str:
        return shown(self.name)

    @property
    def starts_on(self) -> datetime.date:
        return months_after(self.cluster.start_date, self.start_month)

    @property
    def gate_on(self) -> datetime.date:
        """The gate's date: the last day of the phase."""
        return months_after(self.cluster.start_date, self.end_month) - datetime.timedelta(days=1)


class RoadmapTask(models.Model):
    """A core task of a phase, owned by a body of the cluster, with a due date and a status. An overdue task joins
    its owner's next meeting agenda, as an overdue action item does."""

    cluster = models.ForeignKey(
        Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="roadmap_tasks"
    )
    phase = models.ForeignKey(Phase, verbose_name=_("phase"), on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        Body,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        related_name="roadmap_tasks",
        help_text=_("The body responsible: the council, the office or a working group."),
    )
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.PLANNED)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["phase__number", "due_on", "position", "pk"]
        verbose_name = _("roadmap task")
        verbose_name_plural = _("roadmap tasks")
        constraints = [
            models.CheckConstraint(
                condition=(Q(status=TaskStatus.DONE) & Q(done_on__isnull=False))
                | (~Q(status=TaskStatus.DONE) & Q(done_on__isnull=True)),
                name="roadmap_task_done_date_iff_done",
                violation_error_message=_("A done task has a done date, and only a done one."),
            ),
        ]

    def __str__(self) -> str:
        return shown(self.title)

    def get_absolute_url(self) -> str:
        return reverse("roadmap:task_edit", args=[self.pk])

    @property
    def label(self) -> str:
        return shown(self.title)

    def is_overdue(self, today: datetime.date) -> bool:
        return self.status in (TaskStatus.PLANNED, TaskStatus.IN_PROGRESS) and self.due_on < today

    def clean(self) -> None:
        errors = {}
        if self.owner is not None and self.cluster_id and self.owner.cluster_id != self.cluster_id:
            errors["owner"] = _("Choose a body of this cluster.")
        if self.phase_id and self.cluster_id and self.phase.cluster_id != self.cluster_id:
            errors["phase"] = _("Choose a phase of this cluster.")
        # A done task without its date takes today's, and an open one loses its date (services.task_save).
        if errors:
            raise ValidationError(errors)


class RoadmapRevision(models.Model):
    """The roadmap as it stood after each change the office made: who, when, what, and the whole of it."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("saved at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("saved by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    summary = models.CharField(_("what changed"), max_length=300)
    snapshot = models.JSONField(_("the roadmap"))

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["cluster", "-number"]
        verbose_name = _("roadmap version")
        verbose_name_plural = _("roadmap versions")
        constraints = [models.UniqueConstraint(fields=["cluster", "number"], name="roadmap_revision_once")]

    def __str__(self) -> str:
        return f"v{self.number}: {self.summary}"


class GateCriterion(models.Model):
    """One criterion of the gate that closes a phase: what is read, compared with which threshold; must-meet, or
    should-meet with a weight."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    phase = models.ForeignKey(Phase, verbose_name=_("gate of phase"), on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    measure = models.CharField(_("what is read"), max_length=24, choices=GateMeasure.choices)
    kpi = models.ForeignKey(
        Kpi, verbose_name=_("KPI"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comparison = models.CharField(_("comparison"), max_length=4, choices=Comparison.choices, default="gte")
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=18,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Empty for a KPI against its target: the cluster's target is the threshold."),
    )
    must_meet = models.BooleanField(_("must meet"), default=True)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    active = models.BooleanField(_("active"), default=True)

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["phase__number", "position", "pk"]
        verbose_name = _("gate criterion")
        verbose_name_plural = _("gate criteria")
        constraints = [
            models.CheckConstraint(
                condition=Q(measure__in=sorted(KPI_MEASURES), kpi__isnull=False)
                | (~Q(measure__in=sorted(KPI_MEASURES)) & Q(kpi__isnull=True)),
                name="gate_criterion_kpi_iff_kpi_measure",
                violation_error_message=_("A KPI criterion names its KPI, and only a KPI criterion does."),
            ),
            models.CheckConstraint(
                condition=Q(measure=GateMeasure.KPI_TARGET) | Q(threshold__isnull=False),
                name="gate_criterion_has_a_threshold",
                violation_error_message=_("Give the threshold (only a KPI against its target takes none)."),
            ),
        ]

    def __str__(self) -> str:
        what = str(self.get_measure_display())
        if self.kpi_id and self.kpi:
            what = f"{what}: {self.kpi.code}"
        return what

    def clean(self) -> None:
        errors = {}
        if self.measure in KPI_MEASURES and not self.kpi_id:
            errors["kpi"] = _("Choose the KPI this criterion reads.")
        if self.measure not in KPI_MEASURES and self.kpi_id:
            errors["kpi"] = _("Only a KPI criterion names a KPI.")
        if self.measure != GateMeasure.KPI_TARGET and self.threshold is None:
            errors["threshold"] = _("Give the threshold.")
        if self.phase_id and self.cluster_id and self.phase.cluster_id != self.cluster_id:
            errors["phase"] = _("Choose a phase of this cluster.")
        if errors:
            raise ValidationError(errors)


class GateEvaluation(models.Model):
    """A gate's criteria read as of the end of a month, kept: readiness over time."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    phase = models.ForeignKey(Phase, verbose_name=_("gate of phase"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))
    evaluated_at = models.DateTimeField(_("evaluated at"))
    readiness = models.DecimalField(
        _("readiness"),
        max_digits=5,
        decimal_places=4,
        help_text=_("The weighted share of should-meet criteria met."),
    )
    must_met = models.BooleanField(_("every must-meet criterion met"))
    ready = models.BooleanField(_("ready"))

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["phase__number", "-month"]
        verbose_name = _("gate evaluation")
        verbose_name_plural = _("gate evaluations")
        constraints = [models.UniqueConstraint(fields=["phase", "month"], name="gate_evaluation_once_a_month")]

    def __str__(self) -> str:
        return f"{self.phase} · {self.month:%Y-%m}"


class GateResult(models.Model):
    """One criterion of a gate evaluation: the measured value against the threshold, with its coverage."""

    evaluation = models.ForeignKey(
        GateEvaluation, verbose_name=_("gate evaluation"), on_delete=models.CASCADE, related_name="results"
    )
    criterion = models.ForeignKey(
        GateCriterion, verbose_name=_("criterion"), on_delete=models.CASCADE, related_name="results"
    )
    measured = models.DecimalField(_("measured"), max_digits=30, decimal_places=8, null=True)
    threshold = models.DecimalField(_("threshold"), max_digits=18, decimal_places=4, null=True)
    comparison = models.CharField(_("comparison"), max_length=4, choices=Comparison.choices)
    coverage = models.CharField(_("coverage"), max_length=60, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)

    scope_rule = ScopeRule(cluster="evaluation__cluster")

    class Meta:
        ordering = ["evaluation", "criterion__position", "criterion_id"]
        verbose_name = _("gate criterion result")
        verbose_name_plural = _("gate criterion results")
        constraints = [models.UniqueConstraint(fields=["evaluation", "criterion"], name="gate_result_once")]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.get_result_display()}"


class GateDecision(models.Model):
    """The council's decision on a gate: go, conditional go, hold or recycle, with the evidence frozen at the
    moment of the decision (each criterion's measured value, coverage and result), the unmet criteria it waived
    with its written reason, conditions, and a review date. Data corrected later never rewrites the snapshot: a
    criterion whose result would change flags the decision."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    phase = models.ForeignKey(
        Phase, verbose_name=_("gate of phase"), on_delete=models.PROTECT, related_name="decisions"
    )
    decision = models.ForeignKey(
        Decision, verbose_name=_("council decision"), on_delete=models.PROTECT, related_name="gate_decisions"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    as_of = models.DateField(_("evidence as of"), help_text=_("The day of the council's meeting."))
    snapshot = models.JSONField(_("evidence at the decision"))
    readiness = models.DecimalField(_("readiness"), max_digits=5, decimal_places=4)
    review_on = models.DateField(_("review on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    decided_at = models.DateTimeField(_("recorded at"))
    evidence_changed_at = models.DateTimeField(
        _("evidence changed"),
        null=True,
        blank=True,
        help_text=_("Data corrected after the decision would change a criterion's result."),
    )

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("gate decision")
        verbose_name_plural = _("gate decisions")
        constraints = [
            models.UniqueConstraint(fields=["phase", "decision"], name="gate_decision_once_per_council_decision")
        ]

    def __str__(self) -> str:
        return f"{self.phase} · {self.get_outcome_display()}"

    def get_absolute_url(self) -> str:
        return reverse("roadmap:gate_decision_detail", args=[self.pk])


class Waiver(models.Model):
    """An unmet criterion the council passed the gate without, and its written reason."""

    gate_decision = models.ForeignKey(
        GateDecision, verbose_name=_("gate decision"), on_delete=models.CASCADE, related_name="waivers"
    )
    criterion = models.ForeignKey(
        GateCriterion, verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))

    scope_rule = ScopeRule(cluster="gate_decision__cluster")

    class Meta:
        verbose_name = _("waived criterion")
        verbose_name_plural = _("waived criteria")
        constraints = [
            models.UniqueConstraint(fields=["gate_decision", "criterion"], name="waiver_once"),
            models.CheckConstraint(condition=~Q(reason=""), name="waiver_has_a_reason"),
        ]

    def __str__(self) -> str:
        return str(self.criterion)


class GateCondition(models.Model):
    """A condition of a conditional go: an owner and a due date; tied to a criterion, it closes by itself when the
    data meets the criterion."""

    gate_decision = models.ForeignKey(
        GateDecision, verbose_name=_("gate decision"), on_delete=models.CASCADE, related_name="conditions"
    )
    text = models.CharField(_("condition"), max_length=300)
    owner = models.ForeignKey(Body, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due on"))
    criterion = models.ForeignKey(
        GateCriterion,
        verbose_name=_("closes when this criterion is met"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_by_data = models.BooleanField(_("closed by the data"), default=False)

    scope_rule = ScopeRule(cluster="gate_decision__cluster")

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("gate condition")
        verbose_name_plural = _("gate conditions")

    def __str__(self) -> str:
        return self.text

    def is_overdue(self, today: datetime.date) -> bool:
        return self.closed_on is None and self.due_on < today
