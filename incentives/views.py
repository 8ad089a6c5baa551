"""Pages of the incentives element: packages in tiers with their rules; evaluation results that explain
themselves. Every queryset goes through the scoping helper: an enterprise reads only its own evaluations."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core.generic import ScopedListView, get_scoped_or_404
from governance.scoping import VIEW, is_office, restrict
from governance.selectors import current_cluster_or_404

from .explain import asks, explain, subject, window
from .filters import EvaluationFilterSet
from .models import Evaluation, IncentivePackage, Participation
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
    rows = []
    for package in packages:
        rule = rule_in_force(package, today)
        conditions = list(rule.conditions.select_related("kpi")) if rule else []
        rows.append(
            (
                package,
                rule,
                [(c, subject(c), asks(c, c.threshold, c.comparison), window(c)) for c in conditions],
            )
        )
    context = {"section": "incentives", "page": "packages", "cluster": cluster, "rows": rows}
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
