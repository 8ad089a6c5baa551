"""The API's filter backend: django-filter's, held to the schema's types.

`?body=7` where body 7 does not exist, or belongs to a cluster the caller may not see, matches nothing: an
empty list, as any other filter that matches no row, not a 400. Both cases answer the same, so the answer
confirms nothing about other clusters. A value that is not an id at all (`?body=x`) is still a 400.

The pages' forms are lenient (an empty field means "any"); the API is not: a filter parameter given empty (but
for text, where empty is a string like any other), a
boolean other than true or false, a date not written YYYY-MM-DD, or a fraction where the schema says integer is
a 400 naming the parameter, rather than a filter silently left out.
"""

from __future__ import annotations

import re

import django_filters
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_id(value) -> bool:
    try:
        int(str(value))
    except ValueError:
        return False
    return True


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        errors = self._strict_errors(filterset, request.query_params)
        if errors:
            raise ValidationError(errors)
        if filterset.is_valid():
            return filterset.qs
        if self._only_unknown_rows(filterset):
            return queryset.none()
        raise utils.translate_validation(filterset.errors)

    @staticmethod
    def _only_unknown_rows(filterset) -> bool:
        form = filterset.form
        for name, errors in form.errors.as_data().items():
            filter_ = filterset.filters.get(name)
            if not isinstance(filter_, django_filters.ModelChoiceFilter):
                return False
            if any(error.code != "invalid_choice" for error in errors) or not _is_id(form.data.get(name)):
                return False
        return True

    @staticmethod
    def _strict_errors(filterset, params) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for name, filter_ in filterset.filters.items():
            ranged = isinstance(filter_, django_filters.DateFromToRangeFilter | django_filters.RangeFilter)
            for key in [f"{name}_after", f"{name}_before"] if ranged else [name]:
                for value in params.getlist(key):
                    message = _value_error(filterset, filter_, value)
                    if message:
                        errors[key] = [message]
        return errors


def _value_error(filterset, filter_, value: str) -> str | None:
    if value == "" and type(filter_) is not django_filters.CharFilter:  # a subclass has a format ("YYYY-MM")
        return _("Give a value, or leave the parameter out.")
    if isinstance(filter_, django_filters.BooleanFilter) and value not in ("true", "false"):
        return _("Expected true or false.")
    if isinstance(filter_, django_filters.DateFromToRangeFilter | django_filters.DateFilter):
        if not ISO_DATE.match(value):
            return _("Expected a date written YYYY-MM-DD.")
    if isinstance(filter_, django_filters.NumberFilter) and _integer_field(filterset, filter_) and not _is_id(value):
        return _("Expected a whole number.")
    return None


def _integer_field(filterset, filter_) -> bool:
    model = filterset._meta.model
    try:
        field = model._meta.get_field(filter_.field_name)
    except FieldDoesNotExist:
        return False
    return isinstance(field, models.IntegerField | models.ForeignKey)
