"""The roadmap's charts: the timeline of phases, gates, tasks and projects; a gate's readiness over time."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from core.figures import Figure, trace

PHASE_COLOURS = {1: "#90caf9", 2: "#a5d6a7", 3: "#ffcc80"}
TASK_COLOURS = {"planned": "#607d8b", "in_progress": "#1565c0", "done": "#2e7d32", "cancelled": "#9e9e9e"}
LATE = "#c62828"


def _short(title: str, length: int = 24) -> str:
    """A project's name short enough to leave the chart its width on a phone (the table has it whole)."""
    return title if len(title) <= length else title[: length - 1].rstrip() + "…"


def _percent(value) -> str:
    return f"{round(float(value) * 100)} %"


def timeline(*, phases, tasks, projects, readiness: dict, today: datetime.date) -> str:
    """Phases as bars over their months, each gate a diamond at its date with its latest readiness, roadmap tasks
    at their due dates (overdue ones red), the portfolio's projects as bars, and a line at today."""
    if not phases:
        return ""
    rows = {"phase": _("Phases"), "task": _("Roadmap tasks")}
    figure = Figure(
        trace(
            "bar",
            base=[p.starts_on for p in phases],
            x=[((p.gate_on - p.starts_on).days + 1) * 86400000 for p in phases],
            y=[rows["phase"]] * len(phases),
            orientation="h",
            marker={"color": [PHASE_COLOURS.get(p.number, "#cfd8dc") for p in phases]},
            text=[p.label for p in phases],
            textposition="inside",
            insidetextanchor="middle",
            name=_("Phase"),
            hovertemplate="%{text}<extra></extra>",
        ),
        trace(
            "scatter",
            x=[p.gate_on for p in phases],
            y=[rows["phase"]] * len(phases),
            mode="markers+text",
            marker={"symbol": "diamond", "size": 14, "color": "#37474f"},
            text=[_percent(readiness[p.pk].readiness) if p.pk in readiness else "—" for p in phases],
            textposition="top center",
            name=_("Gate (readiness)"),
            hovertemplate="%{x|%Y-%m-%d}: %{text}<extra></extra>",
        ),
    )
    if tasks:
        figure.add_trace(
            trace(
                "scatter",
                x=[t.due_on for t in tasks],
                y=[rows["task"]] * len(tasks),
                mode="markers",
                marker={
                    "size": 10,
                    "color": [LATE if t.is_overdue(today) else TASK_COLOURS.get(t.status, "#607d8b") for t in tasks],
                },
                text=[t.label for t in tasks],
                name=_("Roadmap task"),
                hovertemplate="%{text} · %{x|%Y-%m-%d}<extra></extra>",
            )
        )
    dated = [p for p in projects if p.started_on or p.selection_decision_id]
    if dated:
        starts = [p.started_on or today for p in dated]
        ends = [p.completed_on or max(today, s) for p, s in zip(dated, starts, strict=True)]
        figure.add_trace(
            trace(
                "bar",
                base=starts,
                x=[max(1, (e - s).days) * 86400000 for s, e in zip(starts, ends, strict=True)],
                y=[_short(p.title) for p in dated],
                orientation="h",
                marker={"color": "#b0bec5"},
                text=[p.title for p in dated],
                textposition="none",
                name=_("Joint project"),
                hovertemplate="%{text}<extra></extra>",
            )
        )
    figure.update_layout(
        title=_("Roadmap timeline"),
        xaxis={"type": "date"},
        yaxis={"autorange": "reversed", "automargin": True},
        barmode="overlay",
        shapes=[
            {
                "type": "line",
                "x0": today,
                "x1": today,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"color": LATE, "width": 2, "dash": "dot"},
            }
        ],
        annotations=[
            {"x": today, "y": 1, "yref": "paper", "text": _("today"), "showarrow": False, "yanchor": "bottom"}
        ],
    )
    table = (
        [_("What"), _("From"), _("To or due"), _("State")],
        [[p.label, p.starts_on, p.gate_on, _percent(readiness[p.pk].readiness) if p.pk in readiness else "—"]
         for p in phases]
        + [[t.label, "", t.due_on, t.get_status_display()] for t in tasks]
        + [[p.title, p.started_on or "", p.completed_on or "", p.get_status_display()] for p in dated],
    )  # fmt: skip
    return figure.html(max(300, 30 * len(dated) + 200), table=table, legend={"orientation": "h", "y": -0.15})


def readiness_history(phase, history) -> str:
    """The gate's readiness month by month, against its threshold; months with every must-meet criterion met
    marked."""
    if not history:
        return ""
    figure = Figure(
        trace(
            "scatter",
            x=[e.month for e in history],
            y=[float(e.readiness) * 100 for e in history],
            mode="lines+markers",
            marker={"color": ["#2e7d32" if e.must_met else LATE for e in history], "size": 9},
            name=_("Readiness (should-meet criteria met, %)"),
            hovertemplate="%{x|%Y-%m}: %{y:.0f} %<extra></extra>",
        ),
        trace(
            "scatter",
            x=[history[0].month, phase.gate_on],
            y=[float(phase.readiness_threshold) * 100] * 2,
            mode="lines",
            line={"dash": "dash", "color": "#757575"},
            name=_("Threshold"),
            hoverinfo="skip",
        ),
    )
    figure.update_layout(
        title=_("Readiness over time"), xaxis={"type": "date"}, yaxis={"range": [0, 105], "ticksuffix": " %"}
    )
    table = (
        [_("Month"), _("Readiness"), _("Every must-meet criterion met"), _("Ready")],
        [
            [e.month.strftime("%Y-%m"), _percent(e.readiness), _("yes") if e.must_met else _("no"),
             _("yes") if e.ready else _("no")]
            for e in history
        ],
    )  # fmt: skip
    return figure.html(260, table=table, legend={"orientation": "h", "y": -0.3})
