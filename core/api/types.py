"""Request bodies hold the JSON types the schema gives them.

DRF is lenient where a typed client is not: a CharField takes 5 and stores "5", an IntegerField takes "5", a
BooleanField takes "yes". The schema at /api/schema/ says string, integer, boolean, and a body that breaks it is
refused, field by field, before DRF converts anything. Decimals are the one case the schema gives two types:
a number (what an ERP sends) or a string of digits (what the API answers, so no precision is lost).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, PrimaryKeyRelatedField, RelatedField

# (field class, JSON types it takes, the name the message gives), the first match wins: subclasses first.
_TYPES: list[tuple[type, tuple[type, ...], str]] = [
    (serializers.BooleanField, (bool,), "boolean"),
    (serializers.DecimalField, (int, float, str), "number"),
    (serializers.FloatField, (int, float), "number"),
    (serializers.IntegerField, (int,), "integer"),
    (PrimaryKeyRelatedField, (int,), "integer"),
    (serializers.JSONField, (), ""),
    (serializers.DictField, (dict,), "object"),
    (serializers.HStoreField, (dict,), "object"),
    (serializers.ListField, (list,), "array"),
    (serializers.MultipleChoiceField, (list,), "array"),
    (ManyRelatedField, (list,), "array"),
    (serializers.ListSerializer, (list,), "array"),
    (serializers.BaseSerializer, (dict,), "object"),
    (RelatedField, (str,), "string"),  # slug fields
    (serializers.ChoiceField, (), ""),  # the choices' own type: DRF's check suffices
    (serializers.CharField, (str,), "string"),
    (serializers.DateTimeField, (str,), "string"),
    (serializers.DateField, (str,), "string"),
    (serializers.TimeField, (str,), "string"),
    (serializers.DurationField, (str,), "string"),
]


def json_type(field: serializers.Field) -> tuple[tuple[type, ...], str]:
    for cls, types, name in _TYPES:
        if isinstance(field, cls):
            return types, name
    return (), ""


DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")  # the schema's pattern for a decimal given as a string


def _decimal(value) -> bool:
    return not isinstance(value, str) or bool(DECIMAL.match(value))


def _is(value, types: tuple[type, ...]) -> bool:
    return isinstance(value, types) and not (isinstance(value, bool) and bool not in types)


class JSONTypesMixin:
    """For an input serializer: each field of the body has its JSON type, or the answer is a 400 naming it."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {}
            for field in self.fields.values():
                if field.read_only or field.field_name not in data:
                    continue
                value = data[field.field_name]
                types, name = json_type(field)
                if value is None or not types:
                    continue  # null: DRF's allow_null decides
                if not _is(value, types) or (isinstance(field, serializers.DecimalField) and not _decimal(value)):
                    errors[field.field_name] = [_("Expected a %(type)s.") % {"type": name}]
                elif isinstance(field, serializers.ListField) and isinstance(value, list):
                    item_types, item_name = json_type(field.child)
                    if item_types and not all(item is None or _is(item, item_types) for item in value):
                        errors[field.field_name] = [_("Expected an array of %(type)s.") % {"type": item_name}]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)
