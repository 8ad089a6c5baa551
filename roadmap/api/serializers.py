"""The roadmap in the API: read-only; the office edits it on its pages, the council's decisions are recorded there."""

from __future__ import annotations

from rest_framework import serializers

from kpi.models import Kpi

from ..models import (
    GateCondition,
    GateCriterion,
    GateDecision,
    GateEvaluation,
    GateResult,
    Phase,
    RoadmapTask,
    Waiver,
)


class PhaseSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="label", read_only=True)
    starts_on = serializers.DateField(read_only=True)
    gate_on = serializers.DateField(read_only=True)
    example_kpis: serializers.SlugRelatedField[Kpi] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )

    class Meta:
        model = Phase
        fields = [
            "id", "cluster", "number", "name", "start_month", "end_month", "starts_on", "gate_on", "responsible",
            "expected_result", "example_kpis", "readiness_threshold",
        ]  # fmt: skip
        read_only_fields = fields


class RoadmapTaskSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="label", read_only=True)

    class Meta:
        model = RoadmapTask
        fields = ["id", "cluster", "phase", "title", "description", "owner", "due_on", "status", "done_on"]
        read_only_fields = fields


class GateCriterionSerializer(serializers.ModelSerializer):
    kpi: serializers.SlugRelatedField[Kpi] = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = GateCriterion
        fields = ["id", "cluster", "phase", "position", "measure", "kpi", "comparison", "threshold", "must_meet",
                  "weight", "active"]  # fmt: skip
        read_only_fields = fields


class GateResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = GateResult
        fields = ["criterion", "measured", "threshold", "comparison", "coverage", "result"]
        read_only_fields = fields


class GateEvaluationSerializer(serializers.ModelSerializer):
    results = GateResultSerializer(many=True, read_only=True)

    class Meta:
        model = GateEvaluation
        fields = ["id", "cluster", "phase", "month", "evaluated_at", "readiness", "must_met", "ready", "results"]
        read_only_fields = fields


class WaiverSerializer(serializers.ModelSerializer):
    class Meta:
        model = Waiver
        fields = ["criterion", "reason"]
        read_only_fields = fields


class GateConditionSerializer(serializers.ModelSerializer):
    class Meta:
        model = GateCondition
        fields = ["id", "text", "owner", "due_on", "criterion", "closed_on", "closed_by_data"]
        read_only_fields = fields


class GateDecisionSerializer(serializers.ModelSerializer):
    waivers = WaiverSerializer(many=True, read_only=True)
    conditions = GateConditionSerializer(many=True, read_only=True)

    class Meta:
        model = GateDecision
        fields = [
            "id", "cluster", "phase", "decision", "outcome", "as_of", "readiness", "snapshot", "review_on", "note",
            "decided_at", "evidence_changed_at", "waivers", "conditions",
        ]  # fmt: skip
        read_only_fields = fields
