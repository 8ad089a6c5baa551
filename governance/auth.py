"""Log-in protection: repeated failures are slowed, then locked, per account and per address.

- Slowed: every log-in attempt (the browser's form and `POST /api/v1/auth/token/`) goes through two rate limits
  of Django REST framework's throttling, per address and per account (`LOGIN_RATES`): past them the person
  is told how many seconds to wait, and the password is not even checked.
- Locked: django-axes counts failures per account and per address (`AXES_LOCKOUT_PARAMETERS`); at
  `AXES_FAILURE_LIMIT` it refuses further attempts for `AXES_COOLOFF_TIME`, or until the cluster office (or a
  platform administrator) lifts the lock on the people page.
- Tokens: django-rest-knox stores only a digest of each API token, which expires and stops working when the
  password changes or the account is deactivated (`ApiTokenAuthentication`).

The client's address is the TCP peer's, or, behind `TRUSTED_PROXIES` proxies (production: the TLS proxy), the
address that the nearest trusted proxy put in X-Forwarded-For.
"""

from __future__ import annotations

import math
from hmac import compare_digest
from typing import TYPE_CHECKING

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from knox.auth import TokenAuthentication
from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken, password_fingerprint

if TYPE_CHECKING:
    from core.typing import User


def client_ip(request) -> str | None:
    """The client's address (AXES_CLIENT_IP_CALLABLE): behind n trusted proxies, the n-th from the right of
    X-Forwarded-For; else the TCP peer."""
    proxies = settings.TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR")


# --- Slowed: rate limits on attempts ------------------------------------------------------------------


class _LoginThrottle(SimpleRateThrottle):
    def get_rate(self):
        # Read when used (DRF binds the rates when the class is defined): settings and tests may change them.
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]


class LoginAddressThrottle(_LoginThrottle):
    """Log-in attempts from one address."""

    scope = "login_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}


class LoginAccountThrottle(_LoginThrottle):
    """Log-in attempts for one account, from anywhere."""

    scope = "login_account"

    def get_cache_key(self, request, view):
        data = getattr(request, "data", None)
        if data is None or not hasattr(data, "get"):
            data = request.POST
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username.strip():
            return None
        return self.cache_format % {"scope": self.scope, "ident": username.strip().lower()[:150]}


LOGIN_THROTTLES = (LoginAddressThrottle, LoginAccountThrottle)


def login_wait(request) -> int:
    """Seconds the person must wait before the next attempt (0: go ahead). Counts this attempt."""
    waits = []
    for throttle_class in LOGIN_THROTTLES:
        throttle = throttle_class()
        # No view: the log-in form is none of DRF's (the stubs require one); these throttles never read it.
        if not throttle.allow_request(request, None):  # type: ignore[arg-type]
            waits.append(throttle.wait() or 1)
    return math.ceil(max(waits)) if waits else 0


def too_many_message(seconds: int) -> str:
    return _("Too many log-in attempts: try again in %(seconds)s seconds.") % {"seconds": seconds}


# --- Locked: django-axes -------------------------------------------------------------------------------


class LoginLockBackend(AxesStandaloneBackend):
    """django-axes' check, for log-ins that come with a request (the pages, the API). A log-in without one (the
    test client, a shell) has no address to count and is left to the other backends."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_succeeded(request, username: str) -> None:
    """Forget this account's failed attempts from this address: the person got in after a typo. The address's
    failures on other accounts stay counted, and so do this account's failures from elsewhere."""
    from axes.models import AccessAttempt

    AccessAttempt.objects.filter(username=username, ip_address=client_ip(request)).delete()


def lockout_message() -> str:
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60) if settings.AXES_COOLOFF_TIME else 0
    return _(
        "Too many failed log-ins: this account or address is locked for %(minutes)s minutes, or until the "
        "cluster office lifts the lock."
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: JSON for the API, the log-in page with the message in the browser (429)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": lockout_message()}, status=429)
    from django.contrib.auth.forms import AuthenticationForm

    form = AuthenticationForm(request)
    return render(request, "registration/login.html", {"form": form, "login_refused": lockout_message()}, status=429)


# --- Tokens --------------------------------------------------------------------------------------------


def api_token_issue(*, user: User) -> tuple[ApiToken, str]:
    """A new API token for the person: the instance (digest, expiry) and the token itself, shown once."""
    return ApiToken.objects.create(user=user, password_fingerprint=password_fingerprint(user))


class ApiTokenAuthentication(TokenAuthentication):
    """knox's token authentication, and the token stops working when its person's password changes."""

    def validate_user(self, auth_token):
        user, token = super().validate_user(auth_token)
        if not compare_digest(auth_token.password_fingerprint, password_fingerprint(user)):
            auth_token.delete()
            raise exceptions.AuthenticationFailed(
                _("The password changed after this token was issued: ask for a new token.")
            )
        return user, token


# --- The browser's log-in page ------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Django's log-in page, slowed like the API: past the rate limits the password is not checked."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        wait = login_wait(request)
        if wait:
            context = self.get_context_data(form=self.get_form(), login_refused=too_many_message(wait))
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        login_succeeded(self.request, form.get_user().get_username())
        return super().form_valid(form)
