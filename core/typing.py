"""Type aliases for annotations (mypy, issue 11): nothing here exists at run time.

Import them under `if TYPE_CHECKING:` only, in modules with `from __future__ import annotations`: django-stubs'
aliases come from django_stubs_ext, a development dependency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TypeAlias

    from django.contrib.auth.models import AnonymousUser
    from django.contrib.auth.models import User as User  # settings.AUTH_USER_MODEL is Django's own
    from django_stubs_ext import StrOrPromise as StrOrPromise  # a str or a lazy translation

    # The person of a request (`request.user`): a user, or nobody logged in.
    AnyUser: TypeAlias = User | AnonymousUser
