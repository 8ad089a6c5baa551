"""The JSON parser of every endpoint: a body nested too deep is a clear 400, never a 500.

Python's json module recurses once per level and fails with RecursionError around a thousand levels (a
500 before this parser); a body within that can still make later code recurse. No endpoint takes more than
a few levels: a body nested deeper than MAX_DEPTH is refused.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 20


def nesting_depth(data) -> int:
    """How deep lists and objects nest in parsed JSON (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            return depth
        stack.extend((child, depth + 1) for child in children)
    return deepest


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(_("The JSON nests too deep.")) from error
        if nesting_depth(data) > MAX_DEPTH:
            raise ParseError(_("The JSON nests more than %(limit)s levels deep.") % {"limit": MAX_DEPTH})
        return data
