"""Writes of the kpi element. Each service validates, writes in one transaction, returns the result."""

from .aggregation import (
    counted_statuses,
    kpi_history_spans,
    kpi_status,
    kpi_values_changed,
    kpi_values_compute,
    kpi_values_compute_due,
    kpi_values_compute_history,
    kpi_values_due,
    kpi_values_recompute,
)
from .alerts import alert_to_action_item, alert_working_group, alerts_update, shortfalls
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
    "alert_to_action_item",
    "alert_working_group",
    "alerts_update",
    "cluster_kpis_ensure",
    "cluster_kpis_save",
    "cluster_today",
    "collection_rules",
    "collection_rules_save",
    "correction_decide",
    "correction_request",
    "counted_statuses",
    "data_reminders",
    "data_values_write",
    "is_office",
    "kpi_status",
    "kpi_values_changed",
    "kpi_values_compute",
    "kpi_values_compute_due",
    "kpi_values_compute_history",
    "kpi_history_spans",
    "kpi_values_due",
    "kpi_values_recompute",
    "office_emails",
    "period_dates",
    "period_open",
    "periods_open_due",
    "representative_emails",
    "shortfalls",
    "submission_approve",
    "submission_get_or_create",
    "submission_problems",
    "submission_return",
    "submission_submit",
    "submissions_lock",
    "writable_enterprise_ids",
]
