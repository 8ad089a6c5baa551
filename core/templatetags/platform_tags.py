from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.utils.formats import localize
from django.utils.html import format_html

if TYPE_CHECKING:
    from core.typing import User

register = template.Library()


@register.filter
def field_value(obj, path: str):
    """The display value of a dotted attribute path, using get_FOO_display for choice fields."""
    value = obj
    parts = path.split(".")
    for i, part in enumerate(parts):
        if value is None:
            return ""
        display = getattr(value, f"get_{part}_display", None)
        if i == len(parts) - 1 and callable(display):
            return display()
        value = getattr(value, part, None)
        if callable(value):
            value = value()
    if value is True or value is False:
        from django.utils.translation import gettext

        return gettext("Yes") if value else gettext("No")
    return "" if value is None else localize(value)


@register.filter
def percent(value, digits: int = 0):
    if value is None:
        return "—"
    return f"{value * 100:.{int(digits)}f} %"


@register.simple_tag(takes_context=True)
def url_with(context, **changes):
    """The current query string with some parameters replaced."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return "?" + query.urlencode()


@register.filter
def person(user: User | None) -> str:
    """A person as pages name them: full name, else username; "the platform" for a change no person made
    (demo history, figures carried over from an earlier system, scheduled jobs)."""
    from django.utils.translation import gettext

    if user is None:
        return gettext("the platform")
    return user.get_full_name() or user.get_username()


@register.simple_tag(takes_context=True)
def sort_header(context, name: str, label):
    """A column's header: a link that sorts the list by it (again: the other way), with `aria-sort` saying how it
    is sorted now; a plain header where the list does not sort by that column."""
    if name not in (context.get("sortable") or {}):
        return format_html('<th scope="col">{}</th>', label)
    request = context["request"]
    current = context.get("sort", "")
    state = "ascending" if current == name else "descending" if current == f"-{name}" else "none"
    query = request.GET.copy()
    query.pop("page", None)
    query["sort"] = f"-{name}" if state == "ascending" else name
    arrow = {"ascending": " ▲", "descending": " ▼"}.get(state, "")
    return format_html(
        '<th scope="col" aria-sort="{}"><a href="?{}" class="sort">{}<span aria-hidden="true">{}</span></a></th>',
        state,
        query.urlencode(),
        label,
        arrow,
    )


@register.filter
def get_item(mapping, key):
    """{{ levels|get_item:row.pk }}: a dict's value in a template."""
    return mapping.get(key) if mapping else None
