"""Optimistic concurrency for records two people edit: no save silently puts back what someone else changed.

A versioned record carries a number (`lock_version`) that every save raises by one. An edit form carries
the number it was loaded with (and the values it showed); the save claims the next number with a
conditional UPDATE (`... WHERE id = %s AND lock_version = %s`, as healthchecks claims work), which also
locks the row for the rest of the transaction. When someone saved in between, nothing is written: the
person is shown what changed meanwhile, and saves again knowingly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Versioned(models.Model):
    """A record two people may edit at once: `lock_version` is raised by one at every save (Rails' name for it;
    a regulation has a `version` of its own, the document's)."""

    lock_version = models.PositiveIntegerField(_("edit version"), default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # Every save raises the version, not only the ones a form checked (`version_claim`): a form loaded before
        # any other change (an API call, a service, the admin) must find it changed.
        if self._state.adding or getattr(self, "_version_claimed", False):
            self._version_claimed = False
            return super().save(*args, **kwargs)
        self.lock_version = F("lock_version") + 1
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "lock_version"}
        super().save(*args, **kwargs)
        self.refresh_from_db(fields=["lock_version"])


class StaleVersion(ValidationError):
    """The record was saved by someone else after the form was loaded: `current` is the record as it is now."""

    def __init__(self, current: models.Model):
        self.current = current
        super().__init__(
            gettext(
                "Someone else saved this after you opened it. Nothing of yours was saved: check what changed "
                "meanwhile, then save again."
            ),
            code="stale",
        )


def version_claim(instance: Versioned, *, expected: int | None) -> None:
    """Claim the next version of `instance` before saving it (inside the caller's transaction).

    A new record starts at version 1. For a stored one, `expected` is the version the edit was based on:
    the claim succeeds only if nobody saved since (else StaleVersion, nothing written); None (an API client
    that sends no version) raises the version without a check. Either way the row stays locked until commit.
    """
    model = type(instance)
    if instance.pk is None or instance._state.adding:
        instance.lock_version = 1
        return
    if expected is None:
        model._default_manager.filter(pk=instance.pk).update(lock_version=F("lock_version") + 1)
        instance.lock_version = model._default_manager.values_list("lock_version", flat=True).get(pk=instance.pk)
    elif model._default_manager.filter(pk=instance.pk, lock_version=expected).update(lock_version=expected + 1):
        instance.lock_version = expected + 1
    else:
        raise StaleVersion(model._default_manager.get(pk=instance.pk))
    instance._version_claimed = True  # the next save writes this version, without raising it again


# --- Forms --------------------------------------------------------------------------------------------


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, list | tuple | set) or hasattr(value, "all"):
        items = value.all() if hasattr(value, "all") else value
        return ",".join(sorted(_as_text(v) for v in items))
    return str(value)


@dataclass(frozen=True)
class Change:
    """A field someone else changed after the form was loaded: its label, the value shown then, now, and yours."""

    field: str
    label: str
    then: str
    now: str
    yours: str


class VersionedFormMixin:
    """A ModelForm that carries the lock version and the values it was loaded with (hidden), for `version_claim`.

    On a stale save, `show_changes(current)` rebinds the form on the current version and lists what changed
    meanwhile in `changes`; the fields keep what the person typed.
    """

    changes: list[Change] = []

    # From the ModelForm this is mixed into.
    fields: dict[str, forms.Field]
    initial: MutableMapping[str, Any]
    data: Any
    cleaned_data: dict[str, Any]
    instance: Any

    if TYPE_CHECKING:

        def add_prefix(self, field_name: str) -> str: ...

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        stored = instance is not None and instance.pk is not None
        # Required to change a stored record; a new one has no version to compare with.
        self.fields["lock_version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=stored)
        self.fields["loaded"] = forms.CharField(widget=forms.HiddenInput, required=False)
        self.initial.setdefault("lock_version", instance.lock_version if stored else 0)
        self.initial.setdefault("loaded", json.dumps(self._snapshot(instance)) if stored else "")

    def _edited_fields(self) -> list[str]:
        return [name for name in self.fields if name not in ("lock_version", "loaded")]

    def _snapshot(self, instance) -> dict[str, str]:
        values = {}
        for name in self._edited_fields():
            try:
                value = getattr(instance, name)
            except (AttributeError, ValueError):
                continue
            values[name] = _as_text(value)
        return values

    def show_changes(self, current) -> None:
        """List what changed since the form was loaded, and carry the current version for the next save."""
        try:
            loaded = json.loads(self.data.get(self.add_prefix("loaded")) or "{}")
        except (TypeError, ValueError):
            loaded = {}
        now = self._snapshot(current)
        self.changes = [
            Change(
                field=name,
                label=str(self.fields[name].label or name),
                then=_display(self.instance, name, loaded.get(name, ""), self.fields[name]),
                now=_display(current, name, now.get(name, ""), self.fields[name]),
                yours=_display(self.instance, name, _as_text(self.cleaned_data.get(name)), self.fields[name]),
            )
            for name in self._edited_fields()
            if name in now and loaded.get(name, now[name]) != now[name]
        ]
        data = self.data.copy()
        data[self.add_prefix("lock_version")] = str(current.lock_version)
        data[self.add_prefix("loaded")] = json.dumps(now)
        self.data = data


def _display(instance, name: str, text: str, field) -> str:
    """A stored value as people read it: the label of a choice or of a related row, else the value."""
    if text == "":
        return "—"
    choices = getattr(field, "choices", None)
    if choices is not None:
        labels = {str(_as_text(key)): str(label) for key, label in _flat(choices)}
        parts = text.split(",") if isinstance(field, forms.ModelMultipleChoiceField) else [text]
        return ", ".join(labels.get(part, part) for part in parts)
    return text


def _flat(choices) -> Iterable[tuple]:
    for key, label in choices:
        if isinstance(label, list | tuple):
            yield from _flat(label)
        else:
            yield getattr(key, "value", key), label
