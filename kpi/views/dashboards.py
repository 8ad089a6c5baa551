"""KPI dashboards, alerts and recomputation: council overview, KPI detail, value chain, enterprise self-view,
data quality. They read KPI values through the selectors (stored cluster and link values, enterprises' own computed
on read), which go through the scoping helper."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.generic import get_scoped_or_404, sort_queryset
from governance.choices import ValueChainLink
from governance.models import Enterprise
from governance.scoping import CHANGE, VIEW, is_office, may_act_for, may_change, represented, require_office, restrict
from governance.selectors import current_cluster_or_404

from .. import charts, selectors, services
from .. import reports as kpi_reports
from ..choices import AlertStatus, KpiStatus, Scope, Trigger
from ..filters import AlertListFilterSet
from ..formatting import STATUS_CLASSES, display
from ..models import Alert, ClusterKpi, Span


def _spans(request, cluster):
    months = selectors.computed_months(user=request.user, cluster=cluster)
    quarters = selectors.computed_quarters(user=request.user, cluster=cluster)
    return months, quarters


def _period_context(chosen, available) -> dict:
    """The period shown (`period`, with `span` for the selectors) and the newer provisional one to offer."""
    return {
        "period": chosen,
        "span": chosen.span if chosen else None,
        "newer_provisional": selectors.newer_provisional(chosen, available),
    }


def _context(request, cluster, page: str, **extra) -> dict:
    return {
        "own_enterprise_view": bool(represented(request.user, cluster)),
        "section": "kpis",
        "page": page,
        "cluster": cluster,
        "office": is_office(request.user, cluster),
        **extra,
    }


@login_required
def overview(request):
    """The council's view: a tile per active KPI with its status and a year of history, and the open alerts."""
    cluster = current_cluster_or_404(request)
    months, _quarters = _spans(request, cluster)
    chosen = selectors.chosen_span(request.GET.get("period"), months)
    context = _context(request, cluster, "overview", months=months, **_period_context(chosen, months))
    span = context["span"]
    if span is not None:
        context["tiles"] = selectors.council_overview(user=request.user, cluster=cluster, span=span)
        context["alerts"] = selectors.open_alerts(user=request.user, cluster=cluster, limit=10)
    return render(request, "kpi/dashboards/overview.html", context)


@login_required
def kpi_detail(request, code: str):
    cluster = current_cluster_or_404(request)
    setting = (
        restrict(ClusterKpi.objects.filter(cluster=cluster, kpi__code=code), request.user, VIEW)
        .select_related("kpi", "working_group")
        .first()
    )
    if setting is None:
        raise Http404
    months, quarters = _spans(request, cluster)
    chosen = selectors.chosen_span(request.GET.get("period"), months + quarters)
    context = _context(
        request,
        cluster,
        "detail",
        setting=setting,
        kpi=setting.kpi,
        months=months,
        quarters=quarters,
        **_period_context(chosen, months + quarters),
    )
    # The KPI's alerts, open ones first: one click from a KPI below its minimum to the firms behind it.
    alerts = (
        restrict(Alert.objects.filter(cluster=cluster, kpi=setting.kpi), request.user, VIEW)
        .select_related("working_group")
        .order_by("-status", "-period_start", "scope", "link")  # open before closed
    )
    context["kpi_alerts"] = list(alerts[:10])
    # Open alerts by where they are: "" the whole cluster, else the link.
    context["open_alert_links"] = {
        (a.link if a.scope == Scope.LINK else ""): a for a in context["kpi_alerts"] if a.status == AlertStatus.OPEN
    }
    span = context["span"]
    if span is not None:
        detail = selectors.kpi_detail(user=request.user, cluster=cluster, setting=setting, span=span)
        context["publish_min_quartiles"] = services.collection_rules(cluster).publish_min_enterprises_quartiles
        labels = dict(ValueChainLink.choices)
        context.update(
            detail=detail,
            trend_chart=charts.kpi_trend(detail),
            quarter_chart=charts.kpi_quarters(detail),
            link_chart=charts.kpi_by_link(detail, labels),
            distribution_chart=charts.kpi_distribution(detail, named=context["office"]),
        )
        if context["office"]:
            # The office's table of every enterprise (hundreds of rows), formatted here once: the template only
            # writes the cells.
            statuses = {key: str(label) for key, label in KpiStatus.choices}
            links = {key: str(label) for key, label in labels.items()}
            context["enterprise_rows"] = [
                (
                    v.enterprise.name if v.enterprise else "",
                    links.get(v.link, v.link),
                    display(v.value, setting.kpi.unit),
                    STATUS_CLASSES.get(v.status, ""),
                    statuses.get(v.status, ""),
                )
                for v in detail.enterprises
            ]
    return render(request, "kpi/dashboards/kpi_detail.html", context)


@login_required
def value_chain(request):
    """Supply → processing → service → innovation, each link coloured by its worst KPI: the bottleneck at a glance."""
    cluster = current_cluster_or_404(request)
    months, quarters = _spans(request, cluster)
    chosen = selectors.chosen_span(request.GET.get("period"), months + quarters)
    context = _context(
        request, cluster, "value_chain", months=months, quarters=quarters, **_period_context(chosen, months + quarters)
    )
    span = context["span"]
    if span is not None:
        context["links"] = selectors.value_chain(user=request.user, cluster=cluster, span=span)
        context["settings"] = selectors.active_settings(user=request.user, cluster=cluster)
    return render(request, "kpi/dashboards/value_chain.html", context)


@login_required
def enterprise_view(request, enterprise_pk: int | None = None):
    """An enterprise's own figures against the cluster median and quartiles (peers only where three report)."""
    cluster = current_cluster_or_404(request)
    own_ids = sorted(represented(request.user, cluster))
    if enterprise_pk is None:
        if not own_ids:
            raise Http404
        return redirect("kpi:enterprise_view", enterprise_pk=own_ids[0])
    enterprise = get_scoped_or_404(
        Enterprise, request.user, enterprise_pk, base=Enterprise.objects.filter(cluster=cluster)
    )
    if not may_act_for(request.user, cluster, enterprise.pk):
        raise PermissionDenied
    months, _quarters = _spans(request, cluster)
    chosen = selectors.chosen_span(request.GET.get("period"), months)
    context = _context(
        request, cluster, "enterprise", enterprise=enterprise, months=months, **_period_context(chosen, months)
    )
    span = context["span"]
    if span is not None:
        rows = selectors.enterprise_view(user=request.user, enterprise=enterprise, span=span)
        context["rows"] = rows
        kpi = next((r.own.kpi for r in rows if r.own.kpi.code == request.GET.get("kpi")), None)
        worst = sorted(rows, key=lambda r: -selectors.STATUS_RANK.get(r.own.status, 0))
        kpi = kpi or (worst[0].own.kpi if worst else None)
        if kpi is not None:
            own, peers = selectors.enterprise_trend(user=request.user, enterprise=enterprise, kpi=kpi, span=span)
            context.update(chosen=kpi, trend_chart=charts.enterprise_against_cluster(kpi, own, peers))
    return render(request, "kpi/dashboards/enterprise.html", context)


@login_required
def data_quality(request):
    """The office's completeness heatmap: enterprises × months, on time, late, missing."""
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    enterprises = restrict(Enterprise.objects.filter(cluster=cluster), request.user, VIEW)
    grid = selectors.timeliness_grid(cluster=cluster, enterprises=enterprises)
    context = _context(request, cluster, "quality", grid=grid, heatmap=charts.completeness_heatmap(grid))
    return render(request, "kpi/dashboards/data_quality.html", context)


@login_required
@require_POST
def recompute(request):
    """The office recomputes a period now (queued to the worker; at once where tasks run in-process)."""
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    try:
        span = Span.parse(request.POST.get("period", ""))
    except ValueError:
        messages.error(request, _("Give the period as YYYY-MM or YYYY-Qn."))
        return redirect("kpi:overview")
    try:
        services.kpi_values_recompute(cluster=cluster, span=span, trigger=Trigger.OFFICE)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("kpi:overview")
    messages.success(
        request,
        _("Recomputation of %(period)s is queued; the page shows the new values once it ran.") % {"period": span.key},
    )
    return redirect(f"{reverse('kpi:overview')}?period={span.key}")


# --- Alerts ------------------------------------------------------------------------------------------


ALERT_SORTS = {
    "kpi": ("kpi__position",),
    "where": ("scope", "link"),
    "months": ("period_start",),
    "working_group": ("working_group__name",),
    "status": ("status",),
}


@login_required
def alert_list(request):
    """Alerts by KPI, link, working group and state (open ones unless asked otherwise)."""
    cluster = current_cluster_or_404(request)
    alerts = restrict(Alert.objects.filter(cluster=cluster), request.user, VIEW).select_related(
        "kpi", "working_group", "action_item"
    )
    filterset = AlertListFilterSet(request.GET, queryset=alerts, request=request, cluster=cluster)
    if filterset.is_valid():
        alerts = filterset.qs
    else:
        alerts = alerts.filter(status=AlertStatus.OPEN)
    alerts = alerts.order_by("-period_start", "kpi__position", "link")
    alerts, sort = sort_queryset(request, alerts, ALERT_SORTS)
    context = _context(
        request,
        cluster,
        "alerts",
        alerts=alerts,
        filter=filterset,
        sortable=ALERT_SORTS,
        sort=sort,
        status=filterset.form.cleaned_data.get("status", "") if filterset.is_valid() else AlertStatus.OPEN,
    )
    return render(request, "kpi/dashboards/alert_list.html", context)


@login_required
def alert_detail(request, pk: int):
    cluster = current_cluster_or_404(request)
    alert = get_scoped_or_404(
        Alert,
        request.user,
        pk,
        base=Alert.objects.filter(cluster=cluster).select_related("kpi", "working_group", "action_item"),
    )
    context = _context(
        request,
        cluster,
        "alerts",
        alert=alert,
        contributors=selectors.alert_contributors(user=request.user, alert=alert),
        may_act=may_change(request.user, alert),
    )
    return render(request, "kpi/dashboards/alert_detail.html", context)


@login_required
@require_POST
def alert_action_item(request, pk: int):
    """One click: the alert becomes an action item of its working group."""
    cluster = current_cluster_or_404(request)
    alert = get_scoped_or_404(Alert, request.user, pk, CHANGE, base=Alert.objects.filter(cluster=cluster))
    try:
        item = services.alert_to_action_item(alert=alert, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(alert)
    messages.success(request, _("The alert is now an action item of %(group)s.") % {"group": item.owner_group})
    return redirect(item)


# --- Reports and exports -----------------------------------------------------------------------------


@login_required
def reports(request):
    """The periods with KPI values, each with its XLSX and PDF report, and the CSV export."""
    cluster = current_cluster_or_404(request)
    months, quarters = _spans(request, cluster)
    return render(
        request, "kpi/dashboards/reports.html", _context(request, cluster, "reports", months=months, quarters=quarters)
    )


def _report_period(request, cluster, period: str):
    months, quarters = _spans(request, cluster)
    chosen = next((p for p in months + quarters if p.key == period), None)
    if chosen is None:
        raise Http404
    return chosen


@login_required
def report_download(request, period: str, fmt: str):
    cluster = current_cluster_or_404(request)
    chosen = _report_period(request, cluster, period)
    span = chosen.span
    report = kpi_reports.report_build(user=request.user, cluster=cluster, span=span, period=chosen)
    if fmt == "pdf":
        body, content_type = kpi_reports.report_pdf(report), "application/pdf"
    else:
        body = kpi_reports.report_xlsx(report)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="kpi-report-{span.key}.{fmt}"'
    return response


@login_required
def kpi_values_export(request):
    """The KPI values the user may read, as CSV (`?period=` and `?scope=` narrow it)."""
    cluster = current_cluster_or_404(request)
    values = selectors.kpi_values(request.user).filter(cluster=cluster)
    period, scope = request.GET.get("period"), request.GET.get("scope")
    if period:
        try:
            period = Span.parse(period).key  # only a month or a quarter reaches the file name
        except ValueError as error:
            raise Http404 from error
        values = values.filter(period=period)
    if scope in Scope.values:
        values = values.filter(scope=scope)
    computed = None
    if scope not in (Scope.CLUSTER, Scope.LINK):
        computed = selectors.enterprise_kpi_values(request.user, cluster=cluster, period=period or None)
    every_figure = is_office(request.user, cluster)
    response = HttpResponse(
        kpi_reports.kpi_values_csv(
            values, computed=computed.rows() if computed is not None else (), every_figure=every_figure
        ),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="kpi-values{"-" + period if period else ""}.csv"'
    return response
