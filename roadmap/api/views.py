"""Read-only resources of the roadmap, scoped as every other: each cluster's members read its roadmap."""

from __future__ import annotations

from core.api.base import ScopedReadOnlyViewSet
from governance.filters import ScopedFilterSet, cluster_filter

from ..models import GateCriterion, GateDecision, GateEvaluation, Phase, RoadmapTask
from . import serializers


def _filters(model_class, *names):
    meta = type("Meta", (), {"model": model_class, "fields": ["cluster", *names]})
    return type(f"{model_class.__name__}ApiFilterSet", (ScopedFilterSet,), {"cluster": cluster_filter(), "Meta": meta})


class PhaseViewSet(ScopedReadOnlyViewSet):
    """The three phases, dated from the cluster's start."""

    queryset = Phase.objects.select_related("cluster").prefetch_related("example_kpis")
    serializer_class = serializers.PhaseSerializer
    filterset_class = _filters(Phase, "number")
    order = ("cluster", "number")


class RoadmapTaskViewSet(ScopedReadOnlyViewSet):
    """Each phase's tasks with their owner body, due date and status."""

    queryset = RoadmapTask.objects.all()
    serializer_class = serializers.RoadmapTaskSerializer
    filterset_class = _filters(RoadmapTask, "phase", "owner", "status")
    order = ("cluster", "due_on", "pk")


class GateCriterionViewSet(ScopedReadOnlyViewSet):
    """The criteria of the gate closing each phase."""

    queryset = GateCriterion.objects.select_related("kpi")
    serializer_class = serializers.GateCriterionSerializer
    filterset_class = _filters(GateCriterion, "phase", "must_meet", "active")
    order = ("cluster", "phase", "position", "pk")


class GateEvaluationViewSet(ScopedReadOnlyViewSet):
    """Each gate read at the end of each month, with its criteria's results: readiness over time."""

    queryset = GateEvaluation.objects.prefetch_related("results")
    serializer_class = serializers.GateEvaluationSerializer
    filterset_class = _filters(GateEvaluation, "phase", "month", "ready")
    order = ("cluster", "phase", "-month")


class GateDecisionViewSet(ScopedReadOnlyViewSet):
    """The council's decisions on the gates, with the evidence frozen at the decision, waivers and conditions."""

    queryset = GateDecision.objects.prefetch_related("waivers", "conditions")
    serializer_class = serializers.GateDecisionSerializer
    filterset_class = _filters(GateDecision, "phase", "outcome")
    order = ("cluster", "-decided_at", "-pk")
