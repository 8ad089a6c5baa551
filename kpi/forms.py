"""Forms of the kpi pages. The monthly form only collects text: the one validation service checks it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ClusterKpi, Correction, DataCollectionRules, DataElement

if TYPE_CHECKING:
    from core.typing import AnyUser


def value_field_name(code: str) -> str:
    return f"v_{code}"


def comment_field_name(code: str) -> str:
    return f"c_{code}"


class MonthlyForm(forms.Form):
    """One enterprise's figures for one month: a value and a comment per active data element.

    Values stay text here ("1 234,5" is welcome) so that empty stays empty and zero stays zero;
    `data_values_write` parses and checks them as it does for Excel and the API.
    """

    def __init__(
        self,
        *args,
        elements: list[DataElement],
        stored: dict,
        previous: dict,
        read_only=False,
        lock_version: int = 0,
        status: str = "",
        **kwargs,
    ):
        initial = {"lock_version": lock_version, "loaded": json.dumps(figures_snapshot(elements, stored, status))}
        for element in elements:
            value = stored.get(element.pk)
            if value is not None:
                initial[value_field_name(element.code)] = "" if value.value is None else _plain(value.value)
                initial[comment_field_name(element.code)] = value.comment
        # mypy counts *args as reaching BaseForm's `initial` (its fifth parameter); only the data is passed so.
        super().__init__(*args, initial=initial, **kwargs)  # type: ignore[misc]
        self.elements = elements
        self.previous = previous
        # The submission's edit version and the figures the form showed: a save over someone else's is refused.
        self.fields["lock_version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
        self.fields["loaded"] = forms.CharField(widget=forms.HiddenInput, required=False)
        for element in elements:
            self.fields[value_field_name(element.code)] = forms.CharField(
                label=element.label,
                required=False,
                max_length=40,
                disabled=read_only,
                help_text=element.help,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )
            self.fields[comment_field_name(element.code)] = forms.CharField(
                label=_("Comment"),
                required=False,
                max_length=1000,
                disabled=read_only,
                widget=forms.TextInput(attrs={"placeholder": _("Why the figure is unusual")}),
            )

    def groups(self):
        """The fields grouped as the catalogue groups the elements (production, quality, ...)."""
        grouped: dict[str, list] = {}
        for element in self.elements:
            grouped.setdefault(element.get_group_display(), []).append(
                {
                    "element": element,
                    "value": self[value_field_name(element.code)],
                    "comment": self[comment_field_name(element.code)],
                    "previous": self.previous.get(element.pk),
                }
            )
        return list(grouped.items())

    def rows(self, *, enterprise, period) -> list[dict]:
        """The form as rows of the bulk write: every field, an empty one as null (a cleared figure)."""
        rows = []
        for element in self.elements:
            rows.append(
                {
                    "enterprise": enterprise.taxpayer_id,
                    "period": period.key,
                    "data_element": element.code,
                    "value": self.cleaned_data.get(value_field_name(element.code), ""),
                    "comment": self.cleaned_data.get(comment_field_name(element.code), ""),
                }
            )
        return rows


def _plain(value) -> str:
    text = format(value.normalize(), "f")
    return text


def figures_snapshot(elements: list[DataElement], stored: dict, status: str) -> dict:
    """What the monthly form shows, to compare with what is stored when a save turns out stale."""
    snapshot: dict = {"status": status}
    for element in elements:
        value = stored.get(element.pk)
        snapshot[element.code] = [
            "" if value is None or value.value is None else _plain(value.value),
            value.comment if value else "",
        ]
    return snapshot


def loaded_snapshot(form) -> dict:
    try:
        loaded = json.loads(form.data.get("loaded") or "{}")
    except (TypeError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for return"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("The enterprise is told by e-mail; say what to check or fix."),
    )


class CollectionRulesForm(forms.ModelForm):
    class Meta:
        model = DataCollectionRules
        fields = [
            "regulation",
            "deadline_day",
            "lock_delay_days",
            "reminder_days_before",
            "deviation_threshold",
            "history_months",
            "count_submitted",
            "publish_min_enterprises",
            "publish_min_enterprises_quartiles",
            "publish_dominance_share",
        ]

    def __init__(self, *args, cluster=None, user: AnyUser | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        regulation = cast(forms.ModelChoiceField, self.fields["regulation"])  # a foreign key's field
        assert regulation.queryset is not None  # a foreign key's field has its model's rows
        regulation.queryset = regulation.queryset.filter(cluster=cluster)


class ClusterKpiForm(forms.ModelForm):
    class Meta:
        model = ClusterKpi
        fields = ["active", "target", "minimum", "compare_links", "working_group"]
        widgets = {
            "target": forms.NumberInput(attrs={"step": "any"}),
            "minimum": forms.NumberInput(attrs={"step": "any"}),
        }

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        if groups is not None:
            # One list for every row of the formset: the working groups are read once, not once per KPI.
            field = self.fields["working_group"]
            field.queryset = groups["queryset"]
            field.choices = groups["choices"]


ClusterKpiFormSet = forms.modelformset_factory(ClusterKpi, form=ClusterKpiForm, extra=0, can_delete=False)


class CorrectionForm(forms.ModelForm):
    class Meta:
        model = Correction
        fields = ["data_element", "value", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3}), "value": forms.NumberInput(attrs={"step": "any"})}

    def __init__(self, *args, elements=None, **kwargs):
        super().__init__(*args, **kwargs)
        if elements is not None:
            self.fields["data_element"].queryset = DataElement.objects.filter(pk__in=[e.pk for e in elements])


class ExcelUploadForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"), help_text=_("The month's template, filled in. At most 5 MB."))
    check_only = forms.BooleanField(label=_("Only check the file, write nothing"), required=False)
