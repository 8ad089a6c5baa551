"""Plotly figures of the KPI dashboards, built from selector output; pages load plotly.min.js locally."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.figures import Figure, trace

from .choices import Unit
from .formatting import STATUS_COLOURS, scaled


def _html(figure: Figure, height: int = 320) -> str:
    return figure.html(height, legend={"orientation": "h", "y": -0.15})


def _unit_suffix(kpi) -> str:
    return " %" if kpi.unit == Unit.PERCENT else ""


def kpi_trend(detail) -> str:
    """The monthly line with the target and the minimum."""
    kpi, setting = detail.kpi, detail.setting
    if not detail.months:
        return ""
    x = [v.period_start for v in detail.months]
    figure = Figure(
        trace(
            "scatter",
            x=x,
            y=[scaled(v.value, kpi.unit) for v in detail.months],
            mode="lines+markers",
            name=_("Cluster"),
            marker={"color": [STATUS_COLOURS[v.status] for v in detail.months], "size": 8},
            line={"color": "#455a64"},
        )
    )
    for threshold, name, dash in ((setting.target, _("Target"), "dash"), (setting.minimum, _("Minimum"), "dot")):
        if threshold is not None:
            figure.add_trace(
                trace(
                    "scatter",
                    x=[x[0], x[-1]],
                    y=[scaled(threshold, kpi.unit)] * 2,
                    mode="lines",
                    name=str(name),
                    line={"dash": dash, "color": "#2e7d32" if dash == "dash" else "#c62828"},
                )
            )
    figure.update_layout(title=_("Month by month") + _unit_suffix(kpi))
    return _html(figure)


def kpi_quarters(detail) -> str:
    kpi = detail.kpi
    if not detail.quarters:
        return ""
    figure = Figure(
        trace(
            "bar",
            x=[v.period for v in detail.quarters],
            y=[scaled(v.value, kpi.unit) for v in detail.quarters],
            marker={"color": [STATUS_COLOURS[v.status] for v in detail.quarters]},
        )
    )
    figure.update_layout(title=_("Quarter by quarter") + _unit_suffix(kpi))
    return _html(figure, 280)


def kpi_by_link(detail, labels: dict) -> str:
    """One line per value-chain link over time."""
    kpi = detail.kpi
    if not any(v.value is not None for rows in detail.link_series.values() for v in rows):
        return ""  # no axes without a line: nothing to read
    figure = Figure()
    for link, rows in detail.link_series.items():
        figure.add_trace(
            trace(
                "scatter",
                x=[v.period_start for v in rows],
                y=[scaled(v.value, kpi.unit) for v in rows],
                mode="lines+markers",
                name=str(labels.get(link, link)),
            )
        )
    figure.update_layout(title=_("By value-chain link") + _unit_suffix(kpi))
    return _html(figure)


def kpi_distribution(detail, named: bool) -> str:
    """The enterprises of the period: points with names for the office, else the quartiles alone."""
    kpi, current = detail.kpi, detail.current
    values = [v for v in detail.enterprises if v.value is not None]
    if named and values:
        figure = Figure(
            trace(
                "box",
                x=[scaled(v.value, kpi.unit) for v in values],
                text=[v.enterprise.name for v in values],
                boxpoints="all",
                jitter=0.4,
                pointpos=0,
                name="",
                hovertemplate="%{text}: %{x}<extra></extra>",
                marker={"color": "#1565c0"},
            )
        )
    elif current is not None and current.median is not None:
        figure = Figure(
            trace(
                "box",
                q1=[scaled(current.p25, kpi.unit)],
                median=[scaled(current.median, kpi.unit)],
                q3=[scaled(current.p75, kpi.unit)],
                lowerfence=[scaled(current.p25, kpi.unit)],
                upperfence=[scaled(current.p75, kpi.unit)],
                name="",
                orientation="h",
                marker={"color": "#1565c0"},
            )
        )
    else:
        return ""
    figure.update_layout(title=_("Distribution over enterprises") + _unit_suffix(kpi), showlegend=False)
    figure.update_yaxes(showticklabels=False)
    return _html(figure, 240)


def enterprise_against_cluster(kpi, own, cluster) -> str:
    """The enterprise's months against the cluster's median and quartile band."""
    if not own:
        return ""
    figure = Figure()
    band = [v for v in cluster if v.median is not None]
    if band:
        x = [v.period_start for v in band]
        figure.add_trace(
            trace(
                "scatter",
                x=x,
                y=[scaled(v.p75, kpi.unit) for v in band],
                mode="lines",
                line={"width": 0},
                showlegend=False,
            )
        )
        figure.add_trace(
            trace(
                "scatter",
                x=x,
                y=[scaled(v.p25, kpi.unit) for v in band],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor="rgba(21,101,192,0.15)",
                name=_("Middle half of the cluster"),
            )
        )
        figure.add_trace(
            trace(
                "scatter",
                x=x,
                y=[scaled(v.median, kpi.unit) for v in band],
                mode="lines",
                line={"dash": "dash", "color": "#1565c0"},
                name=_("Cluster median"),
            )
        )
    figure.add_trace(
        trace(
            "scatter",
            x=[v.period_start for v in own],
            y=[scaled(v.value, kpi.unit) for v in own],
            mode="lines+markers",
            name=_("Your enterprise"),
            line={"color": "#e65100"},
        )
    )
    figure.update_layout(title=str(kpi.label) + _unit_suffix(kpi))
    return _html(figure)


def completeness_heatmap(grid) -> str:
    """Enterprises × months: on time, late, missing (the office's data-quality view)."""
    if not grid.rows:
        return ""
    codes = {"on_time": 3, "late": 2, "pending": 1, "missing": 0}
    names = {0: _("Missing"), 1: _("Not yet due"), 2: _("Late"), 3: _("On time")}
    # Each cell carries the legend's mark as well as its colour: the chart does not rest on red and green alone.
    marks = {0: "✗", 1: "…", 2: "!", 3: "✓"}
    z = [[codes.get(c.status) if c.status else None for c in row.cells] for row in grid.rows]
    text = [[str(names[v]) if v is not None else "" for v in line] for line in z]
    mark = [[marks[v] if v is not None else "" for v in line] for line in z]
    figure = Figure(
        trace(
            "heatmap",
            z=z,
            x=[p.key for p in grid.periods],
            y=[row.enterprise.name for row in grid.rows],
            text=mark,
            hovertext=text,
            texttemplate="%{text}",
            textfont={"color": "#1b1b1b"},
            hovertemplate="%{y} · %{x}: %{hovertext}<extra></extra>",
            zmin=0,
            zmax=3,
            # The legend's fills (platform.css, .cell-*): light, so the dark marks read on every one.
            colorscale=[[0, "#ef9a9a"], [0.33, "#eceff1"], [0.66, "#ffcc80"], [1, "#a5d6a7"]],
            showscale=False,
            xgap=1,
            ygap=1,
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(title=_("Reporting by enterprise and month"))
    return _html(figure, max(320, 18 * len(grid.rows) + 80))
