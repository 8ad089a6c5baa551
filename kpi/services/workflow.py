"""The life of a submission (draft → submitted → returned or approved → locked) and of corrections."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.events import Event, emit
from core.versioning import StaleVersion
from governance.choices import NotificationKind
from governance.notifications import notify
from governance.scoping import require_office

from ..choices import ENTERPRISE_EDITABLE, Channel, CorrectionStatus, PeriodStatus, SubmissionStatus, Trigger
from ..models import Correction, DataValue, Submission
from ..validation import Row, history_for, soft_warnings
from .ingest import (
    WriteResult,
    collection_rules,
    data_values_write,
    lock_enterprises,
    writable_enterprise_ids,
)
from .scheduling import kpi_values_changed
from .setup import active_data_elements

if TYPE_CHECKING:
    from core.typing import User


@dataclass
class MonthlySave:
    """What saving the monthly form did: the write's result, whether it was refused as stale (nothing written),
    and what stands in the way of submitting (the figures are then saved as a draft)."""

    result: WriteResult | None = None
    stale: bool = False
    submitted: bool = False
    submit_problems: dict[str, list[str]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)  # codes of the figures still empty
    unexplained: list[str] = field(default_factory=list)  # codes of the unusual figures without a comment


@transaction.atomic
def monthly_figures_save(
    *,
    enterprise,
    period,
    user: User,
    rows: list[dict],
    expected_version: int,
    submit: bool = False,
    now: datetime.datetime | None = None,
) -> MonthlySave:
    """Save one enterprise's month from the monthly form, and submit it if asked: one transaction.

    `expected_version` is the submission's edit version the form was loaded with (0: none yet). If someone
    changed the month's figures or its status since, nothing is written (`stale`): the form shows what changed.
    """
    lock_enterprises([enterprise.pk])  # the month's writers take turns; the version read below stays true
    current = (
        Submission.objects.filter(enterprise=enterprise, period=period).values_list("lock_version", flat=True).first()
    )
    if (current or 0) != expected_version:
        return MonthlySave(stale=True)
    result = data_values_write(cluster=period.cluster, user=user, rows=rows, channel=Channel.FORM, atomic=True, now=now)
    saved = MonthlySave(result=result)
    if result.ok and submit:
        submission = submission_get_or_create(enterprise=enterprise, period=period)
        try:
            submission_submit(submission=submission, user=user, now=now)
        except ValidationError as error:
            saved.submit_problems = error.message_dict
            missing, unexplained = submission_problems(submission=submission)
            saved.missing, saved.unexplained = list(missing), list(unexplained)
        else:
            saved.submitted = True
    return saved


def submission_get_or_create(*, enterprise, period) -> Submission:
    submission, _created = Submission.objects.get_or_create(
        enterprise=enterprise, period=period, defaults={"cluster_id": enterprise.cluster_id}
    )
    return submission


def submission_problems(*, submission: Submission) -> tuple[dict[str, str], dict[str, str]]:
    """What stands in the way of submitting: (missing figures by element code, unexplained warnings by code)."""
    elements = active_data_elements(cluster=submission.period.cluster)
    values = {
        v.data_element_id: v
        for v in DataValue.objects.filter(enterprise=submission.enterprise, period=submission.period)
    }
    missing = {
        e.code: _("Enter this figure (0 where there was none).")
        for e in elements
        if values.get(e.pk) is None or values[e.pk].value is None
    }
    rows = [
        Row(i, submission.enterprise_id, submission.period_id, submission.period.month, e, values[e.pk].value)
        for i, e in enumerate(elements)
        if e.pk in values and values[e.pk].value is not None
    ]
    rules = collection_rules(submission.period.cluster)
    history = history_for(
        cluster_id=submission.cluster_id,
        enterprise_ids=[submission.enterprise_id],
        element_ids=[r.element_id for r in rows],
        first=submission.period.month,
        last=submission.period.month,
        months=rules.history_months,
    )
    unexplained = {}
    by_index = {row.index: row for row in rows}  # an index counts every element, missing ones too
    for warning in soft_warnings(rows, history, threshold=rules.deviation_threshold, months=rules.history_months):
        row = by_index[warning.row]
        if not values[row.element_id].comment.strip():
            unexplained[row.element.code] = warning.message
    return missing, unexplained


def representative_emails(enterprise) -> list[str]:
    """E-mail addresses of the people who report for the enterprise."""
    return sorted(
        set(
            enterprise.representatives.filter(is_active=True, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def representative_users(enterprise) -> list[int]:
    """The people (user ids) who report for the enterprise."""
    return sorted(
        set(enterprise.representatives.filter(is_active=True, user__is_active=True).values_list("user_id", flat=True))
    )


def _notify_representatives(submission: Submission, subject: str, body: str) -> None:
    recipients = representative_emails(submission.enterprise)
    if recipients:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)


@transaction.atomic
def submission_submit(*, submission: Submission, user: User, now: datetime.datetime | None = None) -> Submission:
    """Hand the month's figures to the office: every active figure filled, unusual values explained."""
    # The enterprise first, as every write of its figures takes it: a write under way finishes before the
    # submission is judged, and none starts on a status read before the submission changes it.
    lock_enterprises([submission.enterprise_id])
    submission = (
        Submission.objects.select_for_update().select_related("period__cluster", "enterprise").get(pk=submission.pk)
    )
    now = now or timezone.now()  # read once the locks are held: the month may have locked while this waited
    if submission.enterprise_id not in writable_enterprise_ids(
        user, submission.period.cluster, [submission.enterprise_id]
    ):
        raise PermissionDenied
    if submission.period.is_locked(now):
        raise ValidationError(_("This month is locked: its figures change only through a correction."))
    if submission.status not in ENTERPRISE_EDITABLE:
        raise ValidationError(_("Only a draft or a returned submission can be submitted."))
    missing, unexplained = submission_problems(submission=submission)
    if missing or unexplained:
        raise ValidationError({**missing, **unexplained})
    if submission.submitted_at is None:
        # Timeliness is measured on the first submission; a return and resubmission does not reset it.
        submission.submitted_at = now
        submission.on_time = submission.period.on_time(now)
    submission.status = SubmissionStatus.SUBMITTED
    submission.submitted_by = user
    submission.returned_reason = ""
    submission.save()
    _announce(submission, Event.FIGURES_SUBMITTED)
    if collection_rules(submission.period.cluster).count_submitted:
        # The cluster counts submitted figures: a computed month now counts these too.
        kpi_values_changed(
            cluster_id=submission.cluster_id, months=[submission.period.month], trigger=Trigger.SUBMISSION
        )
    return submission


def _office_decision(
    submission: Submission, user: User, now: datetime.datetime | None, expected_version: int | None
) -> tuple[Submission, datetime.datetime]:
    """The submission locked and read again, and the time of the decision (read once the locks are held: the month
    may have locked while this waited)."""
    # The enterprise first, as every write of its figures takes it: the office decides on figures no write is
    # still changing, and the version it compares is the one those writes left.
    lock_enterprises([submission.enterprise_id])
    submission = (
        Submission.objects.select_for_update().select_related("period__cluster", "enterprise").get(pk=submission.pk)
    )
    now = now or timezone.now()
    require_office(user, submission.period.cluster)
    if submission.period.is_locked(now):
        raise ValidationError(_("This month is locked: its figures change only through a correction."))
    if expected_version is not None and submission.lock_version != expected_version:
        # The office decides on the figures it saw: approving others that came in meanwhile is refused.
        raise StaleVersion(submission)
    return submission, now


@transaction.atomic
def submission_approve(
    *, submission: Submission, user: User, now: datetime.datetime | None = None, expected_version: int | None = None
) -> Submission:
    """Approve submitted figures; with `expected_version`, only those the office saw (else nothing is done)."""
    submission = _approve(submission, user, now, expected_version)
    kpi_values_changed(cluster_id=submission.cluster_id, months=[submission.period.month], trigger=Trigger.APPROVAL)
    return submission


@transaction.atomic
def submission_return(
    *,
    submission: Submission,
    user: User,
    reason: str,
    now: datetime.datetime | None = None,
    expected_version: int | None = None,
) -> Submission:
    """Send the figures back to the enterprise with the reason; its representatives are told by e-mail."""
    submission = _return(submission, user, _return_reason(reason), now, expected_version)
    # Returned figures stop counting: a computed month that counted them is recomputed.
    kpi_values_changed(cluster_id=submission.cluster_id, months=[submission.period.month], trigger=Trigger.RETURN)
    return submission


@transaction.atomic
def submissions_decide(
    *,
    decision: str,
    chosen: list[tuple[Submission, int]],
    user: User,
    reason: str = "",
    now: datetime.datetime | None = None,
) -> list[Submission]:
    """The office's queue: approve, or return with one reason, several submissions at once, each on the version the
    office saw. All or none: one that cannot be decided (changed meanwhile, no longer waiting, its month locked)
    leaves every other as it was, and the error names it. The months are computed again once, together."""
    if decision not in (APPROVE, RETURN):
        raise ValueError(decision)
    if not chosen:
        raise ValidationError(_("Choose at least one submission."))
    if decision == RETURN:
        reason = _return_reason(reason)
    # Every enterprise at once, in id order, so two offices deciding overlapping sets never wait in a circle.
    lock_enterprises({submission.enterprise_id for submission, _version in chosen})
    decided = []
    for submission, version in sorted(chosen, key=lambda pair: pair[0].pk):
        try:
            if decision == APPROVE:
                decided.append(_approve(submission, user, now, version))
            else:
                decided.append(_return(submission, user, reason, now, version))
        except ValidationError as error:
            raise ValidationError(
                _("%(enterprise)s, %(month)s: %(problem)s Nothing was changed.")
                % {
                    "enterprise": submission.enterprise.name,
                    "month": submission.period.key,
                    "problem": " ".join(error.messages),
                }
            ) from error
    by_cluster: dict[int, set[datetime.date]] = {}
    for submission in decided:
        by_cluster.setdefault(submission.cluster_id, set()).add(submission.period.month)
    trigger = Trigger.APPROVAL if decision == APPROVE else Trigger.RETURN
    for cluster_id, months in by_cluster.items():
        kpi_values_changed(cluster_id=cluster_id, months=sorted(months), trigger=trigger)
    return decided


APPROVE, RETURN = "approve", "return"


def _announce(submission: Submission, event: str) -> None:
    emit(
        cluster_id=submission.cluster_id,
        event=event,
        data={
            "submission": submission.pk,
            "enterprise": submission.enterprise.taxpayer_id,
            "period": submission.period.key,
            "status": submission.status,
        },
    )


def _return_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the figures go back, so the enterprise knows what to fix.")})
    return reason


def _approve(
    submission: Submission, user: User, now: datetime.datetime | None, expected_version: int | None
) -> Submission:
    submission, now = _office_decision(submission, user, now, expected_version)
    if submission.status != SubmissionStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted submission can be approved."))
    submission.status = SubmissionStatus.APPROVED
    submission.decided_at, submission.decided_by = now, user
    submission.save()
    _announce(submission, Event.FIGURES_APPROVED)
    return submission


def _return(
    submission: Submission, user: User, reason: str, now: datetime.datetime | None, expected_version: int | None
) -> Submission:
    submission, now = _office_decision(submission, user, now, expected_version)
    if submission.status not in (SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED):
        raise ValidationError(_("Only a submitted or approved submission can be returned."))
    submission.status = SubmissionStatus.RETURNED
    submission.returned_reason = reason
    submission.decided_at, submission.decided_by = now, user
    submission.save()
    _announce(submission, Event.FIGURES_RETURNED)
    subject = _("Your figures for %(month)s were returned") % {"month": submission.period.key}
    body = _(
        "The cluster office returned the figures of %(enterprise)s for %(month)s:\n\n%(reason)s\n\n"
        "Correct them and submit again."
    ) % {"enterprise": submission.enterprise.name, "month": submission.period.key, "reason": reason}
    transaction.on_commit(lambda: _notify_representatives(submission, subject, body))
    notify(
        cluster_id=submission.cluster_id,
        recipients=representative_users(submission.enterprise),
        kind=NotificationKind.SUBMISSION_RETURNED,
        key=f"{submission.pk}:{submission.lock_version}",
        facts={"enterprise": submission.enterprise.name, "month": submission.period.key, "reason": reason},
        url=reverse("kpi:report_form", args=[submission.enterprise_id, submission.period.key]),
    )
    return submission


# --- Corrections of locked months -------------------------------------------------------------------


@transaction.atomic
def correction_request(*, correction: Correction, user: User, now: datetime.datetime | None = None) -> Correction:
    """Ask the office to change a figure of a locked month."""
    now = now or timezone.now()
    if correction.enterprise_id not in writable_enterprise_ids(
        user, correction.enterprise.cluster, [correction.enterprise_id]
    ):
        raise PermissionDenied
    if correction.period.status_at(now) != PeriodStatus.LOCKED:
        raise ValidationError({"period": _("This month is not locked: change the figure in the form.")})
    correction.cluster_id = correction.enterprise.cluster_id
    correction.requested_by = user
    correction.status = CorrectionStatus.PENDING
    correction.full_clean()
    correction.save()
    return correction


@transaction.atomic
def correction_decide(
    *, correction: Correction, user: User, approve: bool, note: str = "", now: datetime.datetime | None = None
) -> Correction:
    """Approve (the figure changes, recorded through the "correction" channel) or reject a correction."""
    now = now or timezone.now()
    correction = (
        Correction.objects.select_for_update()
        .select_related("enterprise", "period__cluster", "data_element")
        .get(pk=correction.pk)
    )
    require_office(user, correction.period.cluster)
    if correction.status != CorrectionStatus.PENDING:
        raise ValidationError(_("This correction was already decided."))
    if approve:
        result = data_values_write(
            cluster=correction.period.cluster,
            user=user,
            rows=[
                {
                    "enterprise": correction.enterprise.taxpayer_id,
                    "period": correction.period.key,
                    "data_element": correction.data_element.code,
                    "value": correction.value,
                }
            ],
            channel=Channel.CORRECTION,
            atomic=True,
            now=now,
        )
        if result.conflicts:
            raise ValidationError({"value": [p.message for p in result.conflicts]})
    correction.status = CorrectionStatus.APPROVED if approve else CorrectionStatus.REJECTED
    correction.decided_by, correction.decided_at, correction.decision_note = user, now, note.strip()
    correction.save()
    return correction
