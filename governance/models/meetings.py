from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.versioning import Versioned

from ..choices import (
    OPEN_ACTION_STATUSES,
    ActionItemStatus,
    BodyKind,
    DecisionKind,
    DecisionOutcome,
    MeetingStatus,
    QuorumRule,
)
from ..scoping import ScopeRule
from .bodies import Body
from .clusters import Cluster

if TYPE_CHECKING:
    from core.scoping import Access
    from core.typing import AnyUser, StrOrPromise


@dataclass(frozen=True)
class Quorum:
    """Attendance against the quorum rule of a meeting."""

    eligible: int
    present: int
    required: int

    @property
    def met(self) -> bool:
        return self.eligible > 0 and self.present >= self.required


def quorum_required(rule: str, eligible: int) -> int:
    if eligible <= 0:
        return 1
    if rule == QuorumRule.TWO_THIRDS:
        return math.ceil(eligible * 2 / 3)
    if rule == QuorumRule.THREE_QUARTERS:
        return math.ceil(eligible * 3 / 4)
    return eligible // 2 + 1


class Meeting(models.Model):
    """A meeting of a body: agenda, attendance (which decides the quorum), minutes, decisions."""

    body = models.ForeignKey(Body, verbose_name=_("body"), on_delete=models.CASCADE, related_name="meetings")
    title = models.CharField(_("title"), max_length=255)
    date = models.DateField(_("date"))
    time = models.TimeField(_("time"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    quorum_rule = models.CharField(
        _("quorum rule"), max_length=16, choices=QuorumRule.choices, default=QuorumRule.MAJORITY
    )
    minutes = models.TextField(_("minutes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_rule = ScopeRule(cluster="body__cluster")

    class Meta:
        ordering = ["-date", "-time", "-pk"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{self.title} ({self.date:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("governance:meeting_detail", args=[self.pk])

    @property
    def cluster_id(self) -> int:
        return self.body.cluster_id

    def quorum(self) -> Quorum:
        """Members of the body on the meeting's date, how many of them attended, how many must."""
        member_ids = set(
            self.body.memberships.filter(start_date__lte=self.date)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=self.date))
            .values_list("person_id", flat=True)
        )
        present = self.attendances.filter(present=True, person_id__in=member_ids).count()
        eligible = len(member_ids)
        return Quorum(eligible=eligible, present=present, required=quorum_required(self.quorum_rule, eligible))


class AgendaItem(models.Model):
    """An item on a meeting's agenda; follow-ups of open action items point to the item they follow."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda_items"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=255)
    notes = models.TextField(_("notes"), blank=True)
    action_item = models.ForeignKey(
        "governance.ActionItem",
        verbose_name=_("follows up action item"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    follow_up = models.CharField(
        _("follows up"),
        max_length=64,
        blank=True,
        help_text=_("What else the item follows up, once per meeting (a roadmap task due: roadmap-task:12)."),
    )

    scope_rule = ScopeRule(cluster="meeting__body__cluster")

    class Meta:
        ordering = ["meeting", "position", "pk"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "action_item"],
                condition=Q(action_item__isnull=False),
                name="agenda_item_follow_up_once",
            ),
            models.UniqueConstraint(
                fields=["meeting", "follow_up"], condition=~Q(follow_up=""), name="agenda_item_other_follow_up_once"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """Whether a person attended a meeting."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendances"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="attendances"
    )
    present = models.BooleanField(_("present"), default=True)

    scope_rule = ScopeRule(cluster="meeting__body__cluster")

    class Meta:
        ordering = ["meeting", "person__last_name", "person__username"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="attendance_once_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.meeting}"


class Decision(models.Model):
    """A decision taken at a meeting, with its votes and outcome; it may spawn action items."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="decisions")
    number = models.CharField(
        _("number"),
        max_length=32,
        blank=True,
        help_text=_("Leave empty: decisions are numbered per body and year, as 2026/14."),
    )
    title = models.CharField(_("title"), max_length=255)
    text = models.TextField(_("text"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=DecisionKind.choices, default=DecisionKind.OPERATIONAL)
    votes_for = models.PositiveIntegerField(_("votes for"), default=0)
    votes_against = models.PositiveIntegerField(_("votes against"), default=0)
    votes_abstain = models.PositiveIntegerField(_("abstentions"), default=0)
    by_consensus = models.BooleanField(
        _("taken by consensus"),
        default=False,
        help_text=_("No votes were counted: the members present agreed. Otherwise enter the votes."),
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=DecisionOutcome.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_rule = ScopeRule(cluster="meeting__body__cluster")

    class Meta:
        ordering = ["-meeting__date", "number", "pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return f"{self.number} {self.title}".strip()

    def get_absolute_url(self) -> str:
        return reverse("governance:decision_detail", args=[self.pk])

    def clean(self) -> None:
        if not self.meeting_id:
            return
        meeting = self.meeting
        if meeting.status == MeetingStatus.CANCELLED:
            raise ValidationError({"meeting": _("The meeting was cancelled: no decision can be taken at it.")})
        if self.kind == DecisionKind.STRATEGIC and meeting.body.kind != BodyKind.COUNCIL:
            raise ValidationError({"kind": _("Strategic decisions are taken by the council.")})
        quorum = meeting.quorum()
        if not quorum.met:
            raise ValidationError(
                {
                    "meeting": _(
                        "The meeting has no quorum (%(present)s of %(eligible)s members present, "
                        "%(required)s needed): no decision can be taken."
                    )
                    % {"present": quorum.present, "eligible": quorum.eligible, "required": quorum.required}
                }
            )
        votes = (self.votes_for or 0) + (self.votes_against or 0) + (self.votes_abstain or 0)
        if self.by_consensus and votes:
            raise ValidationError({"by_consensus": _("A decision taken by consensus has no votes counted.")})
        if not self.by_consensus and not votes:
            # Votes left at zero are not a rejection: the decision says how it was taken.
            raise ValidationError({"votes_for": _("Enter the votes, or mark the decision as taken by consensus.")})
        if self.number:
            same = Decision.objects.filter(meeting__body_id=meeting.body_id, number=self.number).exclude(pk=self.pk)
            if same.exists():
                raise ValidationError({"number": _("The body already has a decision with this number.")})
        if votes > quorum.present:
            raise ValidationError(
                {
                    "votes_for": _("%(votes)s votes were cast but only %(present)s members were present.")
                    % {"votes": votes, "present": quorum.present}
                }
            )

    @staticmethod
    def outcome_for(*, votes_for: int, present: int, by_consensus: bool = False) -> str:
        """Adopted by consensus, or by a majority of the members present."""
        if by_consensus:
            return DecisionOutcome.ADOPTED
        return DecisionOutcome.ADOPTED if votes_for * 2 > present else DecisionOutcome.REJECTED


class ActionItemQuerySet(models.QuerySet):
    def with_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.annotate(
            overdue=Case(
                When(Q(status__in=OPEN_ACTION_STATUSES, deadline__lt=today), then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
        )

    def open(self):
        return self.filter(status__in=OPEN_ACTION_STATUSES)

    def overdue(self, today=None):
        return self.open().filter(deadline__lt=today or timezone.localdate())


def _own_action_items(user: AnyUser, access: Access) -> Q:
    return Q(owner_person=user) | Q(
        owner_group__memberships__person=user, owner_group__memberships__end_date__isnull=True
    )


class ActionItem(Versioned):
    """A task (topshiriq) with one owner, a person or a working group, a deadline and a status."""

    cluster = models.ForeignKey(
        Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="action_items"
    )
    decision = models.ForeignKey(
        Decision,
        verbose_name=_("decision"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action_items",
    )
    body = models.ForeignKey(
        Body,
        verbose_name=_("followed up by"),
        on_delete=models.PROTECT,
        related_name="followed_action_items",
        help_text=_("The body whose meetings review this item: the owning working group or the deciding body."),
    )
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    owner_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner (person)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action_items",
    )
    owner_group = models.ForeignKey(
        Body,
        verbose_name=_("owner (working group)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_action_items",
        limit_choices_to={"kind": BodyKind.WORKING_GROUP},
    )
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=16, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )
    done_on = models.DateField(_("done on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActionItemQuerySet.as_manager()

    # Everyone in the cluster reads action items; the office changes them all and owners their own.
    scope_rule = ScopeRule(cluster="cluster", own=_own_action_items)

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner_person__isnull=False) & Q(owner_group__isnull=True))
                | (Q(owner_person__isnull=True) & Q(owner_group__isnull=False)),
                name="action_item_one_owner",
                violation_error_message=_("An action item has one owner: a person or a working group."),
            ),
            models.CheckConstraint(
                condition=(Q(status=ActionItemStatus.DONE) & Q(done_on__isnull=False))
                | (~Q(status=ActionItemStatus.DONE) & Q(done_on__isnull=True)),
                name="action_item_done_date_iff_done",
                violation_error_message=_("A done action item has a done date, and only a done one."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("governance:actionitem_detail", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return self.status in OPEN_ACTION_STATUSES and self.deadline < timezone.localdate()

    @property
    def owner_name(self) -> str:
        if self.owner_person_id:
            assert self.owner_person is not None  # its id is set
            return self.owner_person.get_full_name() or self.owner_person.username
        return str(self.owner_group) if self.owner_group_id else ""

    def _owner_is_of_cluster(self) -> bool:
        person = self.owner_person
        assert person is not None  # called when the item has an owner person
        return (
            person.cluster_roles.filter(cluster_id=self.cluster_id).exists()
            or person.body_memberships.filter(body__cluster_id=self.cluster_id).exists()
        )

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        has_person, has_group = bool(self.owner_person_id), bool(self.owner_group_id)
        if has_person == has_group:
            errors["owner_person"] = _("An action item has one owner: a person or a working group.")
        if has_person and self.cluster_id and not self._owner_is_of_cluster():
            errors["owner_person"] = _("The owner must be a person of this cluster.")
        if has_group:
            assert self.owner_group is not None  # its id is set
            if self.owner_group.kind != BodyKind.WORKING_GROUP:
                errors["owner_group"] = _("Choose a working group.")
        if self.cluster_id:
            for field in ("body", "owner_group"):
                body = getattr(self, field) if getattr(self, f"{field}_id") else None
                if body is not None and body.cluster_id != self.cluster_id:
                    errors[field] = _("The body must belong to this cluster.")
            if self.decision_id:
                assert self.decision is not None  # its id is set
                if self.decision.meeting.body.cluster_id != self.cluster_id:
                    errors["decision"] = _("The decision must be one of this cluster's.")
        if self.decision_id and self.deadline:
            assert self.decision is not None  # its id is set
            if self.deadline < self.decision.meeting.date:
                errors["deadline"] = _("The deadline cannot be before the meeting (%(date)s).") % {
                    "date": self.decision.meeting.date.isoformat()
                }
        if self.status == ActionItemStatus.DONE and not self.done_on:
            errors["done_on"] = _("Give the date the item was done.")
        if self.status != ActionItemStatus.DONE and self.done_on:
            errors["done_on"] = _("Only a done item has a done date.")
        if self.done_on and self.done_on > timezone.localdate():
            errors["done_on"] = _("The done date cannot be in the future.")
        if errors:
            raise ValidationError(errors)
