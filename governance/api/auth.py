"""`POST /api/v1/auth/token/` `{username, password}` → `{token, expiry}`: the contract's token endpoint, on knox.

Attempts are slowed by the same rate limits as the browser's log-in form and locked by django-axes after
repeated failures (governance.auth); the token is stored as a digest and expires.
"""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..auth import LOGIN_THROTTLES, api_token_issue, lockout_message, login_succeeded


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(label=gettext_lazy("Username"), max_length=150)
    password = serializers.CharField(
        label=gettext_lazy("Password"), max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=gettext_lazy("Send it as `Authorization: Token <token>`."))
    expiry = serializers.DateTimeField(
        help_text=gettext_lazy("When it stops working unless used: each use extends it, up to a year after issue.")
    )


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token (shown once: only its digest is stored)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = list(LOGIN_THROTTLES)

    @extend_schema(
        request=CredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description=gettext_lazy("Wrong username or password.")),
            429: OpenApiResponse(description=gettext_lazy("Too many attempts: slowed, or locked.")),
        },
    )
    def post(self, request):
        data = CredentialsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = request._request  # django-axes counts and locks on the request Django sees
        user = authenticate(
            django_request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if user is None:
            if getattr(django_request, "axes_locked_out", False):
                return Response({"detail": lockout_message()}, status=status.HTTP_429_TOO_MANY_REQUESTS)
            raise serializers.ValidationError({"non_field_errors": [_("Unable to log in with provided credentials.")]})
        login_succeeded(django_request, user.get_username())
        instance, token = api_token_issue(user=user)
        return Response(TokenSerializer({"token": token, "expiry": instance.expiry}).data)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The schema's word for the token: `Authorization: Token <token>`."""

    target_class = "governance.auth.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
