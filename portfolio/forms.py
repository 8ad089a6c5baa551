"""Forms of the portfolio pages; choices offer only the current cluster's rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from core.versioning import VersionedFormMixin
from governance.choices import BodyKind, DecisionKind, DecisionOutcome
from governance.models import Body, Decision, Enterprise
from governance.scoping import VIEW, restrict
from kpi.models import Kpi

from .choices import TRANSITIONS, ProjectStatus
from .models import CooperationContract, Milestone, PortfolioRules, Project, ProjectEffect, ProjectKpi, Service

if TYPE_CHECKING:
    from core.typing import AnyUser


class ProjectForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "title",
            "description",
            "category",
            "lead_group",
            "enterprises",
            "budget",
            "expected_effect",
            "months_to_first_result",
            "risk",
            "phase",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, cluster=None, user: AnyUser | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cluster = cluster
        cast(forms.ModelChoiceField, self.fields["lead_group"]).queryset = Body.objects.filter(
            cluster=cluster, kind=BodyKind.WORKING_GROUP, is_active=True
        ).order_by("name")
        enterprises = cast(forms.ModelMultipleChoiceField, self.fields["enterprises"])
        enterprises.queryset = Enterprise.objects.filter(cluster=cluster).order_by("name")
        self.fields["enterprises"].required = False
        if cluster is not None and self.instance.cluster_id is None:
            self.instance.cluster = cluster


class ProjectTransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("Move to"))
    decision = forms.ModelChoiceField(
        queryset=Decision.objects.none(),
        required=False,
        label=_("Council decision"),
        help_text=_("Selecting a project takes an adopted strategic decision of the council."),
    )

    def __init__(self, *args, project: Project, user: AnyUser, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["to"]).choices = [
            (s, ProjectStatus(s).label) for s in ProjectStatus if s in TRANSITIONS[project.status]
        ]
        cast(forms.ModelChoiceField, self.fields["decision"]).queryset = restrict(
            Decision.objects.filter(
                meeting__body__cluster_id=project.cluster_id,
                meeting__body__kind=BodyKind.COUNCIL,
                kind=DecisionKind.STRATEGIC,
                outcome=DecisionOutcome.ADOPTED,
            )
            .select_related("meeting")
            .order_by("-meeting__date", "number"),
            user,
            VIEW,
        )


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "due_on", "progress"]
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["progress"].required = False  # a new milestone starts at 0 %

    def clean_progress(self):
        return self.cleaned_data.get("progress") or 0


class MilestoneProgressForm(forms.ModelForm):
    # The milestone's edit version the project page showed: progress set over someone else's is refused.
    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = Milestone
        fields = ["progress"]


class ProjectKpiForm(forms.ModelForm):
    class Meta:
        model = ProjectKpi
        fields = ["kpi", "expected_change"]

    def __init__(self, *args, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The KPIs the cluster runs.
        self.fields["kpi"].queryset = Kpi.objects.filter(
            cluster_settings__cluster=cluster, cluster_settings__active=True
        ).order_by("position")


class ProjectEffectForm(forms.ModelForm):
    class Meta:
        model = ProjectEffect
        fields = ["year", "actual_effect"]


class CooperationContractForm(forms.ModelForm):
    class Meta:
        model = CooperationContract
        fields = ["supplier", "buyer", "subject", "annual_value", "start_date", "end_date"]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, cluster=None, user: AnyUser | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        enterprises = Enterprise.objects.filter(cluster=cluster).order_by("name")
        supplier = cast(forms.ModelChoiceField, self.fields["supplier"])
        buyer = cast(forms.ModelChoiceField, self.fields["buyer"])
        supplier.queryset = buyer.queryset = enterprises
        if cluster is not None and self.instance.cluster_id is None:
            self.instance.cluster = cluster


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = ["name", "description", "provider", "price", "turnaround_days", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, cluster=None, user: AnyUser | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        provider = cast(forms.ModelChoiceField, self.fields["provider"])
        provider.queryset = Enterprise.objects.filter(cluster=cluster).order_by("name")
        if cluster is not None and self.instance.cluster_id is None:
            self.instance.cluster = cluster


class ServiceRequestForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.none(), label=_("Service"))
    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.none(), label=_("For the enterprise"))
    note = forms.CharField(required=False, label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, services, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["enterprise"].queryset = enterprises


class PortfolioRulesForm(forms.ModelForm):
    class Meta:
        model = PortfolioRules
        fields = ["quick_win_max_budget"]
