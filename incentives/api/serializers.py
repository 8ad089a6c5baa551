"""The incentives resources of the API: read-only; the evaluation and the council's decisions are written by the
platform and the office's pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from governance.models import Enterprise
from kpi.models import Kpi

from ..models import (
    Award,
    Benefit,
    Condition,
    ConditionResult,
    ConditionsReview,
    Evaluation,
    EvidenceChange,
    IncentivePackage,
    RuleVersion,
)


class BenefitSerializer(serializers.ModelSerializer):
    class Meta:
        model = Benefit
        fields = ["kind", "value"]
        read_only_fields = fields


class ConditionSerializer(serializers.ModelSerializer):
    kpi: serializers.SlugRelatedField[Kpi] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, label=_("KPI (code)")
    )

    class Meta:
        model = Condition
        fields = ["id", "position", "measure", "kpi", "window", "months", "comparison", "threshold"]
        read_only_fields = fields


class RuleVersionSerializer(serializers.ModelSerializer):
    conditions = ConditionSerializer(many=True, read_only=True)

    class Meta:
        model = RuleVersion
        fields = ["id", "number", "combine", "effective_from", "status", "approved_by", "conditions"]
        read_only_fields = fields


class IncentivePackageSerializer(serializers.ModelSerializer):
    benefits = BenefitSerializer(many=True, read_only=True)
    rule_versions = RuleVersionSerializer(many=True, read_only=True)

    class Meta:
        model = IncentivePackage
        fields = ["id", "cluster", "name", "tier", "description", "active", "grace_days", "benefits", "rule_versions"]
        read_only_fields = fields


class ConditionResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConditionResult
        fields = [
            "condition",
            "measured",
            "window_start",
            "window_end",
            "months_counted",
            "months_expected",
            "comparison",
            "threshold",
            "verdict",
        ]
        read_only_fields = fields


class EvaluationSerializer(serializers.ModelSerializer):
    enterprise: serializers.SlugRelatedField[Enterprise] = serializers.SlugRelatedField(
        slug_field="taxpayer_id", read_only=True, label=_("Enterprise (taxpayer id)")
    )
    rule_version = serializers.IntegerField(source="rule.number", read_only=True, label=_("Rule version"))
    results = ConditionResultSerializer(many=True, read_only=True)

    class Meta:
        model = Evaluation
        fields = ["id", "cluster", "quarter", "enterprise", "package", "rule_version", "verdict", "results"]
        read_only_fields = fields


class AwardSerializer(serializers.ModelSerializer):
    enterprise: serializers.SlugRelatedField[Enterprise] = serializers.SlugRelatedField(
        slug_field="taxpayer_id", read_only=True, label=_("Enterprise (taxpayer id)")
    )

    class Meta:
        model = Award
        fields = [
            "id",
            "cluster",
            "quarter",
            "enterprise",
            "package",
            "evaluation",
            "status",
            "decision",
            "valid_from",
            "valid_until",
            "evidence_changed_at",
        ]
        read_only_fields = fields


class EvidenceChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = EvidenceChange
        fields = ["detected_at", "before", "after"]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    enterprise: serializers.SlugRelatedField[Enterprise] = serializers.SlugRelatedField(
        slug_field="taxpayer_id", read_only=True, label=_("Enterprise (taxpayer id)")
    )
    evidence_changes = EvidenceChangeSerializer(
        source="evaluation.evidence_changes", many=True, read_only=True, label=_("Evidence changes")
    )

    class Meta:
        model = ConditionsReview
        fields = [
            "id",
            "cluster",
            "quarter",
            "enterprise",
            "award",
            "evaluation",
            "opened_on",
            "respond_by",
            "state",
            "answer",
            "answered_at",
            "outcome",
            "decision",
            "decided_at",
            "lifted_in",
            "evidence_changed_at",
            "evidence_changes",
        ]
        read_only_fields = fields
