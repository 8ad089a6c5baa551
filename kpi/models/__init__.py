from .catalog import ClusterKpi, DataCollectionRules, DataElement, Kpi
from .data import Correction, DataValue, DataValueChange, Submission
from .periods import ReportingPeriod, add_months, end_of_day, month_key, parse_month

__all__ = [
    "ClusterKpi",
    "Correction",
    "DataCollectionRules",
    "DataElement",
    "DataValue",
    "DataValueChange",
    "Kpi",
    "ReportingPeriod",
    "Submission",
    "add_months",
    "end_of_day",
    "month_key",
    "parse_month",
]
