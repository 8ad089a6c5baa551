"""Plotly figures of the portfolio, built from selector output (governance.figures: plain plotly.js data)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.figures import Figure, trace

from .choices import ProjectStatus

STATUS_COLOURS = {
    ProjectStatus.PROPOSED: "#9e9e9e",
    ProjectStatus.SELECTED: "#1565c0",
    ProjectStatus.ACTIVE: "#ef6c00",
    ProjectStatus.COMPLETED: "#2e7d32",
    ProjectStatus.CANCELLED: "#c62828",
}


def effect_against_cost(projects) -> str:
    """A bubble per project: budget across, expected effect a year up, bubble size budget, colour status."""
    if not projects:
        return ""
    figure = Figure()
    largest = max(float(p.budget) for p in projects) or 1.0
    for status in ProjectStatus:
        rows = [p for p in projects if p.status == status]
        if not rows:
            continue
        figure.add_trace(
            trace(
                "scatter",
                x=[float(p.budget) for p in rows],
                y=[float(p.expected_effect) for p in rows],
                text=[p.title for p in rows],
                mode="markers",
                name=str(status.label),
                marker={
                    "size": [12 + 38 * float(p.budget) / largest for p in rows],
                    "color": STATUS_COLOURS[status],
                    "opacity": 0.7,
                },
                hovertemplate="%{text}<br>%{x:,.0f} → %{y:,.0f}<extra></extra>",
            )
        )
    figure.update_layout(
        title=_("Expected effect a year against cost"),
        xaxis={"title": {"text": str(_("Budget"))}},
        yaxis={"title": {"text": str(_("Expected effect a year"))}},
    )
    table = (
        [_("Project"), _("Status"), _("Budget"), _("Expected effect a year")],
        [[p.title, p.get_status_display(), p.budget, p.expected_effect] for p in projects],
    )
    return figure.html(360, table=table, legend={"orientation": "h", "y": -0.2})


def timeline(projects, milestones) -> str:
    """Projects as bars from their start (or today's plan) to the first result, milestones as points."""
    dated = [p for p in projects if p.timeline_start]
    if not dated:
        return ""
    figure = Figure(
        trace(
            "bar",
            base=[p.timeline_start for p in dated],
            x=[p.timeline_days * 86400000 for p in dated],
            y=[p.title for p in dated],
            orientation="h",
            marker={"color": [STATUS_COLOURS[p.status] for p in dated]},
            name=str(_("Project")),
            hovertemplate="%{y}<extra></extra>",
        )
    )
    titles = {p.pk: p.title for p in dated}
    points = [m for m in milestones if m.project_id in titles]
    if points:
        figure.add_trace(
            trace(
                "scatter",
                x=[m.due_on for m in points],
                y=[titles[m.project_id] for m in points],
                text=[f"{m.title} · {m.progress} %" for m in points],
                mode="markers",
                marker={"symbol": "diamond", "size": 10, "color": "#37474f"},
                name=str(_("Milestone")),
                hovertemplate="%{text}<extra></extra>",
            )
        )
    figure.update_layout(title=_("Timeline"), xaxis={"type": "date"}, yaxis={"autorange": "reversed"})
    table = (
        [_("Project"), _("Start"), _("Days to the first result"), _("Milestones")],
        [
            [
                p.title,
                p.timeline_start,
                p.timeline_days,
                "; ".join(f"{m.title} ({m.due_on:%Y-%m-%d}, {m.progress} %)" for m in points if m.project_id == p.pk),
            ]
            for p in dated
        ],
    )
    return figure.html(max(260, 36 * len(dated) + 120), table=table, legend={"orientation": "h", "y": -0.2})


def kpi_before_after(trend) -> str:
    """The cluster's monthly value of a KPI the project should move, the project's start marked."""
    from kpi.formatting import scaled

    kpi = trend.target.kpi
    if not trend.series:
        return ""
    figure = Figure(
        trace(
            "scatter",
            x=[v.period_start for v in trend.series],
            y=[scaled(v.value, kpi.unit) for v in trend.series],
            mode="lines+markers",
            name=str(kpi.label),
            line={"color": "#455a64"},
        )
    )
    if trend.start is not None:
        figure.update_layout(
            shapes=[
                {
                    "type": "line",
                    "x0": trend.start,
                    "x1": trend.start,
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "line": {"dash": "dot", "color": "#1565c0"},
                }
            ],
            annotations=[{"x": trend.start, "yref": "paper", "y": 1, "text": str(_("start")), "showarrow": False}],
        )
    figure.update_layout(title=str(kpi.label), showlegend=False)
    return figure.html(240)


def network(enterprises, edges, link_labels: dict) -> str:
    """The value chain drawn from the contracts: enterprises in columns by link, a line per supplier → buyer
    pair, its width by annual value."""
    if not edges:
        return ""
    links = list(link_labels)
    placed: dict[int, tuple[float, float]] = {}
    by_link: dict[str, list] = {link: [] for link in links}
    for enterprise in enterprises:
        by_link.setdefault(enterprise.value_chain_link, []).append(enterprise)
    for column, link in enumerate(links):
        members = sorted(by_link.get(link, []), key=lambda e: e.name)
        for row, enterprise in enumerate(members):
            placed[enterprise.pk] = (column, (row + 1) / (len(members) + 1))
    largest = max(float(e.value) for e in edges) or 1.0
    figure = Figure()
    for edge in edges:
        if edge.supplier_id not in placed or edge.buyer_id not in placed:
            continue
        (x0, y0), (x1, y1) = placed[edge.supplier_id], placed[edge.buyer_id]
        figure.add_trace(
            trace(
                "scatter",
                x=[x0, x1],
                y=[y0, y1],
                mode="lines",
                line={"width": 1 + 7 * float(edge.value) / largest, "color": "rgba(21,101,192,0.45)"},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    shown = [e for e in enterprises if e.pk in placed]
    figure.add_trace(
        trace(
            "scatter",
            x=[placed[e.pk][0] for e in shown],
            y=[placed[e.pk][1] for e in shown],
            text=[e.name for e in shown],
            mode="markers",
            marker={"size": 10, "color": "#37474f"},
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    )
    figure.update_layout(
        title=_("The value chain by its contracts"),
        xaxis={
            "tickvals": list(range(len(links))),
            "ticktext": [str(link_labels[k]) for k in links],
            "zeroline": False,
        },
        yaxis={"visible": False},
    )
    names = {e.pk: e.name for e in enterprises}
    table = (
        [_("Supplier"), _("Buyer"), _("Annual value")],
        [[names.get(e.supplier_id, ""), names.get(e.buyer_id, ""), e.value] for e in edges],
    )
    return figure.html(460, table=table)
