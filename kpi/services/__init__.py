"""Writes of the kpi element. Each service validates, writes in one transaction, returns the result."""

from .ingest import WriteResult, collection_rules, data_values_write, is_office, writable_enterprise_ids
from .periods import cluster_today, period_dates, period_open, periods_open_due, submissions_lock
from .reminders import data_reminders, office_emails
from .setup import (
    KpiSetting,
    active_data_elements,
    active_kpis_warning,
    cluster_kpis_ensure,
    cluster_kpis_save,
    collection_rules_save,
)
from .workflow import (
    correction_decide,
    correction_request,
    representative_emails,
    submission_approve,
    submission_get_or_create,
    submission_problems,
    submission_return,
    submission_submit,
)

__all__ = [
    "KpiSetting",
    "WriteResult",
    "active_data_elements",
    "active_kpis_warning",
    "cluster_kpis_ensure",
    "cluster_kpis_save",
    "cluster_today",
    "collection_rules",
    "collection_rules_save",
    "correction_decide",
    "correction_request",
    "data_reminders",
    "data_values_write",
    "is_office",
    "office_emails",
    "period_dates",
    "period_open",
    "periods_open_due",
    "representative_emails",
    "submission_approve",
    "submission_get_or_create",
    "submission_problems",
    "submission_return",
    "submission_submit",
    "submissions_lock",
    "writable_enterprise_ids",
]
