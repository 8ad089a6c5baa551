from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class BenefitKind(models.TextChoices):
    SERVICE_PRIORITY = "service_priority", _("Priority in the shared-services queue")
    FEE_DISCOUNT = "fee_discount", _("Fee discount (%)")
    COFINANCING = "cofinancing", _("Co-financing share of joint projects (%)")
    PROCUREMENT_PRIORITY = "procurement_priority", _("Priority in joint procurement")
    LAB_ACCESS = "lab_access", _("Access to the shared laboratory")


# The benefits measured in percent (a value is required); the others are granted or not.
PERCENT_BENEFITS = frozenset({BenefitKind.FEE_DISCOUNT, BenefitKind.COFINANCING})


class Combine(models.TextChoices):
    ALL = "all", _("All conditions")
    ANY = "any", _("Any condition")


class RuleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")


class Measure(models.TextChoices):
    KPI = "kpi", _("A KPI of the enterprise")
    DISCIPLINE = "discipline", _("Reporting discipline (share of months submitted on time)")
    PROJECTS = "projects", _("Active joint projects")
    ATTENDANCE = "attendance", _("Attendance of the bodies it sits in (share)")
    SEATS = "seats", _("Working-group seats")
    CONTRACTS = "contracts", _("Cooperation contracts in force")
    SERVICES = "services", _("Shared services used")


# Measures that are shares (0–1, shown as %) and counts (whole numbers).
SHARE_MEASURES = frozenset({Measure.DISCIPLINE, Measure.ATTENDANCE})


class Window(models.TextChoices):
    LAST_MONTH = "last_month", _("Last month")
    LAST_QUARTER = "last_quarter", _("Last quarter")
    LAST_12_MONTHS = "last_12_months", _("Last 12 months")
    MONTHS = "months", _("Last N months")


WINDOW_MONTHS = {Window.LAST_MONTH: 1, Window.LAST_QUARTER: 3, Window.LAST_12_MONTHS: 12}


class Comparison(models.TextChoices):
    AT_LEAST = "gte", _("at least")
    AT_MOST = "lte", _("at most")


class Verdict(models.TextChoices):
    MET = "met", _("Met")
    NOT_MET = "not_met", _("Not met")
    INSUFFICIENT = "insufficient", _("Insufficient data")


class Level(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("participation level", "Active")
    STANDARD = "standard", pgettext_lazy("participation level", "Standard")
    PASSIVE = "passive", pgettext_lazy("participation level", "Passive")


class AwardStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


class ReviewState(models.TextChoices):
    OPEN = "open", _("Awaiting the enterprise's answer")
    ANSWERED = "answered", _("Answered")
    DECIDED = "decided", _("Decided")


# A review still under way (the council has not decided).
OPEN_REVIEW_STATES = (ReviewState.OPEN, ReviewState.ANSWERED)


class ReviewOutcome(models.TextChoices):
    KEEP = "keep", _("Keep the award")
    SUSPEND = "suspend", _("Suspend it until the conditions are met again")
    REVOKE = "revoke", _("Revoke it")
