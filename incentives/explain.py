"""Every result explains itself, in the reader's language: what was measured over which window against which
threshold, and for a condition not met the distance to it ("Defect rate 3.6 % over the last quarter; the package
asks at most 3.0 %: 0.6 p.p. to go")."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from kpi.choices import Unit
from kpi.formatting import display

from .choices import SHARE_MEASURES, Comparison, Measure, Verdict, Window
from .models import Condition, ConditionResult


def _unit(condition: Condition) -> str | None:
    if condition.measure == Measure.KPI and condition.kpi is not None:
        return condition.kpi.unit
    if condition.measure in SHARE_MEASURES:
        return Unit.PERCENT
    return None  # a count


def figure(value, condition: Condition) -> str:
    """A measured value or a threshold as people read it."""
    if value is None:
        return "—"
    unit = _unit(condition)
    if unit is None:
        return number_format(int(value), use_l10n=True, force_grouping=True)
    return display(value, unit)


def distance(measured: Decimal, threshold: Decimal, condition: Condition) -> str:
    """How far a measured value is from its threshold: percentage points for a percentage, else in its own unit."""
    gap = abs(measured - threshold)
    unit = _unit(condition)
    if unit == Unit.PERCENT:
        points = number_format(round(gap * 100, 1), decimal_pos=1, use_l10n=True)
        return _("%(points)s p.p.") % {"points": points}
    return figure(gap, condition)


def subject(condition: Condition) -> str:
    if condition.measure == Measure.KPI and condition.kpi is not None:
        return str(condition.kpi.label)
    return str(condition.get_measure_display())


def window(condition: Condition) -> str:
    """The window as a sentence says it ("over the last quarter")."""
    if condition.window == Window.MONTHS:
        return _("the last %(n)s months") % {"n": condition.months}
    if condition.window == Window.LAST_MONTH:
        return _("the last month")
    if condition.window == Window.LAST_12_MONTHS:
        return _("the last 12 months")
    return _("the last quarter")


def asks(condition: Condition, threshold: Decimal, comparison: str) -> str:
    shown = figure(threshold, condition)
    if comparison == Comparison.AT_LEAST:
        return _("at least %(threshold)s") % {"threshold": shown}
    return _("at most %(threshold)s") % {"threshold": shown}


def explain(result: ConditionResult) -> str:
    condition = result.condition
    facts = {
        "what": subject(condition),
        "window": window(condition),
        "value": figure(result.measured, condition),
        "asks": asks(condition, result.threshold, result.comparison),
        "counted": result.months_counted,
        "expected": result.months_expected,
    }
    if result.verdict == Verdict.INSUFFICIENT or result.measured is None:
        return (
            _(
                "%(what)s over %(window)s: not enough final figures (%(counted)s of %(expected)s months); the package "
                "asks %(asks)s."
            )
            % facts
        )
    if result.verdict == Verdict.MET:
        return _("%(what)s %(value)s over %(window)s; the package asks %(asks)s: met.") % facts
    facts["distance"] = distance(result.measured, result.threshold, condition)
    return _("%(what)s %(value)s over %(window)s; the package asks %(asks)s: %(distance)s to go.") % facts
