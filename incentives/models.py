"""Models of the incentives element: packages in tiers with typed benefits, eligibility rules as rows in
versions, and the quarterly evaluation that keeps, for every enterprise, package and condition, what was
measured over which window against which threshold, under which rule version, with its verdict."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from governance.choices import Role
from governance.models import Cluster, Decision, Enterprise
from governance.scoping import ScopeRule
from kpi.models import Kpi

from .choices import (
    OPEN_REVIEW_STATES,
    PERCENT_BENEFITS,
    SHARE_MEASURES,
    AwardStatus,
    BenefitKind,
    Combine,
    Comparison,
    Level,
    Measure,
    ReviewOutcome,
    ReviewState,
    RuleStatus,
    Verdict,
    Window,
)

if TYPE_CHECKING:
    from core.typing import StrOrPromise

# Evaluations name single enterprises' figures: the office and the council (who approve awards) read them all, each
# enterprise its own.
EVALUATION_READERS = frozenset({Role.OFFICE, Role.COUNCIL})


class IncentivePackage(models.Model):
    """A package of benefits; packages form tiers, and a higher tier includes what a lower one gives."""

    cluster = models.ForeignKey(
        Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="incentive_packages"
    )
    name = models.CharField(_("name"), max_length=120)
    tier = models.PositiveSmallIntegerField(
        _("tier"), validators=[MinValueValidator(1)], help_text=_("1 is the first tier; a higher tier gives more.")
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    grace_days = models.PositiveSmallIntegerField(
        _("grace period (days)"),
        default=30,
        validators=[MinValueValidator(7), MaxValueValidator(180)],
        help_text=_(
            "When a holder of this package breaches a KPI minimum it requires, a conditions review opens: the "
            "enterprise has this many days to answer before the council decides."
        ),
    )

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["cluster", "tier"]
        verbose_name = _("incentive package")
        verbose_name_plural = _("incentive packages")
        constraints = [
            models.UniqueConstraint(fields=["cluster", "tier"], name="incentive_package_one_per_tier"),
        ]

    def __str__(self) -> str:
        return f"{self.tier}. {self.name}"

    def get_absolute_url(self) -> str:
        return f"{reverse('incentives:overview')}#package-{self.pk}"


def benefit_text(kind: str, value: Decimal | None) -> str:
    """A benefit as people read it, in their language: "Fee discount: 10 %", "Access to the shared laboratory"."""
    from django.utils.formats import number_format

    label = str(BenefitKind(kind).label).replace(" (%)", "")
    if value is None:
        return label
    shown = number_format(value, decimal_pos=0 if value == int(value) else 1, use_l10n=True)
    return f"{label}: {shown} %"


class Benefit(models.Model):
    package = models.ForeignKey(
        IncentivePackage, verbose_name=_("package"), on_delete=models.CASCADE, related_name="benefits"
    )
    kind = models.CharField(_("benefit"), max_length=24, choices=BenefitKind.choices)
    value = models.DecimalField(
        _("value"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
        help_text=_("Percent, for a discount or a co-financing share."),
    )

    scope_rule = ScopeRule(cluster="package__cluster")

    class Meta:
        ordering = ["package", "kind"]
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        constraints = [models.UniqueConstraint(fields=["package", "kind"], name="benefit_once_per_package")]

    def __str__(self) -> str:
        return benefit_text(self.kind, self.value)

    def clean(self) -> None:
        if self.kind in PERCENT_BENEFITS and self.value is None:
            raise ValidationError({"value": _("Give the percentage of this benefit.")})
        if self.kind not in PERCENT_BENEFITS and self.value is not None:
            raise ValidationError({"value": _("This benefit is granted or not: it takes no value.")})


class RuleVersion(models.Model):
    """One version of a package's eligibility rule: its conditions, combined by all-of or any-of. A draft can change;
    an approved version (by a council decision) applies from its date and never changes again: a change is a new
    version, and earlier evaluations keep the version they used."""

    package = models.ForeignKey(
        IncentivePackage, verbose_name=_("package"), on_delete=models.CASCADE, related_name="rule_versions"
    )
    number = models.PositiveSmallIntegerField(_("version"))
    combine = models.CharField(_("combined by"), max_length=8, choices=Combine.choices, default=Combine.ALL)
    effective_from = models.DateField(_("effective from"))
    status = models.CharField(_("status"), max_length=12, choices=RuleStatus.choices, default=RuleStatus.DRAFT)
    approved_by = models.ForeignKey(
        Decision,
        verbose_name=_("approved by decision"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incentive_rules",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_rule = ScopeRule(cluster="package__cluster")

    class Meta:
        ordering = ["package", "-number"]
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        constraints = [
            models.UniqueConstraint(fields=["package", "number"], name="rule_version_number_once"),
            models.CheckConstraint(
                condition=Q(status=RuleStatus.DRAFT) | Q(approved_by__isnull=False),
                name="rule_version_approved_by_a_decision",
                violation_error_message=_("An approved rule names the council decision that approved it."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package.name} · v{self.number}"


class Condition(models.Model):
    """What is measured, over which window, compared with which threshold."""

    rule = models.ForeignKey(RuleVersion, verbose_name=_("rule"), on_delete=models.CASCADE, related_name="conditions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    measure = models.CharField(_("what is measured"), max_length=16, choices=Measure.choices)
    kpi = models.ForeignKey(
        Kpi, verbose_name=_("KPI"), on_delete=models.PROTECT, null=True, blank=True, related_name="conditions"
    )
    window = models.CharField(_("window"), max_length=16, choices=Window.choices, default=Window.LAST_QUARTER)
    months = models.PositiveSmallIntegerField(
        _("months"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
        help_text=_("For a window of the last N months."),
    )
    comparison = models.CharField(_("comparison"), max_length=4, choices=Comparison.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=18, decimal_places=4)

    scope_rule = ScopeRule(cluster="rule__package__cluster")

    class Meta:
        ordering = ["rule", "position", "pk"]
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        constraints = [
            models.CheckConstraint(
                condition=Q(measure=Measure.KPI, kpi__isnull=False) | (~Q(measure=Measure.KPI) & Q(kpi__isnull=True)),
                name="condition_kpi_iff_kpi_measure",
                violation_error_message=_("A KPI condition names its KPI, and only a KPI condition does."),
            ),
            models.CheckConstraint(
                condition=Q(window=Window.MONTHS, months__isnull=False) | (~Q(window=Window.MONTHS) & Q(months=None)),
                name="condition_months_iff_n_months",
                violation_error_message=_("A window of the last N months says N, and only such a window does."),
            ),
        ]

    def __str__(self) -> str:
        what = self.kpi.code if self.kpi_id and self.kpi else str(self.get_measure_display())
        return f"{what} {self.get_comparison_display()} {self.threshold}"

    @property
    def window_months(self) -> int:
        from .choices import WINDOW_MONTHS

        return self.months or WINDOW_MONTHS.get(Window(self.window), 1)

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if self.measure == Measure.KPI and not self.kpi_id:
            errors["kpi"] = _("Choose the KPI this condition measures.")
        if self.measure != Measure.KPI and self.kpi_id:
            errors["kpi"] = _("Only a KPI condition names a KPI.")
        if self.window == Window.MONTHS and not self.months:
            errors["months"] = _("Say how many months the window covers.")
        if self.window != Window.MONTHS and self.months:
            errors["months"] = _("Only a window of the last N months takes a number of months.")
        threshold = self.threshold
        if threshold is not None:
            if threshold < 0:
                errors["threshold"] = _("A threshold cannot be negative: nothing measured here is.")
            elif self.measure in SHARE_MEASURES and threshold > 1:
                errors["threshold"] = _("A share is between 0 and 1 (0.80 = 80 %).")
            elif self.measure == Measure.KPI and self.kpi_id and self.kpi and self.kpi.unit == "percent":
                if threshold > 1:
                    errors["threshold"] = _("A percentage is entered as a fraction (0.03 = 3 %).")
            elif self.measure not in SHARE_MEASURES and self.measure != Measure.KPI and threshold != int(threshold):
                errors["threshold"] = _("This measure counts whole things: give a whole number.")
        if errors:
            raise ValidationError(errors)


class Participation(models.Model):
    """An enterprise's participation level in a quarter, with its parts (see services.participation_level)."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="participations"
    )
    quarter = models.CharField(_("quarter"), max_length=7)
    level = models.CharField(_("participation level"), max_length=12, choices=Level.choices)
    points = models.PositiveSmallIntegerField(_("points"))
    discipline = models.DecimalField(_("reporting discipline"), max_digits=5, decimal_places=4, null=True)
    projects = models.PositiveSmallIntegerField(_("active joint projects"))
    attendance = models.DecimalField(_("attendance"), max_digits=5, decimal_places=4, null=True)
    contracts = models.PositiveSmallIntegerField(_("contracts in force"))

    scope_rule = ScopeRule(cluster="cluster", enterprise="enterprise", readers=EVALUATION_READERS)

    class Meta:
        ordering = ["-quarter", "enterprise__name"]
        verbose_name = _("participation level")
        verbose_name_plural = _("participation levels")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "quarter"], name="participation_once_per_quarter"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.quarter}: {self.get_level_display()}"


class Evaluation(models.Model):
    """Whether an enterprise qualified for a package in a quarter, under the rule version in force then."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="evaluations"
    )
    package = models.ForeignKey(
        IncentivePackage, verbose_name=_("package"), on_delete=models.CASCADE, related_name="evaluations"
    )
    rule = models.ForeignKey(RuleVersion, verbose_name=_("rule version"), on_delete=models.PROTECT, related_name="+")
    quarter = models.CharField(_("quarter"), max_length=7)
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices)

    scope_rule = ScopeRule(cluster="cluster", enterprise="enterprise", readers=EVALUATION_READERS)

    class Meta:
        ordering = ["-quarter", "enterprise__name", "package__tier"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "package", "quarter"], name="evaluation_once_per_package_and_quarter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.package.name} · {self.quarter}"

    def get_absolute_url(self) -> str:
        return reverse("incentives:evaluation_detail", args=[self.pk])


class ConditionResult(models.Model):
    """One condition of an evaluation: the measured value over its window against the threshold, and the verdict;
    the coverage says how many of the window's months had final figures."""

    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="results"
    )
    condition = models.ForeignKey(Condition, verbose_name=_("condition"), on_delete=models.PROTECT, related_name="+")
    measured = models.DecimalField(_("measured"), max_digits=30, decimal_places=8, null=True)
    window_start = models.DateField(_("window from"))
    window_end = models.DateField(_("window to"))
    months_counted = models.PositiveSmallIntegerField(_("months with final figures"))
    months_expected = models.PositiveSmallIntegerField(_("months in the window"))
    comparison = models.CharField(_("comparison"), max_length=4, choices=Comparison.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=18, decimal_places=4)
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices)

    scope_rule = ScopeRule(
        cluster="evaluation__cluster", enterprise="evaluation__enterprise", readers=EVALUATION_READERS
    )

    class Meta:
        ordering = ["evaluation", "condition__position", "condition_id"]
        verbose_name = _("condition result")
        verbose_name_plural = _("condition results")
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "condition"], name="condition_result_once"),
        ]

    def __str__(self) -> str:
        return f"{self.condition}: {self.measured} ({self.get_verdict_display()})"


class Award(models.Model):
    """A package given to an enterprise: proposed by a quarter's evaluation (its highest tier met), approved by a
    council decision, valid for a period. Its benefits take effect while it is valid: the shared-services queue
    orders by it, a service request's price shows its discount."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="awards"
    )
    package = models.ForeignKey(
        IncentivePackage, verbose_name=_("package"), on_delete=models.PROTECT, related_name="awards"
    )
    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.PROTECT, related_name="awards"
    )
    quarter = models.CharField(_("quarter"), max_length=7)
    status = models.CharField(_("status"), max_length=12, choices=AwardStatus.choices, default=AwardStatus.PROPOSED)
    decision = models.ForeignKey(
        Decision,
        verbose_name=_("council decision"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incentive_awards",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    evidence_changed_at = models.DateTimeField(
        _("evidence changed"),
        null=True,
        blank=True,
        help_text=_("Figures corrected after the decision changed the evaluation it rests on."),
    )

    scope_rule = ScopeRule(cluster="cluster", enterprise="enterprise", readers=EVALUATION_READERS)

    class Meta:
        ordering = ["-quarter", "enterprise__name"]
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "quarter"], name="award_once_per_quarter"),
            models.CheckConstraint(
                condition=Q(status__in=[AwardStatus.PROPOSED, AwardStatus.DECLINED])
                | (Q(decision__isnull=False) & Q(valid_from__isnull=False) & Q(valid_until__isnull=False)),
                name="award_approved_by_a_decision_for_a_period",
                violation_error_message=_("An approved award names the council decision and its validity period."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.package.name} · {self.quarter}"

    def get_absolute_url(self) -> str:
        return self.evaluation.get_absolute_url()


def _own_reviews(user, access) -> Q:
    """The reviews of the enterprises the person represents (they read them and answer)."""
    own = Q(pk__in=[])
    for cluster_id, enterprise_ids in access.enterprises.items():
        own |= Q(cluster_id=cluster_id, enterprise_id__in=sorted(enterprise_ids))
    return own


class ConditionsReview(models.Model):
    """A consequence ladder instead of a silent loss: an enterprise holding an award breached a KPI minimum its
    package requires (a KPI condition of the package not met in a quarter's evaluation). The review opens with a
    grace period; the enterprise answers; at the end the council decides to keep, suspend or revoke the award, by a
    decision. Reviews are never deleted: they are the award's history."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="conditions_reviews"
    )
    award = models.ForeignKey(Award, verbose_name=_("award"), on_delete=models.PROTECT, related_name="reviews")
    evaluation = models.ForeignKey(
        Evaluation,
        verbose_name=_("evaluation"),
        on_delete=models.PROTECT,
        related_name="reviews",
        help_text=_("The quarter's evaluation that found the breach."),
    )
    quarter = models.CharField(_("quarter"), max_length=7)
    opened_on = models.DateField(_("opened on"))
    respond_by = models.DateField(_("answer by"))
    state = models.CharField(_("state"), max_length=12, choices=ReviewState.choices, default=ReviewState.OPEN)
    answer = models.TextField(_("the enterprise's answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=ReviewOutcome.choices, blank=True)
    decision = models.ForeignKey(
        Decision,
        verbose_name=_("council decision"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conditions_reviews",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    lifted_in = models.CharField(
        _("suspension lifted by"),
        max_length=7,
        blank=True,
        help_text=_("The quarter whose evaluation met the package again and lifted the suspension."),
    )
    evidence_changed_at = models.DateTimeField(
        _("evidence changed"),
        null=True,
        blank=True,
        help_text=_("Figures corrected after the review opened changed the evaluation it rests on."),
    )

    scope_rule = ScopeRule(
        cluster="cluster",
        enterprise="enterprise",
        readers=EVALUATION_READERS,
        editors=frozenset({Role.OFFICE}),
        own=_own_reviews,
    )

    class Meta:
        ordering = ["-opened_on", "-pk"]
        verbose_name = _("conditions review")
        verbose_name_plural = _("conditions reviews")
        constraints = [
            models.UniqueConstraint(fields=["award", "quarter"], name="review_once_per_award_and_quarter"),
            models.UniqueConstraint(
                fields=["award"],
                condition=Q(state__in=OPEN_REVIEW_STATES),
                name="review_one_open_per_award",
                violation_error_message=_("This award already has a review under way."),
            ),
            models.CheckConstraint(
                condition=(~Q(state=ReviewState.DECIDED) & Q(outcome="") & Q(decision__isnull=True))
                | (Q(state=ReviewState.DECIDED) & ~Q(outcome="") & Q(decision__isnull=False)),
                name="review_decided_by_a_decision",
                violation_error_message=_("A decided review names its outcome and the council decision."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.award.package.name} · {self.quarter}"

    def get_absolute_url(self) -> str:
        return reverse("incentives:review_detail", args=[self.pk])

    @property
    def under_way(self) -> bool:
        return self.state in OPEN_REVIEW_STATES


class EvidenceChange(models.Model):
    """Figures corrected after an evaluation changed it: what it said before and after (each condition's measured
    value, coverage and verdict, and the package's verdict). The evaluation follows the corrected figures; this row
    keeps what the decisions resting on it saw."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.CASCADE, related_name="evidence_changes"
    )
    detected_at = models.DateTimeField(_("detected at"))
    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))

    scope_rule = ScopeRule(
        cluster="evaluation__cluster", enterprise="evaluation__enterprise", readers=EVALUATION_READERS
    )

    class Meta:
        ordering = ["-detected_at", "-pk"]
        verbose_name = _("evidence change")
        verbose_name_plural = _("evidence changes")

    def __str__(self) -> str:
        return f"{self.evaluation} · {self.detected_at:%Y-%m-%d}"
