"""How people and integrations prove who they are: API tokens stored as hashes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken

if TYPE_CHECKING:
    from core.typing import User


def password_fingerprint(user: User) -> str:
    """A keyed digest of the person's password hash: it changes whenever the password does (and tells nothing)."""
    return salted_hmac("cluster_platform.api_token", user.password or "", algorithm="sha256").hexdigest()


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox): only its SHA-512 digest is stored; it expires (`expiry`, renewed while it is
    used), and stops working when its person's password changes (`password_fingerprint`) or the account is
    deactivated."""

    password_fingerprint = models.CharField(_("password fingerprint"), max_length=64, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]
