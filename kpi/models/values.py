"""What the figures become: KPI values per period and scope, the record of each computation, and alerts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from governance.choices import BodyKind, Role, ValueChainLink
from governance.models import ActionItem, Body, Cluster, Enterprise
from governance.scoping import ScopeRule

from ..choices import AlertStatus, Disclosure, KpiStatus, PeriodKind, Scope, Trigger
from .catalog import Kpi

if TYPE_CHECKING:
    from core.scoping import Access
    from core.typing import AnyUser


# Computed values: 30 digits, 8 after the point; None where nothing was counted. A helper rather than a dict of
# keyword arguments, so that type checking sees the fields are nullable.
def decimal_field(verbose_name) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=30, decimal_places=8, null=True, blank=True)


class KpiValue(models.Model):
    """One KPI for one cluster, period (month or quarter) and scope (cluster, value-chain link, enterprise).

    Cluster and link values are stored: written only by kpi/services/computation.py, a period at a time, and read
    by dashboards, reports and the API. An enterprise's own values are never stored: they are computed when read,
    as unsaved rows of this model (kpi/services/enterprise_values.py). The numerator and denominator are the sums
    the value is the ratio of; target and minimum are the cluster's as they stood when the value was computed.
    """

    # Derived rows, written a few hundred thousand at a time by the computation's statement from rows that exist
    # (it joins them): the foreign keys carry no database check, which would cost a lookup per row at commit.
    # Deleting a cluster, KPI or enterprise still cascades or is refused through Django's collector.
    cluster = models.ForeignKey(
        Cluster,
        verbose_name=_("cluster"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    kpi = models.ForeignKey(
        Kpi,
        verbose_name=_("KPI"),
        on_delete=models.PROTECT,
        related_name="values",
        db_index=False,
        db_constraint=False,
    )
    period = models.CharField(_("period"), max_length=7, help_text=_("YYYY-MM for a month, YYYY-Qn for a quarter."))
    period_kind = models.CharField(_("period kind"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("first day of the period"))
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices)
    link = models.CharField(_("value-chain link"), max_length=16, choices=ValueChainLink.choices, blank=True)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="kpi_values",
        db_index=False,
        db_constraint=False,
    )
    value = decimal_field(_("value"))
    numerator = decimal_field(_("numerator"))
    denominator = decimal_field(_("denominator"))
    target = decimal_field(_("target"))
    minimum = decimal_field(_("minimum"))
    status = models.CharField(_("status"), max_length=16, choices=KpiStatus.choices, blank=True)
    reporting_enterprises = models.PositiveIntegerField(_("reporting enterprises"), null=True, blank=True)
    p25 = decimal_field(_("lower quartile"))
    median = decimal_field(_("median"))
    p75 = decimal_field(_("upper quartile"))
    # Commercial secrecy: why a cluster or link value is shown only to the office ("" = published).
    disclosure = models.CharField(
        _("disclosure"), max_length=12, choices=Disclosure.choices, blank=True, default=Disclosure.PUBLISHED
    )

    # The office reads every row, an enterprise its own rows; everyone in the cluster reads the cluster and link
    # values that pass disclosure control (kpi.services.disclosure).
    scope_rule = ScopeRule(
        cluster="cluster",
        enterprise="enterprise",
        readers=frozenset({Role.OFFICE}),
        editors=frozenset({Role.OFFICE}),
        shared=Q(enterprise__isnull=True) & Q(disclosure=Disclosure.PUBLISHED),
    )

    class Meta:
        ordering = ["period_start", "kpi__position", "scope", "link", "enterprise_id"]
        verbose_name = _("KPI value")
        verbose_name_plural = _("KPI values")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "period", "kpi", "scope", "link"],
                condition=Q(enterprise__isnull=True),
                name="kpi_value_one_per_cluster_or_link",
            ),
            # Enterprises' own values are computed on read, never stored.
            models.CheckConstraint(
                condition=~Q(scope=Scope.ENTERPRISE) & Q(enterprise__isnull=True),
                name="kpi_value_stores_no_enterprise_value",
            ),
            models.CheckConstraint(
                condition=(Q(scope=Scope.CLUSTER) & Q(link="")) | ~Q(scope=Scope.CLUSTER),
                name="kpi_value_cluster_scope_has_no_link",
            ),
        ]
        indexes = [
            # A period's rows are replaced and read together (the unique constraints above are partial).
            models.Index(fields=["cluster", "period"], name="kpi_value_period"),
            models.Index(
                fields=["cluster", "period_kind", "scope", "kpi", "period_start"],
                name="kpi_value_series",
                condition=Q(enterprise__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        where = self.enterprise_id and str(self.enterprise) or self.link or str(self.cluster)
        return f"{self.kpi.code} · {self.period} · {where} = {self.value}"


class KpiComputation(models.Model):
    """When a cluster's period was last computed, how, and how many values it gave (one row per period).

    A period's values are provisional until the deadline of its (last) month has passed (`final_at`): few
    firms have reported by then and none is approved. Until its (last) month is locked (`locked_at`) approvals
    and returns still change which enterprises count, so its sums and quartiles wait for that (disclosure
    control: each change would be one enterprise's figure). `expected` and `counted` give the coverage, per
    value-chain link and for the whole cluster (key ""): the enterprises expected to report for the period,
    and those whose figures count in it ("5 of 38 enterprises counted").
    """

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=7)
    period_kind = models.CharField(_("period kind"), max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField(_("first day of the period"))
    computed_at = models.DateTimeField(_("computed at"))
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)
    values = models.PositiveIntegerField(_("values"), default=0)
    # None: the period's last month is not open yet (a quarter in progress), so it is provisional.
    final_at = models.DateTimeField(_("final from"), null=True, blank=True)
    locked_at = models.DateTimeField(_("locked from"), null=True, blank=True)
    expected = models.JSONField(_("enterprises expected to report"), default=dict, blank=True)
    counted = models.JSONField(_("enterprises whose figures count"), default=dict, blank=True)

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["cluster", "-period_start", "period_kind"]
        verbose_name = _("KPI computation")
        verbose_name_plural = _("KPI computations")
        constraints = [models.UniqueConstraint(fields=["cluster", "period"], name="kpi_computation_one_per_period")]

    def __str__(self) -> str:
        return f"{self.cluster} · {self.period}"

    def is_provisional(self, now=None) -> bool:
        from django.utils import timezone

        return self.final_at is None or self.final_at > (now or timezone.now())

    def is_locked(self, now=None) -> bool:
        from django.utils import timezone

        return self.locked_at is not None and self.locked_at <= (now or timezone.now())

    @property
    def values_locked(self) -> bool:
        """Whether the stored values were computed after the lock (their sums and quartiles published): between
        the lock and the computation that follows it they are still held back."""
        return self.locked_at is not None and self.computed_at >= self.locked_at

    def coverage(self, link: str = "") -> tuple[int, int]:
        """(enterprises counted, enterprises expected) for the cluster ("") or one value-chain link."""
        return int(self.counted.get(link, 0)), int(self.expected.get(link, 0))


class PendingComputation(models.Model):
    """A period whose KPI values must be computed again, recorded in the same transaction as the change that calls
    for it (an outbox): if the work after the commit never runs, the sweep still finds it.

    `requested` counts the requests: a computation clears the row only if no request came in after it began
    reading, so a change committed during a computation is never forgotten.
    """

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=7)
    requested = models.PositiveIntegerField(_("requests"), default=1)
    requested_at = models.DateTimeField(_("last requested at"))
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger.choices)

    scope_rule = ScopeRule(cluster="cluster", readers=frozenset({Role.OFFICE}), editors=frozenset())

    class Meta:
        ordering = ["requested_at", "pk"]
        verbose_name = _("pending KPI computation")
        verbose_name_plural = _("pending KPI computations")
        constraints = [models.UniqueConstraint(fields=["cluster", "period"], name="pending_computation_one_per_period")]

    def __str__(self) -> str:
        return f"{self.cluster} · {self.period}"


def _alert_group_members(user: AnyUser, access: Access) -> Q:
    return Q(working_group__memberships__person=user, working_group__memberships__end_date__isnull=True)


class Alert(models.Model):
    """A KPI of the cluster or of a value-chain link below its minimum, raised to the working group that owns it.

    One alert per run of final months below the minimum: it opens in the run's first month, stays open
    while the KPI stays below the minimum month after month (it follows the latest month) and closes by
    itself in the first month back above it. Alerts are derived from the stored monthly values, so
    computing months again, in any order, gives the same alerts; provisional months open nothing.
    """

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    kpi = models.ForeignKey(Kpi, verbose_name=_("KPI"), on_delete=models.PROTECT, related_name="alerts")
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices)
    link = models.CharField(_("value-chain link"), max_length=16, choices=ValueChainLink.choices, blank=True)
    working_group = models.ForeignKey(
        Body,
        verbose_name=_("working group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        limit_choices_to={"kind": BodyKind.WORKING_GROUP},
    )
    status = models.CharField(_("status"), max_length=8, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    opened_period = models.CharField(_("first month past the minimum"), max_length=7)
    period = models.CharField(_("latest month"), max_length=7)
    period_start = models.DateField(_("first day of the latest month"))
    value = decimal_field(_("value"))
    minimum = decimal_field(_("minimum"))
    reporting_enterprises = models.PositiveIntegerField(_("reporting enterprises"), null=True, blank=True)
    closed_period = models.CharField(_("month back within the minimum"), max_length=7, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The working group is e-mailed once per alert: when it is open in the cluster's latest final month.
    notified_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    action_item = models.ForeignKey(
        ActionItem,
        verbose_name=_("action item"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    # Whether the value it is about is published (kpi.services.disclosure): else only the office reads the value.
    disclosed = models.BooleanField(_("value published"), default=True)

    # Those who act on alerts read them all (the value only where it is published, or for the office); everyone
    # else in the cluster only the alerts whose value is published.
    scope_rule = ScopeRule(
        cluster="cluster",
        readers=frozenset({Role.OFFICE, Role.COUNCIL, Role.WORKING_GROUP}),
        own=_alert_group_members,
        shared=Q(disclosed=True),
    )

    class Meta:
        ordering = ["status", "-period_start", "kpi__position", "link"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "kpi", "scope", "link"],
                condition=Q(status=AlertStatus.OPEN),
                name="alert_one_open_per_kpi_and_link",
            ),
            models.UniqueConstraint(
                fields=["cluster", "kpi", "scope", "link", "opened_period"],
                name="alert_one_per_kpi_link_and_first_month",
            ),
            models.CheckConstraint(
                condition=Q(scope__in=[Scope.CLUSTER, Scope.LINK]), name="alert_scope_cluster_or_link"
            ),
            models.CheckConstraint(
                condition=(Q(status=AlertStatus.CLOSED) & Q(closed_at__isnull=False))
                | (Q(status=AlertStatus.OPEN) & Q(closed_at__isnull=True)),
                name="alert_closed_at_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} · {self.get_link_display() or self.cluster} · {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("kpi:alert_detail", args=[self.pk])

    @property
    def where(self) -> str:
        return str(self.get_link_display()) if self.link else str(_("whole cluster"))


class AlertContributor(models.Model):
    """An enterprise that pulls an alert's value down, with its share of the shortfall (1 = all of it)."""

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="contributors")
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField(_("rank"))
    value = decimal_field(_("value"))
    shortfall = decimal_field(_("shortfall"))
    share = models.DecimalField(_("share of the shortfall"), max_digits=9, decimal_places=6)

    # Naming the firms behind a weak figure is for those who act on it; a firm sees its own row.
    scope_rule = ScopeRule(
        cluster="alert__cluster",
        enterprise="enterprise",
        readers=frozenset({Role.OFFICE, Role.COUNCIL, Role.WORKING_GROUP}),
        editors=frozenset(),
    )

    class Meta:
        ordering = ["alert", "rank"]
        verbose_name = _("enterprise behind an alert")
        verbose_name_plural = _("enterprises behind an alert")
        constraints = [models.UniqueConstraint(fields=["alert", "enterprise"], name="alert_contributor_unique")]

    def __str__(self) -> str:
        return f"{self.alert} · {self.enterprise} · {self.share}"
