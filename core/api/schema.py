"""The OpenAPI schema at /api/schema/ (drf-spectacular), made to hold for the clients generated from it.

Three things drf-spectacular leaves to the project:

- Errors. Every operation lists the error answers it can give, with their bodies: 400 (a body or a filter that
  does not validate: messages per field), 401 (no or a bad token), 403 (the role may not), 404 (a row the caller
  cannot see, a page past the end), 409 (a stale or conflicting write), 415 (a body that is not JSON) and 429
  (the log-in throttle). A client generated from the schema then has a type for each answer.
- Times. JSON Schema's `format: time` is RFC 3339's full-time, with a zone offset; Django's times have none
  ("10:00:00"), so time fields are described by a pattern instead.
- Language. The schema is the same whatever language the request asks for: it is written in English, and
  `?lang=uz` or `?lang=ru` translates its descriptions, never its component or enum names.
"""

from __future__ import annotations

import functools

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny

# {"detail": "..."}: DRF's answer for every error that is not about the request's fields.
ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong, in the caller's language."}},
    "required": ["detail"],
}
# A 400: messages per field, as lists of strings; a nested body (the bulk write's rows) nests its messages the
# same way. Errors of no single field are under "non_field_errors"; a body that cannot be parsed has "detail".
INVALID = {
    "description": "Messages per field of the request (lists of strings, nested like the body); "
    '"non_field_errors" for the rest, "detail" for a body that could not be read; a list of messages where the '
    "body as a whole is refused.",
    "oneOf": [{"type": "object", "additionalProperties": {}}, {"type": "array", "items": {"type": "string"}}],
}
ERROR_DESCRIPTIONS = {
    "400": "The request does not validate; nothing was written.",
    "401": "No valid token or session.",
    "403": "The caller's role may not do this.",
    "404": "No such row among those the caller may see, or a page past the end.",
    "409": "The write conflicts with the stored data (changed by someone else meanwhile, or still referred to).",
    "415": "The body is not JSON.",
    "429": "Too many attempts; wait and try again.",
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$"


class AutoSchema(SpectacularAutoSchema):
    def get_request_serializer(self):
        """A change (PUT, PATCH) does not take the fields a row gets only when it is created (a meeting's body):
        its body is its own component, "<Name>UpdateRequest", without them."""
        serializer = super().get_request_serializer()
        if self.method in ("PUT", "PATCH") and getattr(serializer, "create_only_fields", ()):
            return _update_serializer(type(serializer))(context=getattr(serializer, "context", {}))
        return serializer

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if direction == "response" and field.read_only:
            # DRF drops allow_blank from read-only fields and sets allow_null only on those it builds itself:
            # the answer's schema follows the model, so a blank or a null the model stores is described.
            model_field = _model_field(field)
            if model_field is not None:
                if model_field.null and not getattr(field, "allow_null", False):
                    field.allow_null = True
                if model_field.blank and isinstance(field, serializers.ChoiceField) and not field.allow_blank:
                    field.allow_blank = True
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request" and isinstance(field, serializers.DecimalField) and "anyOf" not in schema:
            # A decimal is taken as a JSON number or as a string of digits (core/api/types.py).
            number = {"type": "number"}
            if "pattern" in schema:
                schema["pattern"] = r"^-?\d+(\.\d+)?$"  # drf-spectacular's takes "", which is no number
            schema = {"anyOf": [number, schema], **{k: schema.pop(k) for k in ("title", "description") if k in schema}}
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            body = {"$ref": f"#/components/schemas/{'ValidationError' if code == '400' else 'Error'}"}
            described = responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code]})
            content = described.setdefault("content", {})
            if "application/json" not in content:
                content["application/json"] = {"schema": body}
            elif code == "400":
                # The view documents its own 400 (the bulk write's per-row result): the field messages of a body
                # that does not validate at all are answered too.
                media = content["application/json"]
                media["schema"] = {"anyOf": [media["schema"], body]}
        return responses

    def _error_codes(self) -> list[str]:
        public = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        has_body = self.method in {"POST", "PUT", "PATCH"}
        codes = set()
        if not public:
            codes |= {"401", "403"}
        if has_body or self._filters_or_pages():
            codes.add("400")
        if "{" in self.path or self._is_list_view() or self.method in WRITES - {"POST"}:
            codes.add("404")
        if self.method in WRITES and not public:
            codes.add("409")
        if has_body and self.get_request_serializer() is not None:
            codes.add("415")
        if getattr(self.view, "throttle_classes", None):
            codes.add("429")
        return sorted(codes)

    def _filters_or_pages(self) -> bool:
        return self.method == "GET" and self._is_list_view() and bool(self._get_filter_parameters())


@functools.cache
def _update_serializer(serializer_class):
    def get_fields(self):
        fields = super(update_class, self).get_fields()
        for name in serializer_class.create_only_fields:
            if name in fields:
                fields[name].read_only = True
        return fields

    name = serializer_class.__name__.removesuffix("Serializer") + "UpdateSerializer"
    attrs = {"get_fields": get_fields, "__module__": serializer_class.__module__}
    update_class = type(name, (serializer_class,), attrs)
    return update_class


def _model_field(field):
    """The model field a serializer field reads, when it reads one directly (source "kpi", not "kpi.code")."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or "." in (field.source or "") or field.source == "*":
        return None
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return None
    return None if model_field.auto_created and not model_field.concrete else model_field


def error_components(result, generator, request, public):
    """Postprocessing hook: the two error bodies every operation refers to, as components (one type each in a
    generated client, not one per operation and status)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR
    schemas["ValidationError"] = INVALID
    return result


def time_without_zone(result, generator, request, public):
    """Postprocessing hook: `format: time` (which requires a zone offset) becomes a pattern for Django's times."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("format") == "time" and node.get("type") == "string":
                del node["format"]
                node["pattern"] = TIME_PATTERN
                node.setdefault("example", "10:00:00")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
