from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.versioning import Versioned

from ..choices import Area, BodyKind, MatrixArea, MemberRole, RegulationKind, RegulationStatus, Responsibility
from ..scoping import ScopeRule
from .clusters import Cluster, Enterprise


class Body(models.Model):
    """A governing body of a cluster: its council, its office or one of its working groups."""

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="bodies")
    kind = models.CharField(_("kind"), max_length=16, choices=BodyKind.choices)
    name = models.CharField(_("name"), max_length=200)
    area = models.CharField(
        _("area"), max_length=16, choices=Area.choices, blank=True, help_text=_("For working groups only.")
    )
    description = models.TextField(_("description"), blank=True)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["cluster", "kind", "name"]
        verbose_name = _("body")
        verbose_name_plural = _("bodies")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "name"],
                name="body_name_unique_in_cluster",
                violation_error_message=_("This cluster already has a body with this name."),
            ),
            models.UniqueConstraint(
                fields=["cluster", "kind"],
                condition=Q(kind__in=[BodyKind.COUNCIL, BodyKind.OFFICE]),
                name="body_one_council_and_office_per_cluster",
                violation_error_message=_("A cluster has one council and one office."),
            ),
            models.CheckConstraint(
                condition=(Q(kind=BodyKind.WORKING_GROUP) & ~Q(area=""))
                | (~Q(kind=BodyKind.WORKING_GROUP) & Q(area="")),
                name="body_area_only_for_working_groups",
                violation_error_message=_("A working group needs an area; the council and the office have none."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("governance:body_detail", args=[self.pk])

    @property
    def is_working_group(self) -> bool:
        return self.kind == BodyKind.WORKING_GROUP


class Membership(models.Model):
    """A person's seat in a body, with a role and the enterprise they represent, for a period."""

    body = models.ForeignKey(Body, verbose_name=_("body"), on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="body_memberships"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("enterprise represented"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="body_memberships",
    )
    role = models.CharField(_("role"), max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"), null=True, blank=True)

    scope_rule = ScopeRule(cluster="body__cluster")

    class Meta:
        ordering = ["body", "role", "person__last_name", "person__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="membership_ends_after_start",
                violation_error_message=_("A membership cannot end before it starts."),
            ),
            models.UniqueConstraint(
                fields=["body", "person", "start_date"],
                name="membership_unique_start",
                violation_error_message=_("This person already has a membership in this body from this date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_name} · {self.body}"

    @property
    def person_name(self) -> str:
        return self.person.get_full_name() or self.person.username

    def is_active_on(self, day) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)

    def clean(self) -> None:
        if self.enterprise_id and self.body_id:
            assert self.enterprise is not None  # its id is set
            if self.enterprise.cluster_id != self.body.cluster_id:
                raise ValidationError({"enterprise": _("The enterprise must be a participant of the body's cluster.")})


class Regulation(Versioned):
    """A versioned rule document (reglament) of a cluster or one of its bodies, approved by a decision."""

    cluster = models.ForeignKey(
        Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="regulations"
    )
    body = models.ForeignKey(
        Body, verbose_name=_("body"), on_delete=models.CASCADE, null=True, blank=True, related_name="regulations"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=RegulationKind.choices)
    title = models.CharField(_("title"), max_length=255)
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=16, choices=RegulationStatus.choices, default=RegulationStatus.DRAFT
    )
    text = models.TextField(_("text"), blank=True)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    approved_by = models.ForeignKey(
        "governance.Decision",
        verbose_name=_("approved by decision"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="approved_regulations",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["cluster", "kind", "title", "-version"]
        verbose_name = _("regulation")
        verbose_name_plural = _("regulations")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "kind", "body", "version"],
                condition=Q(body__isnull=False),
                name="regulation_version_unique_for_body",
                violation_error_message=_("This version of the regulation already exists."),
            ),
            models.UniqueConstraint(
                fields=["cluster", "kind", "version"],
                condition=Q(body__isnull=True),
                name="regulation_version_unique_for_cluster",
                violation_error_message=_("This version of the regulation already exists."),
            ),
            models.UniqueConstraint(
                fields=["cluster", "kind", "body"],
                condition=Q(status=RegulationStatus.APPROVED, body__isnull=False),
                name="regulation_one_approved_for_body",
                violation_error_message=_("Only one version of a regulation is approved at a time."),
            ),
            models.UniqueConstraint(
                fields=["cluster", "kind"],
                condition=Q(status=RegulationStatus.APPROVED, body__isnull=True),
                name="regulation_one_approved_for_cluster",
                violation_error_message=_("Only one version of a regulation is approved at a time."),
            ),
            models.CheckConstraint(
                condition=Q(status=RegulationStatus.DRAFT) | Q(approved_by__isnull=False),
                name="regulation_approved_by_decision",
                violation_error_message=_("An approved regulation names the decision that approved it."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def get_absolute_url(self) -> str:
        return reverse("governance:regulation_detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        """Only a draft is edited or deleted; an approved regulation changes by a new version."""
        return self.status == RegulationStatus.DRAFT

    def clean(self) -> None:
        errors = {}
        if self.body_id and self.cluster_id:
            assert self.body is not None  # its id is set
            if self.body.cluster_id != self.cluster_id:
                errors["body"] = _("The body must belong to the regulation's cluster.")
        if self.approved_by_id and self.cluster_id:
            assert self.approved_by is not None  # its id is set
            if self.approved_by.meeting.body.cluster_id != self.cluster_id:
                errors["approved_by"] = _("The decision must be one of this cluster's.")
        if self.status != RegulationStatus.DRAFT and not self.approved_by_id:
            errors["approved_by"] = _("An approved regulation names the decision that approved it.")
        if errors:
            raise ValidationError(errors)


class ResponsibilityAssignment(models.Model):
    """One cell of the responsibility matrix: what a body does in an area (decides, executes, is consulted)."""

    cluster = models.ForeignKey(
        Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="responsibilities"
    )
    area = models.CharField(_("area"), max_length=24, choices=MatrixArea.choices)
    body = models.ForeignKey(Body, verbose_name=_("body"), on_delete=models.CASCADE, related_name="responsibilities")
    responsibility = models.CharField(_("responsibility"), max_length=16, choices=Responsibility.choices)

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["cluster", "area", "body"]
        verbose_name = _("responsibility")
        verbose_name_plural = _("responsibility matrix")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "area", "body"],
                name="responsibility_unique_cell",
                violation_error_message=_("This body already has a responsibility in this area."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_area_display()}: {self.body} {self.get_responsibility_display()}"

    def clean(self) -> None:
        if self.body_id and self.cluster_id and self.body.cluster_id != self.cluster_id:
            raise ValidationError({"body": _("The body must belong to this cluster.")})
