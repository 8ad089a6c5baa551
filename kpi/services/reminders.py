"""Reminders of the monthly figures: to the enterprises before their deadline, to the office after it.

Run once a day (by beat or a management command). Each reminder belongs to one day of the cluster's
calendar, in the cluster's time zone: `reminder_days_before` days before the deadline and the
deadline day itself for the representatives of enterprises that have not submitted, the day after the
deadline for the office. A daily run meets each of these days exactly once, so nothing needs to be
recorded to avoid sending twice; the price is that a run that is skipped skips that day's reminders
(they do not pile up) and a second run on the same day sends them again. Schedule the run away from
local midnight so that consecutive runs fall on consecutive days in every cluster.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from governance.choices import Role
from governance.models import Cluster, Enterprise

from ..models import ReportingPeriod
from ..selectors import missing_submissions
from .ingest import collection_rules
from .workflow import representative_emails

DAY = datetime.timedelta(days=1)


def office_emails(cluster: Cluster) -> list[str]:
    """E-mail addresses of the cluster's office staff (an active office role, an active account)."""
    return sorted(
        set(
            get_user_model()
            .objects.filter(
                is_active=True,
                cluster_roles__cluster=cluster,
                cluster_roles__role=Role.OFFICE,
                cluster_roles__is_active=True,
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def _month(period: ReportingPeriod) -> str:
    return formats.date_format(period.month, "YEAR_MONTH_FORMAT")


def _deadline(period: ReportingPeriod) -> str:
    return formats.date_format(period.deadline, "DATE_FORMAT")


def _remind_enterprise(enterprise: Enterprise, period: ReportingPeriod, *, today: datetime.date) -> int:
    """E-mail the enterprise's representatives that its figures of the month are due; 1 if sent."""
    recipients = representative_emails(enterprise)
    if not recipients:
        return 0
    names = {"enterprise": enterprise.name, "month": _month(period), "deadline": _deadline(period)}
    if period.deadline == today:
        subject = _("Today is the deadline for the figures of %(month)s") % names
        lead = _("The figures of %(enterprise)s for %(month)s are due today, %(deadline)s.") % names
    else:
        subject = _("The figures of %(month)s are due on %(deadline)s") % names
        lead = _("The figures of %(enterprise)s for %(month)s are due on %(deadline)s.") % names
    body = lead + "\n\n" + _("They have not been submitted yet: enter them on the platform and submit them.")
    send_mail(subject=subject, message=body, from_email=None, recipient_list=recipients)
    return 1


def _tell_office(period: ReportingPeriod, missing: list[Enterprise]) -> int:
    """E-mail the office one list of the enterprises whose figures are still missing; 1 if sent."""
    recipients = office_emails(period.cluster)
    if not missing or not recipients:
        return 0
    names = {"count": len(missing), "month": _month(period), "deadline": _deadline(period)}
    subject = (
        ngettext(
            "%(count)s enterprise has not submitted the figures of %(month)s",
            "%(count)s enterprises have not submitted the figures of %(month)s",
            len(missing),
        )
        % names
    )
    lines = [f"- {e.name} ({e.taxpayer_id})" for e in missing]
    body = _("The deadline for %(month)s passed on %(deadline)s. These figures are still missing:") % names
    send_mail(subject=subject, message=body + "\n\n" + "\n".join(lines), from_email=None, recipient_list=recipients)
    return 1


def _cluster_reminders(cluster: Cluster, now: datetime.datetime) -> int:
    today = cluster.today(now)
    ahead = today + datetime.timedelta(days=collection_rules(cluster).reminder_days_before)
    sent = 0
    for period in ReportingPeriod.objects.filter(cluster=cluster, deadline__in={today, ahead, today - DAY}):
        period.cluster = cluster
        missing = list(missing_submissions(period=period, now=now))
        if period.deadline == today - DAY:
            sent += _tell_office(period, missing)
        else:
            sent += sum(_remind_enterprise(enterprise, period, today=today) for enterprise in missing)
    return sent


def data_reminders(*, now: datetime.datetime | None = None) -> int:
    """Send the day's reminders of every cluster (see the module docstring); returns the e-mails sent."""
    now = now or timezone.now()
    return sum(_cluster_reminders(cluster, now) for cluster in Cluster.objects.all())
