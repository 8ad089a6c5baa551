"""Pages of the incentives element: packages in tiers with their rules; evaluation results that explain
themselves. Every queryset goes through the scoping helper: an enterprise reads only its own evaluations."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.generic import ScopedListView, apply_validation_error, get_scoped_or_404
from governance.scoping import CHANGE, VIEW, is_office, require_office, restrict
from governance.selectors import current_cluster_or_404

from . import services
from .choices import RuleStatus
from .explain import asks, explain, subject, window
from .filters import EvaluationFilterSet
from .forms import ConditionFormSet, RuleApproveForm, RuleForm
from .models import Evaluation, IncentivePackage, Participation, RuleVersion
from .services import rule_in_force


@login_required
def overview(request):
    """The packages in tiers: each one's benefits and the rule in force, condition by condition."""
    cluster = current_cluster_or_404(request)
    packages = list(
        restrict(IncentivePackage.objects.filter(cluster=cluster), request.user, VIEW)
        .prefetch_related("benefits")
        .order_by("tier")
    )
    today = cluster.today()
    drafts = dict(
        RuleVersion.objects.filter(package__in=packages, status=RuleStatus.DRAFT).values_list("package_id", "pk")
    )
    rows = []
    for package in packages:
        package.draft_id = drafts.get(package.pk)
        rule = rule_in_force(package, today)
        conditions = list(rule.conditions.select_related("kpi")) if rule else []
        rows.append(
            (
                package,
                rule,
                [(c, subject(c), asks(c, c.threshold, c.comparison), window(c)) for c in conditions],
            )
        )
    context = {
        "section": "incentives",
        "page": "packages",
        "cluster": cluster,
        "rows": rows,
        "office": is_office(request.user, cluster),
    }
    return render(request, "incentives/overview.html", context)


class EvaluationList(ScopedListView):
    model = Evaluation
    section = "incentives"
    filterset_class = EvaluationFilterSet
    template_name = "incentives/evaluation_list.html"
    sortable = {
        "quarter": ("quarter",),
        "enterprise": ("enterprise__name",),
        "package": ("package__tier",),
        "verdict": ("verdict",),
    }

    def base_queryset(self):
        return Evaluation.objects.select_related("enterprise", "package", "rule")

    def get_queryset(self):
        return super().get_queryset().order_by("-quarter", "enterprise__name", "package__tier")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = context["object_list"]
        levels = restrict(
            Participation.objects.filter(
                enterprise__in={e.enterprise_id for e in rows}, quarter__in={e.quarter for e in rows}
            ),
            self.request.user,
            VIEW,
        )
        found = {(p.enterprise_id, p.quarter): p for p in levels}
        context["levels"] = {e.pk: found.get((e.enterprise_id, e.quarter)) for e in rows}
        context["page"] = "evaluations"
        return context


@login_required
def evaluation_detail(request, pk: int):
    """One enterprise, one package, one quarter: each condition with its measured value against the threshold and,
    where not met, the distance to it; the rule version used; the participation level with its parts."""
    cluster = current_cluster_or_404(request)
    evaluation = get_scoped_or_404(
        Evaluation,
        request.user,
        pk,
        base=Evaluation.objects.filter(cluster=cluster).select_related("enterprise", "package", "rule"),
    )
    results = [(r, explain(r)) for r in evaluation.results.select_related("condition__kpi")]
    participation = restrict(
        Participation.objects.filter(enterprise=evaluation.enterprise, quarter=evaluation.quarter), request.user, VIEW
    ).first()
    context = {
        "section": "incentives",
        "page": "evaluations",
        "cluster": cluster,
        "evaluation": evaluation,
        "results": results,
        "participation": participation,
        "office": is_office(request.user, cluster),
    }
    return render(request, "incentives/evaluation_detail.html", context)


# --- The office's rules ------------------------------------------------------------------------------------------


@login_required
@require_POST
def rule_draft_create(request, pk: int):
    cluster = current_cluster_or_404(request)
    package = get_scoped_or_404(
        IncentivePackage, request.user, pk, CHANGE, base=IncentivePackage.objects.filter(cluster=cluster)
    )
    draft = services.rule_draft_create(package=package, user=request.user)
    return redirect("incentives:rule_edit", pk=draft.pk)


@login_required
def rule_edit(request, pk: int):
    """A rule version: a draft the office edits, with who would gain and lose under it, and its approval by a
    council decision; an approved version, read only."""
    cluster = current_cluster_or_404(request)
    rule = get_scoped_or_404(
        RuleVersion,
        request.user,
        pk,
        base=RuleVersion.objects.filter(package__cluster=cluster).select_related("package"),
    )
    office = is_office(request.user, cluster)
    draft = rule.status == RuleStatus.DRAFT and office
    form = RuleForm(request.POST or None, instance=rule) if draft else None
    conditions = (
        ConditionFormSet(request.POST or None, instance=rule, cluster=cluster, prefix="conditions") if draft else None
    )
    if request.method == "POST":
        if not draft:
            raise PermissionDenied
        assert form is not None and conditions is not None
        if form.is_valid() and conditions.is_valid():
            try:
                services.rule_save(rule=form.save(commit=False), conditions=conditions, user=request.user)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("The draft is saved. See who would gain and lose under it below."))
                return redirect("incentives:rule_edit", pk=rule.pk)
    context = {
        "section": "incentives",
        "page": "packages",
        "cluster": cluster,
        "rule": rule,
        "form": form,
        "conditions": conditions,
        "listed": [
            (c, subject(c), asks(c, c.threshold, c.comparison), window(c))
            for c in rule.conditions.select_related("kpi")
        ],
        "preview": services.rule_preview(rule=rule) if draft and request.method == "GET" else None,
        "approve_form": RuleApproveForm(cluster=cluster) if draft else None,
    }
    return render(request, "incentives/rule_edit.html", context)


@login_required
@require_POST
def rule_approve(request, pk: int):
    cluster = current_cluster_or_404(request)
    rule = get_scoped_or_404(
        RuleVersion, request.user, pk, CHANGE, base=RuleVersion.objects.filter(package__cluster=cluster)
    )
    require_office(request.user, cluster)
    form = RuleApproveForm(request.POST, cluster=cluster)
    if not form.is_valid():
        messages.error(request, _("Choose the adopted council decision that approved the rule."))
        return redirect("incentives:rule_edit", pk=rule.pk)
    try:
        services.rule_approve(rule=rule, decision=form.cleaned_data["decision"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The rule is approved: it applies from its date; earlier evaluations keep theirs."))
    return redirect("incentives:rule_edit", pk=rule.pk)
