"""Reporting periods: the months a cluster collects figures for, with their deadline and lock date."""

from __future__ import annotations

import calendar
import datetime
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.models import Cluster
from governance.scoping import ScopeRule

from ..choices import PeriodKind, PeriodStatus

if TYPE_CHECKING:
    from core.typing import StrOrPromise


def month_key(month: datetime.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def parse_month(key: str) -> datetime.date:
    """ "2026-03" -> date(2026, 3, 1); ValueError for anything else."""
    if not isinstance(key, str) or len(key) != 7 or key[4] != "-":
        raise ValueError(key)
    year, month = int(key[:4]), int(key[5:])
    return datetime.date(year, month, 1)


def add_months(month: datetime.date, months: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Span:
    """A month or a quarter that KPIs are computed for: its key ("2026-03", "2026-Q1") and its months."""

    kind: str
    start: datetime.date

    @classmethod
    def parse(cls, key: str) -> Span:
        """ "2026-03" or "2026-Q1"; ValueError for anything else."""
        if isinstance(key, str) and len(key) == 7 and key[4:6] == "-Q" and key[6] in "1234" and key[:4].isdigit():
            return cls.quarter_of(datetime.date(int(key[:4]), 3 * int(key[6]) - 2, 1))
        return cls(PeriodKind.MONTH, parse_month(key))

    @classmethod
    def month(cls, month: datetime.date) -> Span:
        return cls(PeriodKind.MONTH, month.replace(day=1))

    @classmethod
    def quarter_of(cls, month: datetime.date) -> Span:
        return cls(PeriodKind.QUARTER, datetime.date(month.year, 3 * ((month.month - 1) // 3) + 1, 1))

    @property
    def is_quarter(self) -> bool:
        return self.kind == PeriodKind.QUARTER

    @property
    def months(self) -> tuple[datetime.date, ...]:
        return tuple(add_months(self.start, i) for i in range(3 if self.is_quarter else 1))

    @property
    def key(self) -> str:
        if self.is_quarter:
            return f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"
        return month_key(self.start)

    @property
    def end(self) -> datetime.date:
        """The last day of the span."""
        return add_months(self.months[-1], 1) - datetime.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def year_before(self) -> Span:
        return Span(self.kind, self.start.replace(year=self.start.year - 1))

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True)
class MonthRun(Span):
    """Any run of whole months ending with a month: the windows other elements read KPIs over (incentives: the last
    12 months, the last N months). The KPI's own rule applies over it as over a quarter: flows summed, stocks
    averaged, ratios of sums, and no value where a month is missing. Never stored: its key is not a period's."""

    count: int = 1

    @classmethod
    def ending(cls, last: datetime.date, count: int) -> MonthRun:
        return cls("run", add_months(last.replace(day=1), 1 - count), count)

    @property
    def is_quarter(self) -> bool:
        return False

    @property
    def months(self) -> tuple[datetime.date, ...]:
        return tuple(add_months(self.start, i) for i in range(self.count))

    @property
    def key(self) -> str:
        return f"{month_key(self.start)}+{self.count}"

    @property
    def year_before(self) -> MonthRun:
        return MonthRun(self.kind, self.start.replace(year=self.start.year - 1), self.count)


def end_of_day(day: datetime.date, tz: str) -> datetime.datetime:
    """The first instant after `day` in the time zone `tz`: a deadline "on the 10th" ends here."""
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, zoneinfo.ZoneInfo(tz))


class ReportingPeriod(models.Model):
    """One month of a cluster's data collection. Quarters are derived from their months.

    Figures are due by the end of `deadline` and may change until the end of `lock_date`, both in
    the cluster's time zone; after that only an approved correction changes them.
    """

    cluster = models.ForeignKey(Cluster, verbose_name=_("cluster"), on_delete=models.CASCADE, related_name="periods")
    month = models.DateField(_("month"), help_text=_("The first day of the month reported on."))
    deadline = models.DateField(_("deadline"))
    lock_date = models.DateField(_("lock date"))
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    scope_rule = ScopeRule(cluster="cluster")

    class Meta:
        ordering = ["cluster", "-month"]
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "month"],
                name="period_month_unique_in_cluster",
                violation_error_message=_("This month is already open for the cluster."),
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="period_month_first_day",
                violation_error_message=_("A reporting period starts on the first day of a month."),
            ),
            models.CheckConstraint(
                condition=Q(deadline__gt=F("month")) & Q(lock_date__gte=F("deadline")),
                name="period_dates_in_order",
                violation_error_message=_(
                    "The deadline falls after the month and the lock date on or after the deadline."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def get_absolute_url(self) -> str:
        return reverse("kpi:period_detail", args=[self.pk])

    @property
    def key(self) -> str:
        return month_key(self.month)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.month.year, self.month.month)[1]

    @property
    def time_zone(self) -> str:
        return self.cluster.time_zone

    @property
    def deadline_at(self) -> datetime.datetime:
        return end_of_day(self.deadline, self.time_zone)

    @property
    def locks_at(self) -> datetime.datetime:
        return end_of_day(self.lock_date, self.time_zone)

    def status_at(self, now: datetime.datetime | None = None) -> str:
        now = now or timezone.now()
        if now >= self.locks_at:
            return PeriodStatus.LOCKED
        if now >= self.deadline_at:
            return PeriodStatus.CLOSED
        return PeriodStatus.OPEN

    @property
    def status(self) -> str:
        return self.status_at()

    def get_status_display(self) -> StrOrPromise:
        return PeriodStatus(self.status).label

    def is_locked(self, now: datetime.datetime | None = None) -> bool:
        return self.status_at(now) == PeriodStatus.LOCKED

    def on_time(self, at: datetime.datetime) -> bool:
        return at < self.deadline_at

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": _("A reporting period starts on the first day of a month.")})
