"""Forms of the incentives element: a rule version's conditions as rows the office edits."""

from __future__ import annotations

from django import forms
from django.forms import inlineformset_factory
from django.utils.translation import gettext_lazy as _

from governance.choices import BodyKind, DecisionOutcome
from governance.models import Decision
from kpi.models import Kpi

from .choices import ReviewOutcome
from .models import Benefit, Condition, ConditionsReview, IncentivePackage, RuleVersion

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RuleForm(forms.ModelForm):
    class Meta:
        model = RuleVersion
        fields = ["combine", "effective_from"]
        widgets = {"effective_from": DATE}


class ConditionForm(forms.ModelForm):
    class Meta:
        model = Condition
        fields = ["measure", "kpi", "window", "months", "comparison", "threshold"]

    def __init__(self, *args, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The KPIs the cluster collects: a condition on a KPI nobody reports could never be met.
        kpi = self.fields["kpi"]
        assert isinstance(kpi, forms.ModelChoiceField)
        kpi.queryset = Kpi.objects.filter(cluster_settings__cluster=cluster, cluster_settings__active=True).order_by(
            "position"
        )
        kpi.label_from_instance = lambda k: f"{k.code} · {k.label}"


class BaseConditionFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, cluster=None, **kwargs):
        self.cluster = cluster
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs["cluster"] = self.cluster
        return kwargs

    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.has_changed() or f.instance.pk]
        kept = [f for f in kept if not (self.can_delete and self._should_delete_form(f))]
        if not kept:
            raise forms.ValidationError(_("A rule needs at least one condition."))


ConditionFormSet = inlineformset_factory(
    RuleVersion,
    Condition,
    form=ConditionForm,
    formset=BaseConditionFormSet,
    extra=1,
    can_delete=True,
)


class RuleApproveForm(forms.Form):
    decision = forms.ModelChoiceField(queryset=Decision.objects.none(), label=_("Council decision"))

    def __init__(self, *args, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        decision = self.fields["decision"]
        assert isinstance(decision, forms.ModelChoiceField)
        decision.queryset = Decision.objects.filter(
            meeting__body__cluster=cluster, meeting__body__kind=BodyKind.COUNCIL, outcome=DecisionOutcome.ADOPTED
        ).order_by("-meeting__date", "-pk")


class ReviewAnswerForm(forms.ModelForm):
    class Meta:
        model = ConditionsReview
        fields = ["answer"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "answer": _("Explain the figures and what the enterprise is doing about them; the council reads it."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer"].required = True


class ReviewDecideForm(RuleApproveForm):
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices, widget=forms.RadioSelect, label=_("Outcome"))


class PackageForm(forms.ModelForm):
    class Meta:
        model = IncentivePackage
        fields = ["name", "tier", "description", "grace_days", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, cluster=None, **kwargs):
        super().__init__(*args, **kwargs)
        if cluster is not None:
            self.instance.cluster = cluster

    def clean_tier(self):
        tier = self.cleaned_data["tier"]
        taken = IncentivePackage.objects.filter(cluster_id=self.instance.cluster_id, tier=tier).exclude(
            pk=self.instance.pk
        )
        if tier is not None and taken.exists():
            raise forms.ValidationError(_("Another package of the cluster is at this tier: one package per tier."))
        return tier


class BenefitForm(forms.ModelForm):
    class Meta:
        model = Benefit
        fields = ["kind", "value"]


BenefitFormSet = inlineformset_factory(
    IncentivePackage, Benefit, form=BenefitForm, extra=2, can_delete=True, max_num=5, validate_max=True
)
