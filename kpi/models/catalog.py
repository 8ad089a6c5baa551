"""What is measured: data elements, KPIs, each cluster's choice of KPIs and its data-collection rules."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from governance.choices import Area, BodyKind, RegulationKind, Role
from governance.models import Body, Cluster, Regulation
from governance.scoping import ALL_ROLES, ScopeRule

from ..catalogue import ELEMENT_HELP, ELEMENT_NAMES, KPI_FORMULAS, KPI_NAMES
from ..choices import Aggregation, Direction, ElementGroup, KpiSource, Unit, ValueType


class DataElement(models.Model):
    """A raw monthly figure an enterprise reports (total output, defective units, ...), shared by all clusters."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    group = models.CharField(_("group"), max_length=16, choices=ElementGroup.choices)
    unit = models.CharField(_("unit"), max_length=24, choices=Unit.choices)
    aggregation = models.CharField(_("aggregation"), max_length=8, choices=Aggregation.choices)
    value_type = models.CharField(_("value type"), max_length=8, choices=ValueType.choices, default=ValueType.DECIMAL)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("data element")
        verbose_name_plural = _("data elements")

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self):
        return ELEMENT_NAMES.get(self.code, self.name)

    @property
    def help(self):
        return ELEMENT_HELP.get(self.code, "")

    @property
    def is_integer(self) -> bool:
        return self.value_type == ValueType.INTEGER


class Kpi(models.Model):
    """A key performance indicator of the catalogue: a formula over data elements with a unit and a direction.

    The formula is numerator / denominator × multiplier (no denominator: the numerator alone), times
    the days of the period for INVENT, and as growth on the same period a year before for EXPGR.
    Percentages are stored as fractions.
    """

    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    unit = models.CharField(_("unit"), max_length=24, choices=Unit.choices)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    source = models.CharField(_("source"), max_length=8, choices=KpiSource.choices, default=KpiSource.DATA)
    numerator = models.ForeignKey(
        DataElement, verbose_name=_("numerator"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    denominator = models.ForeignKey(
        DataElement, verbose_name=_("denominator"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    multiplier = models.DecimalField(_("multiplier"), max_digits=12, decimal_places=4, default=Decimal(1))
    per_days_in_period = models.BooleanField(_("times the days of the period"), default=False)
    year_over_year = models.BooleanField(_("growth on the same period a year before"), default=False)
    area = models.CharField(_("area"), max_length=16, choices=Area.choices, default=Area.OTHER)
    formula = models.CharField(_("formula"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        constraints = [
            models.CheckConstraint(
                condition=(Q(source=KpiSource.DATA) & Q(numerator__isnull=False))
                | (Q(source=KpiSource.PLATFORM) & Q(numerator__isnull=True) & Q(denominator__isnull=True)),
                name="kpi_formula_matches_source",
                violation_error_message=_(
                    "A KPI from the enterprises' figures has a numerator; a platform KPI reads no figures."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.label}"

    @property
    def label(self):
        return KPI_NAMES.get(self.code, self.name)

    @property
    def formula_label(self):
        return KPI_FORMULAS.get(self.code, self.formula)

    @property
    def is_platform(self) -> bool:
        return self.source == KpiSource.PLATFORM

    @property
    def is_ratio(self) -> bool:
        """Ratio KPIs (a denominator, or growth on a year before) compare at every scope; sums only for the cluster."""
        return self.denominator_id is not None or self.year_over_year

    @property
    def element_ids(self) -> list[int]:
        """The data elements the formula reads: an enterprise counts only when it reported all of them."""
        return [i for i in (self.numerator_id, self.denominator_id) if i is not None]


class ClusterKpi(models.Model):
    """A cluster's choice of a catalogue KPI: whether it is active, its target and its minimum."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="kpis")
    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="cluster_settings")
    active = models.BooleanField(_("active"), default=True)
    target = models.DecimalField(_("target"), max_digits=20, decimal_places=6, null=True, blank=True)
    minimum = models.DecimalField(_("minimum"), max_digits=20, decimal_places=6, null=True, blank=True)
    compare_links = models.BooleanField(
        _("compare the links"),
        default=True,
        help_text=_(
            "Hold each value-chain link to the target and minimum too. Off for a KPI whose level differs by the "
            "nature of the link (a cotton farm makes no finished product): then only the cluster is judged."
        ),
    )
    working_group = models.ForeignKey(
        Body,
        verbose_name=_("working group alerted"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": BodyKind.WORKING_GROUP},
        help_text=_("Empty: the active working group of the KPI's area."),
    )

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["cluster", "kpi__position"]
        verbose_name = _("cluster KPI")
        verbose_name_plural = _("cluster KPIs")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "kpi"],
                name="cluster_kpi_unique",
                violation_error_message=_("This KPI is already set for the cluster."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} · {self.cluster}"

    def clean(self) -> None:
        if self.working_group_id:
            assert self.working_group is not None  # its id is set
            if self.working_group.cluster_id != self.cluster_id or self.working_group.kind != BodyKind.WORKING_GROUP:
                raise ValidationError({"working_group": _("Choose a working group of this cluster.")})
        if self.target is None or self.minimum is None or not self.kpi_id:
            return
        if self.kpi.direction == Direction.HIGHER and self.minimum > self.target:
            raise ValidationError(
                {"minimum": _("For a KPI where higher is better, the minimum cannot be above the target.")}
            )
        if self.kpi.direction == Direction.LOWER and self.minimum < self.target:
            raise ValidationError(
                {
                    "minimum": _(
                        "For a KPI where lower is better, the minimum (the worst acceptable value) "
                        "cannot be below the target."
                    )
                }
            )


class DataCollectionRules(models.Model):
    """How a cluster collects its monthly figures, as its data-collection regulation sets them."""

    cluster = models.OneToOneField(
        Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="data_collection_rules"
    )
    regulation = models.ForeignKey(
        Regulation,
        verbose_name=_("data-collection regulation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": RegulationKind.DATA_COLLECTION},
    )
    deadline_day = models.PositiveSmallIntegerField(
        _("deadline day"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Day of the following month by which a month's figures are due (1–28)."),
    )
    lock_delay_days = models.PositiveSmallIntegerField(
        _("lock delay (days)"),
        default=15,
        validators=[MinValueValidator(0), MaxValueValidator(120)],
        help_text=_("Days after the deadline until the month is locked; then only approved corrections change it."),
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("first reminder (days before the deadline)"),
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(28)],
    )
    deviation_threshold = models.DecimalField(
        _("soft-rule threshold"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0.05")), MaxValueValidator(Decimal("10"))],
        help_text=_(
            "A value further than this share from the enterprise's recent average asks for a comment (0.50 = 50 %)."
        ),
    )
    count_submitted = models.BooleanField(
        _("count submitted figures in the KPIs"),
        default=False,
        help_text=_("Off: only approved figures count. On: figures count once submitted, before the office approves."),
    )
    history_months = models.PositiveSmallIntegerField(
        _("months of history for the soft rule"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    # Disclosure control: what everyone but the office (and each enterprise for its own figures) may read.
    publish_min_enterprises = models.PositiveSmallIntegerField(
        _("fewest enterprises behind a published value"),
        default=3,
        validators=[MinValueValidator(3), MaxValueValidator(50)],
        help_text=_("A cluster or link value over fewer enterprises is shown only to the office (at least 3)."),
    )
    publish_min_enterprises_quartiles = models.PositiveSmallIntegerField(
        _("fewest enterprises behind published quartiles"),
        default=10,
        validators=[MinValueValidator(10), MaxValueValidator(100)],
        help_text=_(
            "The quartiles and the median of a cluster or link are published only over this many enterprises (at "
            "least 10); each is the mean of three neighbouring enterprises, never one enterprise's own value."
        ),
    )
    publish_dominance_share = models.DecimalField(
        _("largest share two enterprises may hold"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.85"),
        validators=[MinValueValidator(Decimal("0.50")), MaxValueValidator(Decimal("0.99"))],
        help_text=_(
            "A value where the two largest enterprises make up more than this share of the total (0.85 = 85 %) "
            "is shown only to the office: it would reveal them."
        ),
    )

    scope_rule = ScopeRule(cluster="cluster", readers=ALL_ROLES, editors=frozenset({Role.OFFICE}))

    class Meta:
        verbose_name = _("data-collection rules")
        verbose_name_plural = _("data-collection rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline_day__gte=1, deadline_day__lte=28),
                name="collection_deadline_day_range",
                violation_error_message=_("The deadline day is between 1 and 28."),
            ),
            models.CheckConstraint(
                condition=Q(deviation_threshold__gt=0),
                name="collection_deviation_threshold_positive",
                violation_error_message=_("The soft-rule threshold must be above zero."),
            ),
            models.CheckConstraint(
                condition=Q(publish_min_enterprises__gte=3)
                & Q(publish_min_enterprises_quartiles__gte=F("publish_min_enterprises"))
                & Q(publish_min_enterprises_quartiles__gte=10)
                & Q(publish_dominance_share__gte=Decimal("0.50"), publish_dominance_share__lte=Decimal("0.99")),
                name="collection_disclosure_thresholds_safe",
                violation_error_message=_(
                    "Values are published over at least 3 enterprises, quartiles over at least 10 and no fewer than "
                    "values, and the dominance share lies between 0.50 and 0.99."
                ),
            ),
        ]

    def __str__(self) -> str:
        return str(self.cluster)

    def clean(self) -> None:
        if self.regulation_id:
            assert self.regulation is not None  # its id is set
            if self.regulation.cluster_id != self.cluster_id or self.regulation.kind != RegulationKind.DATA_COLLECTION:
                raise ValidationError({"regulation": _("Choose a data-collection regulation of this cluster.")})
