from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.events import Event

from .models import Endpoint


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("Address"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "An HTTPS address of your system that takes a POST with a JSON body, e.g. "
            "https://erp.example.uz/hooks/cluster."
        ),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(value, label) for value, label in Event.choices if value != Event.PING],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the platform sends to this address."),
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk and not self.initial.get("events"):
            self.initial["events"] = [value for value in Event.values if value != Event.PING]
