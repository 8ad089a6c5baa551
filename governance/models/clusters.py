from __future__ import annotations

import datetime
import zoneinfo
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import EnterpriseKind, EnterpriseStatus, Role, ValueChainLink
from ..scoping import ScopeRule

if TYPE_CHECKING:
    from core.scoping import Access
    from core.typing import AnyUser

taxpayer_id_validator = RegexValidator(
    r"^[0-9]{9}$", _("The taxpayer id (STIR) has exactly 9 digits."), code="taxpayer_id"
)


def validate_time_zone(value: str) -> None:
    """An IANA time zone the server knows ("Asia/Tashkent"): every date of the cluster is read in it."""
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a time zone; write it as Region/City, e.g. Asia/Tashkent."),
            code="time_zone",
            params={"value": value},
        )


def _own_enterprises(user: AnyUser, access: Access) -> Q:
    # Per cluster: a grant in one cluster never reaches an enterprise of another.
    own = Q(pk__in=[])
    for cluster_id, enterprise_ids in access.enterprises.items():
        own |= Q(cluster_id=cluster_id, pk__in=sorted(enterprise_ids))
    return own


class Cluster(models.Model):
    """An industrial or agro-industrial cluster: the unit that governs itself on the platform."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    sector = models.CharField(_("sector"), max_length=120)
    region = models.CharField(_("region"), max_length=120)
    start_date = models.DateField(_("start date"), help_text=_("Month 0 of the roadmap."))
    currency = models.CharField(_("currency"), max_length=3, default="UZS")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Tashkent")
    leading_enterprise = models.ForeignKey(
        "governance.Enterprise",
        verbose_name=_("leading enterprise"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_rule = ScopeRule(cluster="pk")

    class Meta:
        ordering = ["name"]
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("governance:cluster_detail", args=[self.pk])

    def today(self, now: datetime.datetime | None = None) -> datetime.date:
        """The date now (or at `now`) in the cluster's time zone: its months and deadlines are dated there."""
        return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(self.time_zone)).date()

    def clean(self) -> None:
        try:
            validate_time_zone(self.time_zone)
        except ValidationError as error:
            raise ValidationError({"time_zone": error}) from None
        if self.leading_enterprise_id and self.pk:
            assert self.leading_enterprise is not None  # its id is set
            if self.leading_enterprise.cluster_id != self.pk:
                raise ValidationError(
                    {"leading_enterprise": _("The leading enterprise must be a participant of this cluster.")}
                )


class Enterprise(models.Model):
    """A participant enterprise of a cluster, known to integrations by its taxpayer id (STIR/INN)."""

    cluster = models.ForeignKey(
        Cluster, verbose_name=_("cluster"), on_delete=models.PROTECT, related_name="enterprises"
    )
    name = models.CharField(_("legal name"), max_length=255)
    taxpayer_id = models.CharField(
        _("taxpayer id (STIR)"),
        max_length=9,
        validators=[taxpayer_id_validator],
        help_text=_("9 digits."),
        error_messages={"max_length": _("The taxpayer id (STIR) has exactly 9 digits.")},
    )
    kind = models.CharField(_("type"), max_length=32, choices=EnterpriseKind.choices)
    value_chain_link = models.CharField(_("value-chain link"), max_length=16, choices=ValueChainLink.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=EnterpriseStatus.choices, default=EnterpriseStatus.ACTIVE
    )
    joined_on = models.DateField(_("join date"))
    address = models.CharField(_("address"), max_length=255, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    # The directory of participants is visible to every member of the cluster; an enterprise
    # representative may change only the enterprises they represent.
    scope_rule = ScopeRule(cluster="cluster", own=_own_enterprises)

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "taxpayer_id"],
                name="enterprise_taxpayer_id_unique_in_cluster",
                violation_error_message=_(
                    "An enterprise with this taxpayer id is already a participant of this cluster."
                ),
            ),
            models.CheckConstraint(
                condition=Q(taxpayer_id__regex=r"^[0-9]{9}$"),
                name="enterprise_taxpayer_id_nine_digits",
                violation_error_message=_("The taxpayer id (STIR) has exactly 9 digits."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("governance:enterprise_detail", args=[self.pk])


class EnterprisePastLink(models.Model):
    """A value-chain link an enterprise had before it moved: its figures of the months before `until` count under
    `link`, so KPI values of those months stay as they were published (recomputed or not) and nobody learns the
    enterprise's figures from the link values before and after its move. Written when the link changes
    (governance.services.enterprise_save); an enterprise that never moved has none and counts under its link."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="past_links"
    )
    link = models.CharField(_("value-chain link"), max_length=16, choices=ValueChainLink.choices)
    until = models.DateField(_("until (first month under the next link)"))

    class Meta:
        ordering = ["enterprise", "until"]
        verbose_name = _("past value-chain link")
        verbose_name_plural = _("past value-chain links")
        constraints = [models.UniqueConstraint(fields=["enterprise", "until"], name="enterprise_past_link_unique")]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.link} < {self.until:%Y-%m}"


def past_links(clusters) -> dict[int, list[tuple]]:
    """{enterprise id: [(until, link), ...] earliest first} of the past links of these clusters' enterprises: one
    query."""
    found: dict[int, list[tuple]] = {}
    for enterprise_id, until, link in (
        EnterprisePastLink.objects.filter(enterprise__cluster__in=clusters)
        .order_by("enterprise_id", "until")
        .values_list("enterprise_id", "until", "link")
    ):
        found.setdefault(enterprise_id, []).append((until, link))
    return found


def link_in(current: str, past: list[tuple] | None, month) -> str:
    """The link an enterprise's figures of `month` count under: the first past link still running then, else its
    link now."""
    for until, link in past or ():
        if month < until:
            return link
    return current


class ClusterRole(models.Model):
    """A person's role in one cluster; it decides what the person sees and may change there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="cluster_roles"
    )
    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    enterprises = models.ManyToManyField(
        Enterprise,
        verbose_name=_("enterprises represented"),
        blank=True,
        related_name="representatives",
        help_text=_("For enterprise representatives: the enterprises whose data they report."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    from_seats = models.BooleanField(
        _("given by seats in bodies"),
        default=False,
        help_text=_("Follows the person's seats: it starts and ends with them."),
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(
        _("withdrawn at"),
        null=True,
        blank=True,
        help_text=_("Withdrawn by the office: seats held then do not give it back, only a seat taken later."),
    )

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["cluster", "user__last_name", "user__username", "role"]
        verbose_name = _("cluster role")
        verbose_name_plural = _("cluster roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "cluster", "role"], name="cluster_role_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.cluster}"
