"""Periodic KPI reports (XLSX and PDF) and CSV exports, built from KPI values (stored for the cluster and its links,
computed on read for enterprises: `services.enterprise_values`).

A report covers a month or a quarter of one cluster: the KPI table with status and the change on the
period before, the trend (12 months or 8 quarters), the open alerts and the completeness of reporting.
What a reader may see is decided by the scoping helper, as on the pages: the office's report names
enterprises, nobody else's does.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from governance.models import Cluster, Enterprise
from governance.scoping import VIEW, restrict

from .choices import PeriodKind, Scope
from .excel import text_only
from .formatting import STATUS_COLOURS, display, display_change, scaled, xlsx_change_format, xlsx_format
from .models import Alert, ClusterKpi, KpiValue, Span, add_months
from .selectors import (
    ComputedPeriod,
    Tally,
    active_settings,
    computed_months,
    computed_quarters,
    is_provisional,
    kpi_values,
    open_alerts,
    timeliness_grid,
    with_coverage,
)

if TYPE_CHECKING:
    from core.typing import AnyUser

TREND_PERIODS: dict[str, int] = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 8}


@dataclass
class ReportRow:
    setting: ClusterKpi
    current: KpiValue | None
    previous: KpiValue | None
    trend: list[KpiValue] = field(default_factory=list)

    @property
    def kpi(self):
        return self.setting.kpi

    @property
    def change(self):
        if self.current is None or self.previous is None or None in (self.current.value, self.previous.value):
            return None
        return self.current.value - self.previous.value


@dataclass
class Report:
    cluster: Cluster
    span: Span
    rows: list[ReportRow]
    alerts: list[Alert]
    completeness: list[tuple[str, Tally]]  # (month, Tally)
    generated_at: datetime.datetime
    period: ComputedPeriod | None = None

    @property
    def title(self) -> str:
        kind = _("Quarterly KPI report") if self.span.is_quarter else _("Monthly KPI report")
        title = f"{kind} · {self.cluster.name} · {self.span.key}"
        return f"{title} · {_('provisional')}" if self.provisional else title

    @property
    def provisional(self) -> bool:
        return self.period is None or self.period.provisional

    @property
    def coverage_note(self) -> str:
        """Whether the values are final, and how many enterprises count in them."""
        counted, expected = self.period.coverage() if self.period else (0, 0)
        coverage = _("%(counted)s of %(expected)s enterprises counted.") % {"counted": counted, "expected": expected}
        if not self.provisional:
            return _("Final values.") + " " + coverage
        if self.period is not None and self.period.deadline is not None:
            deadline = self.period.deadline.isoformat()
            return _("Provisional values: figures are due by %(deadline)s.") % {"deadline": deadline} + " " + coverage
        return _("Provisional values: the period is still being reported.") + " " + coverage


def _previous(span: Span) -> Span:
    return Span(span.kind, add_months(span.start, -3 if span.is_quarter else -1))


def report_build(*, user: AnyUser, cluster: Cluster, span: Span, period: ComputedPeriod | None = None) -> Report:
    """Everything a report shows, read in a fixed number of queries; `period` says whether it is provisional
    and its coverage (read here when not given)."""
    if period is None:
        available = (
            computed_quarters(user=user, cluster=cluster)
            if span.is_quarter
            else computed_months(user=user, cluster=cluster)
        )
        period = next((p for p in available if p.key == span.key), None)
    settings = active_settings(user=user, cluster=cluster)
    count = TREND_PERIODS[span.kind]
    first = add_months(span.start, -(count - 1) * (3 if span.is_quarter else 1))
    values = kpi_values(user).filter(
        cluster=cluster,
        scope=Scope.CLUSTER,
        enterprise__isnull=True,
        period_kind=span.kind,
        period_start__gte=first,
        period_start__lte=span.start,
    )
    by_kpi: dict[int, list[KpiValue]] = {}
    for value in values.order_by("period_start"):
        by_kpi.setdefault(value.kpi_id, []).append(value)
    previous = _previous(span)
    rows = []
    for setting in settings:
        trend = by_kpi.get(setting.kpi_id, [])
        rows.append(
            ReportRow(
                setting=setting,
                current=next((v for v in trend if v.period == span.key), None),
                previous=next((v for v in trend if v.period == previous.key), None),
                trend=trend,
            )
        )
    enterprises = restrict(Enterprise.objects.filter(cluster=cluster), user, VIEW)
    grid = timeliness_grid(cluster=cluster, months=list(span.months), enterprises=enterprises)
    completeness = [(p.key, tally) for p, tally in zip(grid.periods, grid.columns, strict=True)]
    alerts = open_alerts(user=user, cluster=cluster)
    return Report(cluster, span, rows, alerts, completeness, timezone.now(), period)


# --- XLSX -----------------------------------------------------------------------------------------------


def _status_label(value: KpiValue | None) -> str:
    return str(value.get_status_display()) if value is not None and value.status else ""


def _number(value) -> float | None:
    """A stored value as the spreadsheet's number (a percentage stays its fraction: the cell's format shows %)."""
    return None if value is None else float(value)


def report_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import LineChart, Reference
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = _("KPIs")[:31]
    sheet.append([report.title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_("Generated at"), timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")])
    sheet.append([report.coverage_note])
    header = [
        _("Code"),
        _("KPI"),
        _("Unit"),
        _("Value"),
        _("Target"),
        _("Minimum"),
        _("Status"),
        _("Previous period"),
        _("Change"),
        _("reporting enterprises"),
    ]
    sheet.append(header)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for row in report.rows:
        kpi, current = row.kpi, row.current
        sheet.append(
            [
                kpi.code,
                str(kpi.label),
                str(kpi.get_unit_display()),
                _number(current.value) if current else None,
                _number(row.setting.target),
                _number(row.setting.minimum),
                _status_label(current),
                _number(row.previous.value) if row.previous else None,
                scaled(row.change, kpi.unit),  # a percentage's change in points, shown with its "p.p."
                current.reporting_enterprises if current else None,
            ]
        )
        # Values as numbers people read: percentages as %, counts whole, each with its unit's format.
        for index in (4, 5, 6, 8):
            sheet.cell(row=sheet.max_row, column=index).number_format = xlsx_format(kpi.unit)
        sheet.cell(row=sheet.max_row, column=9).number_format = xlsx_change_format(kpi.unit)
        if current is not None and current.status:
            colour = STATUS_COLOURS[current.status].lstrip("#")
            sheet.cell(row=sheet.max_row, column=7).fill = PatternFill("solid", fgColor=colour)
            sheet.cell(row=sheet.max_row, column=7).font = Font(color="FFFFFF", bold=True)
    for column, width in zip("ABCDEFGHIJ", (9, 44, 18, 14, 12, 12, 16, 14, 12, 10), strict=True):
        sheet.column_dimensions[column].width = width

    trend = book.create_sheet(_("Trend")[:31])
    periods = sorted({v.period for row in report.rows for v in row.trend})
    trend.append([_("KPI"), *periods])
    for row in report.rows:
        by_period = {v.period: _number(v.value) for v in row.trend}
        trend.append([f"{row.kpi.code} · {row.kpi.label}", *[by_period.get(p) for p in periods]])
        for cell in trend[trend.max_row][1:]:
            cell.number_format = xlsx_format(row.kpi.unit)
    trend.column_dimensions["A"].width = 44
    for index, row in enumerate(report.rows, start=2):
        if not row.trend:
            continue
        chart = LineChart()
        chart.title = f"{row.kpi.code} · {row.kpi.label}"
        chart.height, chart.width = 6, 14
        chart.legend = None
        chart.add_data(
            Reference(trend, min_col=1, max_col=len(periods) + 1, min_row=index, max_row=index),
            from_rows=True,
            titles_from_data=True,
        )
        chart.set_categories(Reference(trend, min_col=2, max_col=len(periods) + 1, min_row=1, max_row=1))
        anchor_row = len(report.rows) + 4 + (index - 2) * 13
        trend.add_chart(chart, f"B{anchor_row}")

    alerts = book.create_sheet(_("Alerts")[:31])
    alerts.append([_("KPI"), _("Where"), _("Value"), _("Minimum"), _("Since"), _("Latest month"), _("Working group")])
    for alert in report.alerts:
        alerts.append(
            [
                str(alert.kpi.label),
                alert.where,
                _("hidden") if getattr(alert, "value_hidden", False) else _number(alert.value),
                _number(alert.minimum),
                alert.opened_period,
                alert.period,
                str(alert.working_group or ""),
            ]
        )
        for index in (3, 4):
            alerts.cell(row=alerts.max_row, column=index).number_format = xlsx_format(alert.kpi.unit)
    completeness = book.create_sheet(_("Completeness")[:31])
    completeness.append(
        [_("Month"), _("Expected"), _("On time"), _("Late"), _("Missing"), _("Share complete"), _("Share on time")]
    )
    for month, tally in report.completeness:
        completeness.append(
            [month, tally.expected, tally.on_time, tally.late, tally.missing, tally.share_complete, tally.share_on_time]
        )
        for index in (6, 7):
            completeness.cell(row=completeness.max_row, column=index).number_format = "0.0%"
    text_only(book)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


# --- PDF ------------------------------------------------------------------------------------------------


def _sparkline(row: ReportRow):
    from reportlab.graphics.shapes import Drawing, PolyLine

    points = [(i, float(v.value)) for i, v in enumerate(row.trend) if v.value is not None]
    drawing = Drawing(80, 16)
    if len(points) < 2:
        return drawing
    low, high = min(p[1] for p in points), max(p[1] for p in points)
    span = (high - low) or 1.0
    last = max(len(row.trend) - 1, 1)
    coords = []
    for i, v in points:
        coords += [2 + i * 76 / last, 2 + (v - low) * 12 / span]
    drawing.add(PolyLine(coords, strokeWidth=1, strokeColor="#455a64"))
    return drawing


def _trend_chart(row: ReportRow, font: str):
    from reportlab.graphics.charts.lineplots import LinePlot
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    drawing = Drawing(250, 120)
    values = [(i, scaled(v.value, row.kpi.unit)) for i, v in enumerate(row.trend) if v.value is not None]
    drawing.add(String(0, 108, f"{row.kpi.code} · {row.kpi.label}"[:60], fontName=font, fontSize=8))
    if len(values) < 2:
        return drawing
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 30, 15, 210, 85
    lines = [values]
    for threshold in (row.setting.target, row.setting.minimum):
        if threshold is not None:
            lines.append([(0, scaled(threshold, row.kpi.unit)), (len(row.trend) - 1, scaled(threshold, row.kpi.unit))])
    plot.data = lines
    plot.lines[0].strokeColor = colors.HexColor("#455a64")
    if len(lines) > 1:
        plot.lines[1].strokeColor = colors.HexColor("#2e7d32")
        plot.lines[1].strokeDashArray = [3, 2]
    if len(lines) > 2:
        plot.lines[2].strokeColor = colors.HexColor("#c62828")
        plot.lines[2].strokeDashArray = [1, 2]
    plot.xValueAxis.visible = False
    plot.yValueAxis.labels.fontName = font
    plot.yValueAxis.labels.fontSize = 6
    drawing.add(plot)
    return drawing


FONTS = Path(__file__).resolve().parent / "fonts"


def _fonts() -> tuple[str, str]:
    """DejaVu Sans (Uzbek and Cyrillic letters), shipped with the project: a report renders on any machine."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONTS / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))
    return "DejaVuSans", "DejaVuSans-Bold"


def _text(value) -> str:
    """Text for a reportlab Paragraph, which reads markup (<img src=…> would read a file of the server, a stray <
    breaks the report): everything that may come from users is escaped."""
    return escape("" if value is None else str(value))


def report_pdf(report: Report) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    styles = getSampleStyleSheet()
    for style in styles.byName.values():
        style.fontName = bold if style.name.startswith("Heading") or style.name == "Title" else regular
    stream = io.BytesIO()
    document = SimpleDocTemplate(
        stream,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=report.title,
    )
    story = [
        Paragraph(_text(report.title), styles["Title"]),
        Paragraph(
            _text(_("Generated at") + " " + timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")),
            styles["Normal"],
        ),
        Paragraph(_text(report.coverage_note), styles["Normal"]),
        Spacer(1, 4 * mm),
    ]
    table = [[_("KPI"), _("Value"), _("Target"), _("Minimum"), _("Status"), _("Change"), _("Trend")]]
    style = [
        ("FONTNAME", (0, 0), (-1, -1), regular),
        ("FONTNAME", (0, 0), (-1, 0), bold),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#bdbdbd")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    for index, row in enumerate(report.rows, start=1):
        kpi, current = row.kpi, row.current
        table.append(
            [
                Paragraph(_text(f"{kpi.code} · {kpi.label}"), styles["Normal"]),
                display(current.value if current else None, kpi.unit),
                display(row.setting.target, kpi.unit),
                display(row.setting.minimum, kpi.unit),
                _status_label(current),
                display_change(row.change, kpi.unit),
                _sparkline(row),
            ]
        )
        if current is not None and current.status:
            style += [
                ("BACKGROUND", (4, index), (4, index), colors.HexColor(STATUS_COLOURS[current.status])),
                ("TEXTCOLOR", (4, index), (4, index), colors.white),
            ]
    story.append(
        Table(
            table,
            colWidths=[90 * mm, 28 * mm, 24 * mm, 24 * mm, 32 * mm, 24 * mm, 32 * mm],
            style=TableStyle(style),
            repeatRows=1,
        )
    )
    story += [Spacer(1, 5 * mm), Paragraph(_text(_("Trends")), styles["Heading2"])]
    charts = [_trend_chart(row, regular) for row in report.rows if len(row.trend) >= 2]
    grid = [charts[i : i + 3] + [""] * (3 - len(charts[i : i + 3])) for i in range(0, len(charts), 3)]
    if grid:
        story.append(Table(grid))
    story += [Spacer(1, 5 * mm), Paragraph(_text(_("Open alerts")), styles["Heading2"])]
    if report.alerts:
        alert_rows = [[_("KPI"), _("Where"), _("Value"), _("Minimum"), _("Since"), _("Working group")]]
        for alert in report.alerts:
            alert_rows.append(
                [
                    str(alert.kpi.label),
                    alert.where,
                    _("hidden") if getattr(alert, "value_hidden", False) else display(alert.value, alert.kpi.unit),
                    display(alert.minimum, alert.kpi.unit),
                    alert.opened_period,
                    str(alert.working_group or "—"),
                ]
            )
        story.append(Table(alert_rows, style=TableStyle(style[:4]), repeatRows=1))
    else:
        story.append(Paragraph(_text(_("No KPI has breached its minimum.")), styles["Normal"]))
    story += [Spacer(1, 5 * mm), Paragraph(_text(_("Completeness of reporting")), styles["Heading2"])]
    completeness: list[list[str | int]] = [
        [_("Month"), _("Expected"), _("On time"), _("Late"), _("Missing"), _("Complete")]
    ]
    for month, tally in report.completeness:
        share = tally.share_complete
        completeness.append(
            [
                month,
                tally.expected,
                tally.on_time,
                tally.late,
                tally.missing,
                f"{share:.0%}" if share is not None else "—",
            ]
        )
    story.append(Table(completeness, style=TableStyle(style[:4]), repeatRows=1))
    document.build(story)
    return stream.getvalue()


# --- CSV ------------------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text) -> str:
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe (numbers stay as they are)."""
    text = "" if text is None else str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def kpi_values_csv(values, *, computed: Iterable[KpiValue] = (), every_figure: bool = False) -> str:
    """KPI values as CSV rows in the API's shape, names added; text cells neutralised against formula injection.
    `values`: the stored rows (a queryset); `computed`: enterprises' own values computed on read, merged in.

    Numerators and denominators of cluster and link values only with `every_figure` (the office): as in the API,
    two KPIs sharing an element would otherwise give one enterprise's figure as a difference."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "kpi",
            "name",
            "period",
            "scope",
            "link",
            "enterprise",
            "enterprise_name",
            "value",
            "numerator",
            "denominator",
            "target",
            "minimum",
            "status",
            "reporting_enterprises",
            "provisional",
        ]
    )
    now = timezone.now()
    stored = with_coverage(values).select_related("kpi", "enterprise")
    for v in sorted(
        [*stored, *computed],
        key=lambda v: (v.period_start, v.kpi.position, v.scope, v.link, v.enterprise.name if v.enterprise else ""),
    ):
        enterprise = v.enterprise if v.enterprise_id else None
        writer.writerow(
            [
                v.kpi.code,
                neutralise(v.kpi.label),
                v.period,
                v.scope,
                v.link,
                enterprise.taxpayer_id if enterprise is not None else "",
                neutralise(enterprise.name) if enterprise is not None else "",
                v.value,
                v.numerator if every_figure or v.enterprise_id else None,
                v.denominator if every_figure or v.enterprise_id else None,
                v.target,
                v.minimum,
                v.status,
                v.reporting_enterprises,
                "true" if is_provisional(v, now) else "false",
            ]
        )
    return out.getvalue()
