"""Plotly figures as plain data, for every app's charts: traces and layout are dicts in plotly.js's own schema,
drawn by the plotly.min.js the pages load from static files (no CDN).

plotly.graph_objects validates and deep-copies every property, the template included, on each figure: on a
KPI page that was 70 % of the server's time. The figures here are small and built by our own code, so the
schema is kept by the tests that render them, not re-checked on every request.
"""

from __future__ import annotations

import json
import uuid
from functools import cache

from django.utils.safestring import SafeString, mark_safe
from plotly.utils import PlotlyJSONEncoder

CONFIG = {"displayModeBar": False, "responsive": True}
MARGIN = {"l": 10, "r": 10, "t": 36, "b": 10}

# Inside <script>, a name such as "</script><script>…" must stay text: the same escapes as json_script.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@cache
def _template() -> dict:
    """The "plotly_white" look, read once from the plotly package."""
    import plotly.io as pio

    return pio.templates["plotly_white"].to_plotly_json()


def trace(kind: str, **properties) -> dict:
    """One trace: `trace("scatter", x=[…], y=[…], mode="lines")`."""
    return {"type": kind, **properties}


class Figure:
    """Traces and a layout; `html()` gives the <div> and the script that draws it."""

    def __init__(self, *traces: dict):
        self.data: list[dict] = list(traces)
        self.layout: dict = {}

    def add_trace(self, item: dict) -> Figure:
        self.data.append(item)
        return self

    def update_layout(self, **layout) -> Figure:
        for key, value in layout.items():
            if key == "title" and not isinstance(value, dict):
                value = {"text": str(value)}
            if isinstance(value, dict) and isinstance(self.layout.get(key), dict):
                self.layout[key] = {**self.layout[key], **value}
            else:
                self.layout[key] = value
        return self

    def update_yaxes(self, **axis) -> Figure:
        return self.update_layout(yaxis=axis)

    def html(self, height: int = 320, **layout) -> SafeString:
        self.update_layout(margin=MARGIN, height=height, **layout)
        element = f"figure-{uuid.uuid4().hex}"
        payload = json.dumps(
            [self.data, {"template": _template(), **self.layout}, CONFIG],
            cls=PlotlyJSONEncoder,
            ensure_ascii=False,
            separators=(",", ":"),
        ).translate(_SCRIPT_ESCAPES)
        return mark_safe(  # noqa: S308 - the JSON is escaped for a script element above
            f'<div style="height:{int(height)}px; width:100%;">'
            f'<div id="{element}" class="plotly-graph-div" style="height:100%; width:100%;"></div>'
            f'<script>Plotly.newPlot("{element}", ...{payload});</script></div>'
        )
