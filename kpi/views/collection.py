"""Pages of the kpi element: the monthly form, submissions and their approval, the office's set-up.

Every queryset goes through the scoping helper; writes go through the kpi services, and the form
uses the same validation as the Excel upload and the API.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.generic import ScopedListView, apply_validation_error, get_scoped_or_404
from governance.choices import BodyKind, EnterpriseStatus
from governance.models import Body, Enterprise
from governance.scoping import CHANGE, VIEW, is_office, require_office, restrict
from governance.selectors import current_cluster_or_404

from .. import excel, selectors, services
from ..choices import ENTERPRISE_EDITABLE, SubmissionStatus
from ..filters import SubmissionQueueFilterSet
from ..forms import (
    ClusterKpiFormSet,
    CollectionRulesForm,
    CorrectionForm,
    ExcelUploadForm,
    MonthlyForm,
    ReturnForm,
    comment_field_name,
    figures_snapshot,
    loaded_snapshot,
    value_field_name,
)
from ..models import ClusterKpi, Correction, DataCollectionRules, ReportingPeriod, Submission, parse_month


def _periods(request, cluster):
    return restrict(ReportingPeriod.objects.filter(cluster=cluster), request.user, VIEW).order_by("-month")


# --- Data collection home ---------------------------------------------------------------------------


@login_required
def home(request):
    """The office sees the months at a glance; a representative their enterprises' months and forms."""
    cluster = current_cluster_or_404(request)
    periods = list(_periods(request, cluster)[:12])
    office = is_office(request.user, cluster)
    context = {"section": "data", "cluster": cluster, "office": office, "periods": periods, "now": timezone.now()}
    if office:
        context["period_counts"] = selectors.status_counts(_periods(request, cluster))[:12]
        context["expected"] = cluster.enterprises.exclude(status=EnterpriseStatus.LEFT).count()
    own = restrict(Enterprise.objects.filter(cluster=cluster), request.user, CHANGE)
    if not office:
        own_list = list(own)
        submissions = {
            (s.enterprise_id, s.period_id): s
            for s in restrict(
                Submission.objects.filter(enterprise__in=own_list, period__in=periods), request.user, VIEW
            )
        }
        context["own_rows"] = [
            (enterprise, [(period, submissions.get((enterprise.pk, period.pk))) for period in periods])
            for enterprise in own_list
        ]
    return render(request, "kpi/home.html", context)


# --- The monthly form -------------------------------------------------------------------------------


def _form_context(request, enterprise_pk: int, month_key: str):
    cluster = current_cluster_or_404(request)
    enterprise = get_scoped_or_404(
        Enterprise, request.user, enterprise_pk, base=Enterprise.objects.filter(cluster=cluster)
    )
    period = _period_of(request, cluster, month_key)
    if not restrict(Enterprise.objects.filter(pk=enterprise.pk), request.user, CHANGE).exists():
        raise PermissionDenied
    submission = Submission.objects.filter(enterprise=enterprise, period=period).first()
    return cluster, enterprise, period, submission


@login_required
def report_form(request, enterprise_pk: int, month: str):
    """One enterprise's figures for one month: save as draft, or submit to the office."""
    cluster, enterprise, period, submission = _form_context(request, enterprise_pk, month)
    office = is_office(request.user, cluster)
    status = submission.status if submission else SubmissionStatus.DRAFT
    locked = period.is_locked()
    read_only = locked or (not office and status not in ENTERPRISE_EDITABLE)
    elements = services.active_data_elements(cluster=cluster)
    stored = selectors.figures_of(enterprise=enterprise, month=period.month)
    previous = selectors.previous_values(enterprise=enterprise, month=period.month)
    form_kwargs: dict[str, Any] = {
        "elements": elements,
        "stored": stored,
        "previous": previous,
        "read_only": read_only,
        "lock_version": submission.lock_version if submission else 0,
        "status": submission.status if submission else "",
    }
    warnings: dict[str, str] = {}
    changes: list = []
    draft_reason = ""
    if request.method == "POST" and not read_only:
        form = MonthlyForm(request.POST, **form_kwargs)
        if form.is_valid():
            submit = request.POST.get("action") == "submit" and not office  # the office approves, it does not submit
            saved = services.monthly_figures_save(
                enterprise=enterprise,
                period=period,
                user=request.user,
                rows=form.rows(enterprise=enterprise, period=period),
                expected_version=form.cleaned_data["lock_version"],
                submit=submit,
            )
            if saved.stale:
                # Someone saved this month after the form was loaded: nothing was written. Show what changed, keep
                # what the person typed, and let them save again on the current version.
                changes = selectors.figures_changed_since(
                    enterprise=enterprise,
                    period=period,
                    elements=elements,
                    loaded=loaded_snapshot(form),
                    yours={e.code: form.cleaned_data.get(value_field_name(e.code), "") for e in elements},
                )
                form = _rebased(form, enterprise, period, elements)
                messages.error(
                    request,
                    _("Someone else changed this month after you opened the form: nothing of yours was saved."),
                )
            else:
                result = saved.result
                assert result is not None  # written, as it was not stale
                codes = [e.code for e in elements]
                for problem in result.conflicts:
                    field = (
                        comment_field_name(codes[problem.row])
                        if problem.field == "comment"
                        else value_field_name(codes[problem.row])
                    )
                    form.add_error(field, problem.message)
                warnings = {codes[w.row]: w.message for w in result.warnings}
                if saved.submitted:
                    messages.success(request, _("Submitted to the cluster office. Thank you."))
                    return redirect(reverse("kpi:report_form", args=[enterprise.pk, period.key]))
                if result.ok and not submit:
                    messages.success(request, _("Saved as a draft. Submit when every figure is in."))
                    return redirect(reverse("kpi:report_form", args=[enterprise.pk, period.key]))
                if result.ok and submit:
                    for code, problems in saved.submit_problems.items():
                        form.add_error(value_field_name(code) if code in codes else None, problems)
                    # A warning that stands in the way of submitting shows once, as the field's error.
                    warnings = {code: text for code, text in warnings.items() if code not in saved.submit_problems}
                    # The figures were saved; the page says plainly why they were not submitted, and the summary
                    # and the fields show what stands in the way.
                    draft_reason = _draft_reason(saved)
                    form = _rebased(form, enterprise, period, elements)
    else:
        form = MonthlyForm(**form_kwargs)
        if submission and not read_only:
            _missing, warnings = services.submission_problems(submission=submission)
    context = {
        "section": "data",
        "cluster": cluster,
        "enterprise": enterprise,
        "period": period,
        "submission": submission,
        "status": status,
        "locked": locked,
        "read_only": read_only,
        "form": form,
        "warnings": warnings,
        "changes": changes,
        "draft_reason": draft_reason,
        "error_summary": _error_summary(form) if request.method == "POST" else [],
        "office": office,
        "other_periods": _periods(request, cluster)[:12],
        # The office decides here as on the submission's page; it saves figures but does not submit them.
        "can_decide": office and not locked and status == SubmissionStatus.SUBMITTED,
        "can_return": office and not locked and status in (SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED),
        "return_form": ReturnForm(),
    }
    return render(request, "kpi/report_form.html", context)


def _draft_reason(saved) -> str:
    """Why a submit became a draft, in a sentence: how many figures are missing, how many need a comment."""
    reasons = []
    if saved.missing:
        reasons.append(
            ngettext("%(n)d figure is missing.", "%(n)d figures are missing.", len(saved.missing))
            % {"n": len(saved.missing)}
        )
    if saved.unexplained:
        reasons.append(
            ngettext(
                "%(n)d unusual figure needs a comment.", "%(n)d unusual figures need a comment.", len(saved.unexplained)
            )
            % {"n": len(saved.unexplained)}
        )
    if not reasons:
        reasons.append(" ".join(m for problems in saved.submit_problems.values() for m in problems))
    return _("Saved as a draft, not submitted: %(reasons)s") % {"reasons": " ".join(reasons)}


def _error_summary(form) -> list[tuple[str, str, str]]:
    """(field id, figure, message) of each error, in the form's order: the list at the top of the page."""
    entries = [("monthly-form", "", str(error)) for error in form.non_field_errors()]
    for _group, fields in form.groups():
        for field in fields:
            for bound in (field["value"], field["comment"]):
                for error in bound.errors:
                    entries.append((bound.id_for_label, str(field["element"].label), str(error)))
    return entries


def _rebased(form, enterprise, period, elements):
    """The posted form (errors and what the person typed) on the month's current version and figures."""
    submission = Submission.objects.filter(enterprise=enterprise, period=period).first()
    stored = selectors.figures_of(enterprise=enterprise, month=period.month)
    data = form.data.copy()
    data["lock_version"] = str(submission.lock_version if submission else 0)
    data["loaded"] = json.dumps(figures_snapshot(elements, stored, submission.status if submission else ""))
    form.data = data
    return form


# --- Submissions ------------------------------------------------------------------------------------


class SubmissionList(ScopedListView):
    """The submissions, and for the office its review queue: approve or return one or several from here."""

    model = Submission
    section = "data"
    filterset_class = SubmissionQueueFilterSet
    template_name = "kpi/submission_list.html"
    sortable = {
        "month": ("period__month",),
        "enterprise": ("enterprise__name",),
        "status": ("status",),
        "submitted_at": ("submitted_at",),
        "on_time": ("on_time",),
    }

    def base_queryset(self):
        return Submission.objects.select_related("enterprise", "period", "period__cluster")

    def get_queryset(self):
        return super().get_queryset().order_by("-period__month", "enterprise__name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cluster = self.cluster
        office = cluster is not None and is_office(self.request.user, cluster)
        context["office"] = office
        if office:
            waiting = restrict(Submission.objects.filter(cluster=cluster), self.request.user, VIEW)
            context["counts"] = dict(
                waiting.filter(status__in=(SubmissionStatus.SUBMITTED, SubmissionStatus.RETURNED))
                .values_list("status")
                .annotate(n=Count("pk"))
                .order_by()
            )
            context["today"] = timezone.localdate()
            context["return_form"] = ReturnForm()
        return context


@login_required
@require_POST
def submission_queue_decide(request):
    """Approve the chosen submissions, or return them with one reason (office staff); all or none."""
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    one = request.POST.get("one", "")
    decision, _sep, one_pk = one.partition(":")
    if not one:
        decision = request.POST.get("action", "")
    if decision not in (services.APPROVE, services.RETURN):
        return HttpResponseBadRequest()
    picked = [one_pk] if one else request.POST.getlist("pk")
    versions = {int(pk): request.POST.get(f"version-{pk}", "") for pk in picked if pk.isdigit()}
    back = _back(request, reverse("kpi:submission_list"))
    if any(not version.isdigit() for version in versions.values()):
        messages.error(request, _("This page is out of date: look at the figures again, then decide."))
        return redirect(back)
    found = restrict(Submission.objects.filter(cluster=cluster, pk__in=versions), request.user, CHANGE)
    chosen = [(s, int(versions[s.pk])) for s in found.select_related("enterprise", "period")]
    if len(chosen) != len(versions):
        raise Http404
    try:
        decided = services.submissions_decide(
            decision=decision, chosen=chosen, user=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    if decision == services.APPROVE:
        message = ngettext("%(n)d submission approved.", "%(n)d submissions approved.", len(decided))
    else:
        message = ngettext(
            "%(n)d submission returned; the enterprise is told by e-mail.",
            "%(n)d submissions returned; each enterprise is told by e-mail.",
            len(decided),
        )
    messages.success(request, message % {"n": len(decided)})
    return redirect(back)


def _back(request, default: str) -> str:
    """Back where the decision was taken (the queue as it was filtered, the form): only a path of this site."""
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        return back
    return default


@login_required
def submission_detail(request, pk: int):
    cluster = current_cluster_or_404(request)
    submission = get_scoped_or_404(
        Submission,
        request.user,
        pk,
        base=Submission.objects.filter(cluster=cluster).select_related("enterprise", "period__cluster"),
    )
    elements = services.active_data_elements(cluster=cluster)
    stored = selectors.figures_of(enterprise=submission.enterprise, month=submission.period.month)
    office = is_office(request.user, cluster)
    context = {
        "section": "data",
        "cluster": cluster,
        "submission": submission,
        "rows": [(e, stored.get(e.pk)) for e in elements],
        "changes": selectors.changes_of(submission=submission)[:200],
        "office": office,
        "can_decide": office and submission.status == SubmissionStatus.SUBMITTED and not submission.period.is_locked(),
        "can_return": office
        and submission.status in (SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED)
        and not submission.period.is_locked(),
        "return_form": ReturnForm(),
        "locked": submission.period.is_locked(),
        "corrections": Correction.objects.filter(
            enterprise=submission.enterprise, period=submission.period
        ).select_related("data_element", "requested_by"),
    }
    return render(request, "kpi/submission_detail.html", context)


@login_required
@require_POST
def submission_decide(request, pk: int, decision: str):
    """Approve or return a submission (office staff)."""
    cluster = current_cluster_or_404(request)
    submission = get_scoped_or_404(Submission, request.user, pk, base=Submission.objects.filter(cluster=cluster))
    require_office(request.user, cluster)
    back = _back(request, submission.get_absolute_url())
    seen = request.POST.get("lock_version", "")
    expected = int(seen) if seen.isdigit() else None
    if expected is None:
        messages.error(request, _("This page is out of date: look at the figures again, then decide."))
        return redirect(back)
    try:
        if decision == "approve":
            services.submission_approve(submission=submission, user=request.user, expected_version=expected)
            messages.success(request, _("Approved."))
        else:
            form = ReturnForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Say why the figures go back, so the enterprise knows what to fix."))
                return redirect(back)
            services.submission_return(
                submission=submission, user=request.user, reason=form.cleaned_data["reason"], expected_version=expected
            )
            messages.success(request, _("Returned to the enterprise, which is told by e-mail."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(back)


# --- Corrections of locked months -------------------------------------------------------------------


@login_required
def correction_create(request, enterprise_pk: int, month: str):
    cluster, enterprise, period, _submission = _form_context(request, enterprise_pk, month)
    elements = services.active_data_elements(cluster=cluster)
    form = CorrectionForm(request.POST or None, elements=elements)
    if request.method == "POST" and form.is_valid():
        correction = form.save(commit=False)
        correction.enterprise, correction.period, correction.cluster = enterprise, period, cluster
        try:
            services.correction_request(correction=correction, user=request.user)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("The correction waits for the office's approval."))
            return redirect("kpi:correction_list")
    context = {"section": "data", "cluster": cluster, "form": form, "enterprise": enterprise, "period": period}
    return render(request, "kpi/correction_form.html", context)


class CorrectionList(ScopedListView):
    model = Correction
    section = "data"
    template_name = "kpi/correction_list.html"
    sortable = {
        "requested_at": ("requested_at",),
        "enterprise": ("enterprise__name",),
        "month": ("period__month",),
        "figure": ("data_element__position",),
        "status": ("status",),
    }

    def base_queryset(self):
        return Correction.objects.select_related("enterprise", "period", "data_element", "requested_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["office"] = is_office(self.request.user, self.cluster)
        context["stored"] = {}
        return context


@login_required
@require_POST
def correction_decide(request, pk: int):
    cluster = current_cluster_or_404(request)
    correction = get_scoped_or_404(Correction, request.user, pk, base=Correction.objects.filter(cluster=cluster))
    approve = request.POST.get("decision") == "approve"
    try:
        services.correction_decide(
            correction=correction, user=request.user, approve=approve, note=request.POST.get("note", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Correction approved: the figure is changed.") if approve else _("Correction rejected.")
        )
    return redirect("kpi:correction_list")


# --- The office's set-up ----------------------------------------------------------------------------


@login_required
def kpi_settings(request):
    """Which KPIs the cluster runs, with their targets and minimums."""
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    queryset = (
        restrict(ClusterKpi.objects.filter(cluster=cluster), request.user, CHANGE)
        .select_related("kpi", "kpi__numerator", "kpi__denominator")
        .order_by("kpi__position")
    )
    groups = restrict(Body.objects.filter(cluster=cluster, kind=BodyKind.WORKING_GROUP), request.user, VIEW)
    choices = [("", _("The working group of the KPI's area"))] + [(g.pk, g.name) for g in groups.order_by("name")]
    formset = ClusterKpiFormSet(
        request.POST or None, queryset=queryset, form_kwargs={"groups": {"queryset": groups, "choices": choices}}
    )
    if request.method == "POST" and formset.is_valid():
        settings = [
            services.KpiSetting(
                f.instance.kpi_id,
                f.cleaned_data["active"],
                f.cleaned_data["target"],
                f.cleaned_data["minimum"],
                f.cleaned_data["working_group"].pk if f.cleaned_data["working_group"] else None,
                f.cleaned_data["compare_links"],
            )
            for f in formset.forms
        ]
        try:
            with transaction.atomic():
                warning = services.cluster_kpis_save(cluster=cluster, settings=settings)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("KPI settings saved. The latest month and quarter are recomputed with them."))
            if warning:
                messages.warning(request, warning)
            return redirect("kpi:kpi_settings")
    active = sum(1 for f in formset.forms if f.instance.active)
    context = {
        "section": "data",
        "cluster": cluster,
        "formset": formset,
        "warning": services.active_kpis_warning(active),
    }
    return render(request, "kpi/kpi_settings.html", context)


@login_required
def collection_rules(request):
    """The data-collection calendar: deadline day, lock delay, reminders and the soft rule."""
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    rules = DataCollectionRules.objects.filter(cluster=cluster).first() or DataCollectionRules(cluster=cluster)
    form = CollectionRulesForm(request.POST or None, instance=rules, cluster=cluster)
    if request.method == "POST" and form.is_valid():
        try:
            services.collection_rules_save(rules=form.save(commit=False))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, _("Data-collection rules saved. They apply to months opened from now on."))
            if set(services.RECOMPUTING_RULES) & set(form.changed_data):
                messages.info(request, _("Every computed month and quarter is recomputed with the new rules."))
            following = request.GET.get("next", "")
            if following and url_has_allowed_host_and_scheme(following, allowed_hosts={request.get_host()}):
                # The first day: the rules set, the office is invited next.
                messages.info(request, _("Next: invite the cluster office, who will add the enterprises and people."))
                return redirect(following)
            return redirect("kpi:collection_rules")
    context = {
        "section": "data",
        "cluster": cluster,
        "form": form,
        "title": _("Data-collection rules"),
        "first_day": bool(request.GET.get("next")),
    }
    return render(request, "kpi/collection_rules.html", context)


# --- Completeness and timeliness --------------------------------------------------------------------


@login_required
def completeness(request):
    """Enterprises × months: on time, late, missing; the shares per month and per enterprise (office)."""
    cluster = current_cluster_or_404(request)
    require_office(request.user, cluster)
    enterprises = restrict(Enterprise.objects.filter(cluster=cluster), request.user, VIEW)
    grid = selectors.timeliness_grid(cluster=cluster, enterprises=enterprises)
    context = {"section": "data", "cluster": cluster, "grid": grid, "office": True}
    return render(request, "kpi/completeness.html", context)


# --- Excel ------------------------------------------------------------------------------------------


def _period_of(request, cluster, month: str) -> ReportingPeriod:
    try:
        first = parse_month(month)
    except ValueError as error:
        raise Http404 from error
    period = _periods(request, cluster).filter(month=first).first()
    if period is None:
        raise Http404
    return period


@login_required
def excel_template(request, month: str):
    """The month's template: a representative's own enterprises, or (office) every participant or one."""
    cluster = current_cluster_or_404(request)
    period = _period_of(request, cluster, month)
    scoped = restrict(Enterprise.objects.filter(cluster=cluster), request.user, CHANGE).exclude(
        status=EnterpriseStatus.LEFT
    )
    chosen = request.GET.get("enterprise", "")
    if chosen.isdigit():
        scoped = scoped.filter(pk=chosen)
    enterprises = list(scoped.order_by("name"))
    if not enterprises:
        raise PermissionDenied
    content = excel.template_workbook(cluster=cluster, period=period, enterprises=enterprises, user=request.user)
    response = HttpResponse(content, content_type=XLSX)
    name = f"figures-{period.key}" + (f"-{enterprises[0].taxpayer_id}" if len(enterprises) == 1 else "")
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def excel_upload(request, month: str):
    """Upload a filled template: every row is checked, and a file with any error writes nothing."""
    cluster = current_cluster_or_404(request)
    period = _period_of(request, cluster, month)
    if not restrict(Enterprise.objects.filter(cluster=cluster), request.user, CHANGE).exists():
        raise PermissionDenied
    form = ExcelUploadForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = excel.excel_upload(
            cluster=cluster,
            user=request.user,
            uploaded_file=form.cleaned_data["file"],
            period_key=period.key,
            dry_run=form.cleaned_data["check_only"],
        )
        if report.ok and not report.dry_run:
            messages.success(
                request,
                _("The file was read: %(created)s figures added, %(updated)s changed, %(unchanged)s unchanged.")
                % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
            )
    context = {
        "section": "data",
        "cluster": cluster,
        "period": period,
        "form": form,
        "report": report,
        "office": is_office(request.user, cluster),
    }
    return render(request, "kpi/excel_upload.html", context, status=400 if report and not report.ok else 200)
