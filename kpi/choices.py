"""The closed vocabularies of the kpi element. Values are the API's; labels are translated."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Aggregation(models.TextChoices):
    FLOW = "flow", _("Flow (summed over months)")
    STOCK = "stock", _("Stock (averaged over months)")


class ValueType(models.TextChoices):
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Number")


class ElementGroup(models.TextChoices):
    PRODUCTION = "production", _("Production")
    QUALITY = "quality", _("Quality")
    LOGISTICS = "logistics", _("Logistics")
    COOPERATION = "cooperation", _("Cooperation")
    PEOPLE = "people", _("People")
    EXPORT = "export", _("Export")


class Unit(models.TextChoices):
    THOUSAND_UZS = "thousand_uzs", _("thousand UZS")
    UZS = "uzs", _("UZS")
    USD = "usd", _("USD")
    UNITS = "units", _("units")
    SHIPMENTS = "shipments", _("shipments")
    DAYS = "days", _("days")
    CONTRACTS = "contracts", _("contracts")
    PEOPLE = "people", _("people")
    PERCENT = "percent", _("%")
    UZS_PER_EMPLOYEE = "uzs_per_employee", _("thousand UZS per employee")
    COUNT = "count", _("count")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed (past the deadline)")
    LOCKED = "locked", _("Locked")


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("submission status", "Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")
    LOCKED = "locked", _("Locked")


# Statuses in which the enterprise itself may still change its figures.
ENTERPRISE_EDITABLE = (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED)


class Channel(models.TextChoices):
    FORM = "form", _("Form")
    EXCEL = "excel", _("Excel upload")
    API = "api", _("API")
    CORRECTION = "correction", _("Approved correction")
    SYSTEM = "system", _("System")


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Timeliness(models.TextChoices):
    ON_TIME = "on_time", _("On time")
    LATE = "late", _("Late")
    MISSING = "missing", _("Missing")
    PENDING = "pending", _("Not yet due")


class KpiSource(models.TextChoices):
    DATA = "data", _("Enterprises' monthly figures")
    PLATFORM = "platform", _("The platform's own records")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")


class Scope(models.TextChoices):
    CLUSTER = "cluster", _("Cluster")
    LINK = "link", _("Value-chain link")
    ENTERPRISE = "enterprise", _("Enterprise")


class KpiStatus(models.TextChoices):
    # Words that hold for both directions (for a cost, "below target" would read wrong above its target); the
    # codes stay, "below" meaning worse.
    ON_TARGET = "on_target", _("Target met")
    BELOW_TARGET = "below_target", _("Target missed")
    BELOW_MINIMUM = "below_minimum", _("Minimum breached")


# The status of a value that is not judged: no value, no target and no minimum, or a scope the office does not
# compare (KpiValue.status is blank then).
NO_STATUS = ""


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Disclosure(models.TextChoices):
    """Whether a cluster or link value is published to everyone in the cluster, and if not, why."""

    PUBLISHED = "", _("Published")
    FEW = "few", _("Too few enterprises")
    DOMINATED = "dominated", _("One or two enterprises make up most of it")
    COMPLEMENT = "complement", _("Hidden so that another hidden value cannot be worked out")
    PROVISIONAL = "provisional", _("A sum or growth shown once the period is locked")


class Trigger(models.TextChoices):
    """What asked for a computation of KPI values (KpiComputation, PendingComputation)."""

    CHANGE = "change", _("Figures changed")
    SUBMISSION = "submission", _("A submission")
    APPROVAL = "approval", _("An approval")
    RETURN = "return", _("A submission returned")
    LINK = "link", _("An enterprise moved to another link")
    SETTINGS = "settings", _("Settings changed")
    OFFICE = "office", _("The office")
    API = "api", _("The API")
    SCHEDULE = "schedule", _("The nightly job")
    SWEEP = "sweep", _("The sweep of pending computations")
    MANUAL = "manual", _("By hand")
    DEMO = "demo", _("The demo loader")
