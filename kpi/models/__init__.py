from .catalog import ClusterKpi, DataCollectionRules, DataElement, Kpi
from .data import Correction, DataValue, DataValueChange, Submission
from .periods import MonthRun, ReportingPeriod, Span, add_months, end_of_day, month_key, parse_month
from .values import Alert, AlertContributor, KpiComputation, KpiValue, PendingComputation

__all__ = [
    "Alert",
    "AlertContributor",
    "KpiComputation",
    "KpiValue",
    "ClusterKpi",
    "Correction",
    "DataCollectionRules",
    "DataElement",
    "DataValue",
    "DataValueChange",
    "Kpi",
    "PendingComputation",
    "ReportingPeriod",
    "MonthRun",
    "Span",
    "Submission",
    "add_months",
    "end_of_day",
    "month_key",
    "parse_month",
]
