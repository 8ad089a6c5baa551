"""Plotly figures of governance, built from selector output; the page loads plotly.min.js locally."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.figures import Figure, trace


def discipline_by_body(per_body) -> str:
    """Bars of execution discipline per body (share of items due that were done on time)."""
    if not per_body:
        return ""
    names = [str(body) for body, _d in per_body]
    shares = [round((d.share or 0) * 100, 1) for _b, d in per_body]
    labels = [f"{d.on_time}/{d.due}" for _b, d in per_body]
    colours = ["#2e7d32" if s >= 80 else "#ef6c00" if s >= 60 else "#c62828" for s in shares]
    figure = Figure(
        trace("bar", x=shares, y=names, orientation="h", text=labels, textposition="auto", marker={"color": colours})
    )
    figure.update_layout(title=_("Execution discipline by body, %"), xaxis={"range": [0, 100]})
    figure.update_yaxes(autorange="reversed")
    return figure.html(320)
