"""Forms of the roadmap: tasks and gate criteria the office edits; the council's gate decision it records."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from governance.choices import BodyKind, DecisionOutcome
from governance.models import Body, Decision
from kpi.models import Kpi

from .choices import Outcome, TaskStatus
from .models import GateCriterion, Phase, RoadmapTask

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TaskForm(forms.ModelForm):
    class Meta:
        model = RoadmapTask
        fields = ["phase", "title", "description", "owner", "due_on", "status", "done_on"]
        widgets = {"due_on": DATE, "done_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.cluster = cluster
        phase = self.fields["phase"]
        owner = self.fields["owner"]
        assert isinstance(phase, forms.ModelChoiceField) and isinstance(owner, forms.ModelChoiceField)
        phase.queryset = Phase.objects.filter(cluster=cluster).order_by("number")
        owner.queryset = Body.objects.filter(cluster=cluster, is_active=True).order_by("kind", "name")
        owner.required = True
        if self.instance.pk:  # the default texts read in the office's language
            self.initial["title"] = self.instance.label

    def clean(self):
        cleaned = super().clean()
        # A task marked done without its date was done today; an open one has no done date.
        if cleaned.get("status") == TaskStatus.DONE:
            if not cleaned.get("done_on") and self.instance.cluster_id:
                cleaned["done_on"] = self.instance.cluster.today()
        else:
            cleaned["done_on"] = None
        return cleaned


class CriterionForm(forms.ModelForm):
    class Meta:
        model = GateCriterion
        fields = ["phase", "measure", "kpi", "comparison", "threshold", "must_meet", "weight", "active"]

    def __init__(self, *args, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.cluster = cluster
        phase, kpi = self.fields["phase"], self.fields["kpi"]
        assert isinstance(phase, forms.ModelChoiceField) and isinstance(kpi, forms.ModelChoiceField)
        phase.queryset = Phase.objects.filter(cluster=cluster).order_by("number")
        kpi.queryset = Kpi.objects.filter(cluster_settings__cluster=cluster, cluster_settings__active=True).order_by(
            "position"
        )
        kpi.label_from_instance = lambda k: f"{k.code} · {k.label}"


class GateDecisionForm(forms.Form):
    """The council's decision on a gate. A reason field is added for each criterion not met (to waive it), and
    condition rows for a conditional go."""

    decision = forms.ModelChoiceField(queryset=Decision.objects.none(), label=_("Council decision"))
    outcome = forms.ChoiceField(choices=Outcome.choices, widget=forms.RadioSelect, label=_("Outcome"))
    review_on = forms.DateField(
        label=_("Review on"),
        required=False,
        widget=DATE,
        help_text=_("Required for a conditional go and a hold."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, cluster=None, unmet=(), **kwargs):
        super().__init__(*args, **kwargs)
        decision = self.fields["decision"]
        assert isinstance(decision, forms.ModelChoiceField)
        decision.queryset = Decision.objects.filter(
            meeting__body__cluster=cluster, meeting__body__kind=BodyKind.COUNCIL, outcome=DecisionOutcome.ADOPTED
        ).order_by("-meeting__date", "-pk")
        self.unmet = list(unmet)
        for criterion, text in self.unmet:
            self.fields[f"waive_{criterion.pk}"] = forms.CharField(
                label=_("Reason to waive: %(criterion)s") % {"criterion": text},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def waivers(self) -> dict[int, str]:
        return {c.pk: self.cleaned_data.get(f"waive_{c.pk}", "") for c, _text in self.unmet}


class ConditionForm(forms.Form):
    text = forms.CharField(label=_("Condition"), max_length=300, required=False)
    owner = forms.ModelChoiceField(queryset=Body.objects.none(), label=_("Owner"), required=False)
    due_on = forms.DateField(label=_("Due on"), required=False, widget=DATE)
    criterion = forms.ModelChoiceField(
        queryset=GateCriterion.objects.none(), label=_("Closes when this criterion is met"), required=False
    )

    def __init__(self, *args, cluster=None, phase=None, **kwargs):
        super().__init__(*args, **kwargs)
        owner, criterion = self.fields["owner"], self.fields["criterion"]
        assert isinstance(owner, forms.ModelChoiceField) and isinstance(criterion, forms.ModelChoiceField)
        owner.queryset = Body.objects.filter(cluster=cluster, is_active=True).order_by("kind", "name")
        criterion.queryset = GateCriterion.objects.filter(cluster=cluster, active=True).select_related("kpi", "phase")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("text") and not (cleaned.get("owner") and cleaned.get("due_on")):
            raise forms.ValidationError(_("A condition has an owner and a due date."))
        return cleaned


ConditionFormSet = forms.formset_factory(ConditionForm, extra=2, max_num=10)
