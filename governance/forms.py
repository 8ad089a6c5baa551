"""Forms of the governance pages. Choices are limited to the cluster the form works in."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.versioning import VersionedFormMixin

from .choices import ActionItemStatus, BodyKind, DecisionOutcome, MatrixArea, MeetingStatus, Responsibility, Role
from .models import (
    ActionItem,
    Body,
    Cluster,
    Decision,
    Enterprise,
    Meeting,
    Membership,
    Regulation,
)

if TYPE_CHECKING:
    from core.typing import AnyUser

User = get_user_model()

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


def cluster_people(cluster):
    """People of the cluster: those with a role in it or a seat in one of its bodies."""
    return (
        User.objects.filter(is_active=True)
        .filter(Q(cluster_roles__cluster=cluster) | Q(body_memberships__body__cluster=cluster))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class ClusterModelForm(forms.ModelForm):
    """A ModelForm bound to one cluster: foreign keys offer only that cluster's rows.

    The cluster is set on the instance before validation and kept in the constraint checks, so a
    duplicate (cluster, taxpayer id) is reported at the field instead of failing in the database.
    """

    cluster_lookups: dict[str, str] = {}  # field name -> lookup from the related model to its cluster

    def __init__(self, *args, cluster: Cluster | None = None, user: AnyUser | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cluster = cluster
        self.user = user
        if cluster is not None and hasattr(self.instance, "cluster_id") and not self.instance.cluster_id:
            if "cluster" in {f.name for f in self.instance._meta.fields}:
                self.instance.cluster = cluster
        for name, lookup in self.cluster_lookups.items():
            if name in self.fields:
                field = cast(forms.ModelChoiceField, self.fields[name])  # a foreign key's field
                assert field.queryset is not None  # a foreign key's field has its model's rows
                field.queryset = field.queryset.filter(**{lookup: cluster})
        for name in ("person", "owner_person"):
            if name in self.fields:
                self.fields[name] = PersonChoiceField(
                    queryset=cluster_people(cluster),
                    required=self.fields[name].required,
                    label=self.fields[name].label,
                    help_text=self.fields[name].help_text,
                )

    def _get_validation_exclusions(self):
        exclusions = super()._get_validation_exclusions()
        exclusions.discard("cluster")
        return exclusions


class ClusterForm(ClusterModelForm):
    cluster_lookups = {"leading_enterprise": "cluster"}

    class Meta:
        model = Cluster
        fields = ["name", "sector", "region", "start_date", "currency", "time_zone", "leading_enterprise"]
        widgets = {"start_date": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "leading_enterprise" in self.fields:
            self.fields["leading_enterprise"].queryset = Enterprise.objects.filter(cluster=self.instance.pk or -1)


class EnterpriseForm(ClusterModelForm):
    class Meta:
        model = Enterprise
        fields = [
            "name",
            "taxpayer_id",
            "kind",
            "value_chain_link",
            "status",
            "joined_on",
            "address",
            "contact_email",
            "phone",
        ]
        widgets = {"joined_on": DATE, "taxpayer_id": forms.TextInput(attrs={"inputmode": "numeric"})}
        error_messages = {"taxpayer_id": {"max_length": _("The taxpayer id (STIR) has exactly 9 digits.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["value_chain_link"].help_text = _(
                "A new link applies to the figures from this month on; the months before keep the link they were "
                "reported under, so the KPI values already published do not change."
            )


class EnterpriseContactForm(ClusterModelForm):
    """What an enterprise representative may change of their own enterprise."""

    class Meta:
        model = Enterprise
        fields = ["address", "contact_email", "phone"]


class BodyForm(ClusterModelForm):
    class Meta:
        model = Body
        fields = ["kind", "name", "area", "description", "established_on", "is_active"]
        widgets = {"established_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}


class MembershipForm(ClusterModelForm):
    cluster_lookups = {"body": "cluster", "enterprise": "cluster"}

    class Meta:
        model = Membership
        fields = ["body", "person", "enterprise", "role", "start_date", "end_date"]
        widgets = {"start_date": DATE, "end_date": DATE}


class RegulationForm(VersionedFormMixin, ClusterModelForm):
    cluster_lookups = {"body": "cluster"}

    class Meta:
        model = Regulation
        fields = ["kind", "body", "title", "version", "text", "effective_from"]
        widgets = {"effective_from": DATE, "text": forms.Textarea(attrs={"rows": 10})}


class RegulationApproveForm(forms.Form):
    decision = forms.ModelChoiceField(queryset=Decision.objects.none(), label=_("Approved by decision"))
    effective_from = forms.DateField(label=_("Effective from"), required=False, widget=DATE)

    def __init__(self, *args, cluster: Cluster, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["decision"]).queryset = Decision.objects.filter(
            meeting__body__cluster=cluster, meeting__body__kind=BodyKind.COUNCIL, outcome=DecisionOutcome.ADOPTED
        ).select_related("meeting")


class MeetingForm(ClusterModelForm):
    cluster_lookups = {"body": "cluster"}
    agenda = forms.CharField(
        label=_("Agenda"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One item per line. Open action items of the body are added by themselves."),
    )

    class Meta:
        model = Meeting
        fields = ["body", "title", "date", "time", "location", "quorum_rule", "status", "minutes"]
        widgets = {"date": DATE, "time": TIME, "minutes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["agenda"]

    def agenda_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("agenda", "").splitlines() if line.strip()]


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=_("Agenda item"), max_length=255)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AttendanceForm(forms.Form):
    present = forms.MultipleChoiceField(
        label=_("Present"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(m.person_id, m.person.get_full_name() or m.person.username) for m in members]


class DecisionForm(ClusterModelForm):
    cluster_lookups = {"meeting": "body__cluster"}

    class Meta:
        model = Decision
        fields = [
            "meeting",
            "number",
            "title",
            "text",
            "kind",
            "by_consensus",
            "votes_for",
            "votes_against",
            "votes_abstain",
        ]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = (
            self.fields["meeting"].queryset.exclude(status=MeetingStatus.CANCELLED).select_related("body")
        )


class ActionItemForm(VersionedFormMixin, ClusterModelForm):
    cluster_lookups = {"decision": "meeting__body__cluster", "body": "cluster", "owner_group": "cluster"}

    class Meta:
        model = ActionItem
        fields = [
            "decision",
            "body",
            "title",
            "description",
            "owner_person",
            "owner_group",
            "deadline",
            "status",
            "done_on",
        ]
        widgets = {"deadline": DATE, "done_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_group"].queryset = self.fields["owner_group"].queryset.filter(kind=BodyKind.WORKING_GROUP)
        self.fields["body"].required = False
        self.fields["body"].help_text = _("Leave empty: the owning working group, or the body that decided.")


class DecisionActionItemForm(ClusterModelForm):
    """One action item spawned by a decision, entered on the decision's page."""

    cluster_lookups = {"owner_group": "cluster"}

    class Meta:
        model = ActionItem
        fields = ["title", "owner_person", "owner_group", "deadline"]
        widgets = {"deadline": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_group"].queryset = self.fields["owner_group"].queryset.filter(kind=BodyKind.WORKING_GROUP)

    def _post_clean(self):
        # The decision does not exist yet: the model's cross-checks run in the service, all at once.
        self.instance = forms.models.construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


class BaseDecisionActionItemFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        kwargs.update(self.form_extra)
        return kwargs


DecisionActionItemFormSet = forms.formset_factory(
    DecisionActionItemForm, formset=BaseDecisionActionItemFormSet, extra=3, max_num=20
)


class ActionItemStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionItemStatus.choices)
    done_on = forms.DateField(label=_("Done on"), required=False, widget=DATE)
    # The item's edit version the page showed: a status set over someone else's change is refused.
    lock_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class ClusterRoleForm(forms.Form):
    """Give a person (an existing account or a new one) a role in the cluster."""

    existing = PersonChoiceField(queryset=User.objects.none(), required=False, label=_("Existing person"))
    username = forms.CharField(label=_("New person's username"), required=False, max_length=150)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    enterprises = forms.ModelMultipleChoiceField(
        queryset=Enterprise.objects.none(), required=False, label=_("Enterprises represented")
    )

    def __init__(self, *args, cluster: Cluster, **kwargs):
        super().__init__(*args, **kwargs)
        self.cluster = cluster
        # Only people of this cluster: accounts of other clusters are not listed (a newcomer is invited).
        cast(forms.ModelChoiceField, self.fields["existing"]).queryset = cluster_people(cluster).filter(
            is_superuser=False
        )
        cast(forms.ModelMultipleChoiceField, self.fields["enterprises"]).queryset = Enterprise.objects.filter(
            cluster=cluster
        )

    def clean(self):
        data = super().clean()
        if not data.get("existing") and not data.get("username"):
            raise forms.ValidationError(_("Choose an existing person or give a username for a new one."))
        if data.get("username") and User.objects.filter(username=data["username"]).exists():
            self.add_error("username", _("This username is taken."))
        if data.get("username") and not data.get("email"):
            self.add_error("email", _("A new person needs an e-mail address to set their password."))
        if data.get("role") == Role.ENTERPRISE and not data.get("enterprises"):
            self.add_error("enterprises", _("An enterprise representative represents at least one enterprise."))
        return data


class ResponsibilityMatrixForm(forms.Form):
    """The whole matrix at once: one choice per area and body."""

    def __init__(self, *args, bodies: list[Body], cells: dict[tuple[str, int], str], **kwargs):
        super().__init__(*args, **kwargs)
        self.bodies = bodies
        choices = [("", "—"), *Responsibility.choices]
        for area, label in MatrixArea.choices:
            for body in bodies:
                self.fields[self.key(area, body)] = forms.ChoiceField(
                    label=f"{label} · {body}", choices=choices, required=False, initial=cells.get((area, body.pk), "")
                )

    @staticmethod
    def key(area: str, body: Body) -> str:
        return f"{area}__{body.pk}"

    def rows(self):
        for area, label in MatrixArea.choices:
            yield label, [self[self.key(area, body)] for body in self.bodies]

    def cells(self) -> dict[tuple[str, int], str]:
        return {
            (area, body.pk): self.cleaned_data.get(self.key(area, body), "")
            for area, _label in MatrixArea.choices
            for body in self.bodies
        }
