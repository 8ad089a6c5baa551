"""Plotly figures as plain data, for every app's charts: traces and layout are dicts in plotly.js's own schema,
drawn by the plotly.min.js the pages load from static files (no CDN).

Every chart fills its container's width and follows it when it changes, speaks the page's language (month names
and number separators from Django's own locale data, given to plotly.js as a locale), and carries a text
alternative: the chart is an image named by its title, and its figures follow as a table a screen reader reads
(folded under the chart for everyone else).

plotly.graph_objects validates and deep-copies every property, the template included, on each figure: on a
KPI page that was 70 % of the server's time. The figures here are small and built by our own code, so the
schema is kept by the tests that render them, not re-checked on every request.
"""

from __future__ import annotations

import datetime
import json
import uuid
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.utils import translation
from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import date_format, get_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
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


def _locale() -> tuple[str, dict]:
    """The active language as a plotly.js locale: month and day names, decimal and thousands separators."""
    code = translation.get_language() or settings.LANGUAGE_CODE
    return code, _locale_format(code)


@cache
def _locale_format(code: str) -> dict:
    with translation.override(code):
        return {
            "months": [str(MONTHS[m]) for m in range(1, 13)],
            "shortMonths": [str(MONTHS_3[m]).capitalize() for m in range(1, 13)],
            "days": [str(WEEKDAYS[d]) for d in (6, 0, 1, 2, 3, 4, 5)],  # plotly.js weeks start on Sunday
            "shortDays": [str(WEEKDAYS_ABBR[d]) for d in (6, 0, 1, 2, 3, 4, 5)],
            "decimal": str(get_format("DECIMAL_SEPARATOR")),
            "thousands": str(get_format("THOUSAND_SEPARATOR")),
        }


def _cell(value) -> str:
    """A value of a chart's table as people read it in the active language."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime) and value.day == 1:
        return date_format(value, "YEAR_MONTH_FORMAT")  # a month's first day stands for the month
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        number = float(value)
        digits = 0 if number.is_integer() else 1 if abs(number) >= 10 else 2
        return number_format(round(number, digits), decimal_pos=digits, use_l10n=True, force_grouping=True)
    return str(value)


def _table(figure: Figure, given: tuple[list, list[list]] | None = None) -> str:
    """The figure's data as an HTML table: as given (a header and rows), else read from the traces: a row per x
    (or per name of a horizontal bar), a column per trace; a heatmap's rows and columns as they are drawn; a box's
    quartiles or points."""
    caption = escape(figure.layout.get("title", {}).get("text", ""))
    if given is not None:
        return _table_html(caption, [_cell(h) for h in given[0]], [[_cell(c) for c in row] for row in given[1]])
    header: list[str] = []
    rows: list[list[str]] = []
    heatmaps = [t for t in figure.data if t.get("type") == "heatmap"]
    boxes = [t for t in figure.data if t.get("type") == "box"]
    if heatmaps:
        heat = heatmaps[0]
        text = heat.get("hovertext") or heat.get("text") or heat.get("z") or []
        header = ["", *[_cell(x) for x in heat.get("x", [])]]
        rows = [[_cell(y), *[_cell(v) for v in line]] for y, line in zip(heat.get("y", []), text, strict=False)]
    elif boxes:
        box = boxes[0]
        if box.get("median"):
            header = [gettext("Lower quartile"), gettext("median"), gettext("Upper quartile")]
            rows = [[_cell(box["q1"][0]), _cell(box["median"][0]), _cell(box["q3"][0])]]
        else:
            header = ["", ""]
            rows = [[_cell(name), _cell(x)] for name, x in zip(box.get("text", []), box.get("x", []), strict=False)]
    else:
        series = [t for t in figure.data if "x" in t and "y" in t and t.get("showlegend", True) is not False]
        horizontal = any(t.get("orientation") == "h" for t in series)
        keys: list = []
        values: dict = {}
        for column, item in enumerate(series):
            key_axis, value_axis = ("y", "x") if horizontal else ("x", "y")
            for key, value in zip(item[key_axis], item[value_axis], strict=False):
                if key not in values:
                    keys.append(key)
                    values[key] = {}
                values[key][column] = value
        header = ["", *[_cell(t.get("name") or caption) for t in series]]
        rows = [[_cell(key), *[_cell(values[key].get(c)) for c in range(len(series))]] for key in keys]
    return _table_html(caption, header, rows)


def _table_html(caption: str, header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return ""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + f'<th scope="row">{escape(row[0])}</th>' + "".join(f"<td>{escape(c)}</td>" for c in row[1:]) + "</tr>"
        for row in rows
    )
    summary = escape(gettext("The figures as a table"))
    return (
        f'<details class="chart-data"><summary>{summary}</summary>'
        f'<div class="table-scroll"><table><caption>{caption}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div></details>"
    )


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

    def html(self, height: int = 320, *, table: tuple[list, list[list]] | None = None, **layout) -> SafeString:
        """The chart (an image named by its title, drawn to its container's width and in the page's language)
        and its figures as a table (`table`: its header and rows, where the traces' points would not read as
        one)."""
        code, locale = _locale()
        self.update_layout(
            margin=MARGIN, height=height, autosize=True, separators=locale["decimal"] + locale["thousands"], **layout
        )
        element = f"figure-{uuid.uuid4().hex}"
        payload = json.dumps(
            [self.data, {"template": _template(), **self.layout}, {**CONFIG, "locale": code}],
            cls=PlotlyJSONEncoder,
            ensure_ascii=False,
            separators=(",", ":"),
        ).translate(_SCRIPT_ESCAPES)
        register = json.dumps(
            {"moduleType": "locale", "name": code, "dictionary": {}, "format": locale}, ensure_ascii=False
        ).translate(_SCRIPT_ESCAPES)
        title = escape(self.layout.get("title", {}).get("text", "") or gettext("Chart"))
        return mark_safe(  # noqa: S308 - the JSON is escaped for a script element above, the texts by escape()
            f'<div class="figure" style="height:{int(height)}px;" role="img" aria-label="{title}">'
            f'<div id="{element}" class="plotly-graph-div" style="height:100%; width:100%;"></div>'
            f'<script>Plotly.register({register});Plotly.newPlot("{element}", ...{payload});'
            f'platformFitChart("{element}");</script></div>' + _table(self, table)
        )
