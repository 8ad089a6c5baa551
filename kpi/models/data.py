"""The figures themselves: submissions, data values, their change history and corrections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.versioning import Versioned
from governance.choices import Role
from governance.models import Cluster, Enterprise
from governance.scoping import ScopeRule

from ..choices import Channel, CorrectionStatus, SubmissionStatus
from .catalog import DataElement
from .periods import ReportingPeriod

if TYPE_CHECKING:
    from core.scoping import Access
    from core.typing import AnyUser


def _own_enterprise_rows(user: AnyUser, access: Access) -> Q:
    """Rows of the enterprises the user represents, per cluster (a grant never reaches another cluster)."""
    own = Q(pk__in=[])
    for cluster_id, enterprise_ids in access.enterprises.items():
        own |= Q(cluster_id=cluster_id, enterprise_id__in=sorted(enterprise_ids))
    return own


# Raw figures are commercial secrets: the office reads every enterprise's, a representative their
# own; everyone else sees them only as aggregates (the KPI values).
PRIVATE_RULE = ScopeRule(
    cluster="cluster",
    enterprise="enterprise",
    readers=frozenset({Role.OFFICE}),
    editors=frozenset({Role.OFFICE}),
    own=_own_enterprise_rows,
)
READ_ONLY_PRIVATE_RULE = ScopeRule(
    cluster="cluster", enterprise="enterprise", readers=frozenset({Role.OFFICE}), editors=frozenset()
)


class Submission(Versioned):
    """One enterprise's figures for one month, as a whole: draft → submitted → returned or approved → locked."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="submissions"
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("reporting period"), on_delete=models.CASCADE, related_name="submissions"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    on_time = models.BooleanField(_("on time"), null=True, blank=True)
    returned_reason = models.TextField(_("reason for return"), blank=True)
    decided_at = models.DateTimeField(_("approved or returned at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or returned by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_rule = PRIVATE_RULE

    class Meta:
        ordering = ["-period__month", "enterprise__name"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "period"],
                name="submission_one_per_enterprise_and_period",
                violation_error_message=_("The enterprise already has a submission for this month."),
            ),
            models.CheckConstraint(
                condition=Q(status=SubmissionStatus.DRAFT) | Q(submitted_at__isnull=False),
                name="submission_submitted_at_set",
                violation_error_message=_("A submission past draft has a submission time."),
            ),
        ]
        indexes = [models.Index(fields=["cluster", "period", "status"], name="submission_cluster_period")]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("kpi:submission_detail", args=[self.pk])


class DataValue(models.Model):
    """One reported figure: an enterprise's value of a data element for a month. Empty (null) is not zero."""

    # Written 100 000 rows at a time by the bulk API, so the table carries only the indexes its reads
    # need: the unique (enterprise, period, element) and (cluster, period, element) lead with these
    # columns. The cluster follows from the enterprise (the service sets both) and `updated_by` is
    # informational: neither needs a foreign-key check per row at commit.
    cluster = models.ForeignKey(
        Cluster,
        verbose_name=_("cluster"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="data_values", db_index=False
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("reporting period"), on_delete=models.CASCADE, related_name="data_values"
    )
    data_element = models.ForeignKey(
        DataElement, verbose_name=_("data element"), on_delete=models.PROTECT, related_name="values", db_index=False
    )
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    scope_rule = PRIVATE_RULE

    class Meta:
        ordering = ["period", "enterprise", "data_element__position"]
        verbose_name = _("data value")
        verbose_name_plural = _("data values")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "period", "data_element"],
                name="data_value_one_per_enterprise_period_element",
                violation_error_message=_("This figure is already reported for the month."),
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0),
                name="data_value_not_negative",
                violation_error_message=_("The value cannot be negative."),
            ),
        ]
        indexes = [models.Index(fields=["cluster", "period", "data_element"], name="data_value_cluster_period")]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.period} · {self.data_element.code} = {self.value}"


class DataValueChange(models.Model):
    """The record of one change of a figure: who, when, old and new value, through which channel.

    An append-only log written in bulk with every batch of figures: its references were checked when
    the figure itself was written, so they carry no database constraint or index of their own (the
    ORM still deletes the records with their enterprise or month); it is read by submission.
    """

    cluster = models.ForeignKey(
        Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    period = models.ForeignKey(
        ReportingPeriod,
        verbose_name=_("reporting period"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    data_element = models.ForeignKey(
        DataElement,
        verbose_name=_("data element"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    existed = models.BooleanField(_("existed before"), default=True)
    old_value = models.DecimalField(_("old value"), max_digits=20, decimal_places=4, null=True, blank=True)
    new_value = models.DecimalField(_("new value"), max_digits=20, decimal_places=4, null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)

    scope_rule = READ_ONLY_PRIVATE_RULE

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("change of a figure")
        verbose_name_plural = _("changes of figures")
        indexes = [models.Index(fields=["enterprise", "period"], name="data_value_change_submission")]

    def __str__(self) -> str:
        return f"{self.data_element.code}: {self.old_value} → {self.new_value}"


class Correction(models.Model):
    """A request to change a figure of a locked month; the office approves or rejects it."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="corrections"
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("reporting period"), on_delete=models.CASCADE, related_name="corrections"
    )
    data_element = models.ForeignKey(
        DataElement, verbose_name=_("data element"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.DecimalField(_("corrected value"), max_digits=20, decimal_places=4, null=True, blank=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=16, choices=CorrectionStatus.choices, default=CorrectionStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)

    scope_rule = PRIVATE_RULE

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        constraints = [
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0),
                name="correction_value_not_negative",
                violation_error_message=_("The value cannot be negative."),
            ),
            models.UniqueConstraint(
                fields=["enterprise", "period", "data_element"],
                condition=Q(status=CorrectionStatus.PENDING),
                name="correction_one_pending_per_figure",
                violation_error_message=_("A correction of this figure is already waiting for the office."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.period} · {self.data_element.code}"
