from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from ..formatting import STATUS_CLASSES, display, display_change

register = template.Library()


@register.filter
def kpi_value(value, unit):
    """{{ row.value|kpi_value:kpi.unit }}"""
    return display(value, unit)


@register.filter
def kpi_change(value, unit):
    """{{ target.expected_change|kpi_change:kpi.unit }}: signed, a percentage's change in percentage points."""
    return display_change(value, unit)


@register.filter
def status_class(status):
    return STATUS_CLASSES.get(status or "", "")


@register.simple_tag
def enterprise_rows(rows):
    """The office's table of every enterprise's value (hundreds of rows): (name, link, value, badge class, status)
    each, already formatted; written here rather than by a template loop, which takes several times as long."""
    return format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (name, link, value, format_html('<span class="badge {}">{}</span>', badge, status) if status else "")
            for name, link, value, badge, status in rows
        ),
    )


@register.simple_tag
def sparkline(series, width=120, height=28):
    """A small SVG line of (month, value) pairs; gaps where a month has no value."""
    points = [(i, float(v)) for i, (_m, v) in enumerate(series) if v is not None]
    if len(points) < 2:
        return ""
    low, high = min(v for _i, v in points), max(v for _i, v in points)
    span = (high - low) or 1.0
    last = max(len(series) - 1, 1)
    coords = [
        (round(i * (width - 4) / last + 2, 1), round(height - 2 - (v - low) * (height - 4) / span, 1))
        for i, v in points
    ]
    path = format_html_join(" ", "{},{}", coords)
    return mark_safe(
        f'<svg class="sparkline" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-hidden="true"><polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{path}"/></svg>'
    )


@register.filter
def expected_in(period, link: str = "") -> int | str:
    """How many enterprises were expected to report in a value-chain link ("" the cluster) for the period."""
    if period is None:
        return "—"
    return period.coverage(link or "")[1]


@register.simple_tag
def alert_value(alert, office: bool):
    """An alert's value as the reader may see it: the office always; others where the value is published."""
    from django.utils.translation import gettext

    if office or alert.disclosed:
        return kpi_value(alert.value, alert.kpi.unit)
    return gettext("hidden")
