"""Gate criteria and their results as people read them, in the reader's language."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from kpi.choices import Unit
from kpi.formatting import display

from .choices import Comparison, GateMeasure


def _figure(value, criterion) -> str:
    if value is None:
        return "—"
    if criterion.kpi_id and criterion.kpi is not None:
        if criterion.measure == GateMeasure.KPI_TREND and criterion.kpi.unit == Unit.PERCENT:
            points = number_format(round(Decimal(value) * 100, 1), decimal_pos=1, use_l10n=True)
            return _("%(points)s p.p.") % {"points": points}
        return display(Decimal(value), criterion.kpi.unit)
    return number_format(int(Decimal(value)), use_l10n=True, force_grouping=True)


def criterion_text(criterion) -> str:
    """ "Active working groups: at least 3" (the threshold as set; a KPI against its target says so)."""
    what = str(criterion.get_measure_display())
    if criterion.kpi_id and criterion.kpi is not None:
        what = f"{what}: {criterion.kpi.label}"
    if criterion.measure == GateMeasure.KPI_TARGET and criterion.threshold is None:
        return what
    threshold = _figure(criterion.threshold, criterion)
    asks = _("at least %(threshold)s") if criterion.comparison == Comparison.AT_LEAST else _("at most %(threshold)s")
    return f"{what} — {asks % {'threshold': threshold}}"


def measured_text(result) -> str:
    """ "4; asks at least 3" for a stored result (its threshold as read: a KPI's target at the time)."""
    return _measured(result.criterion, result.measured, result.threshold, result.comparison)


def frozen_text(row: dict, criterion) -> str:
    """The same for a criterion frozen in a gate decision's snapshot."""
    return _measured(criterion, row.get("measured"), row.get("threshold"), row.get("comparison", "gte"))


def _measured(criterion, measured, threshold, comparison) -> str:
    shown = _figure(measured, criterion)
    if threshold is None:
        return _("%(value)s; no threshold (the KPI has no target)") % {"value": shown}
    asked = _figure(threshold, criterion)
    if comparison == Comparison.AT_LEAST:
        return _("%(value)s; asks at least %(threshold)s") % {"value": shown, "threshold": asked}
    return _("%(value)s; asks at most %(threshold)s") % {"value": shown, "threshold": asked}
