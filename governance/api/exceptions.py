"""API error handling shared by every app's endpoints."""

from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, except that a missing object answers with the translated "Not found."

    Django's get_object_or_404 says "No Cluster matches the given query." in English, untranslated,
    and names the model: the API answers the same for objects that do not exist and for objects
    of clusters the caller may not see, in the caller's language.
    """
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)
