"""API error handling shared by every app's endpoints."""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, with two more cases answered in JSON.

    A missing object answers with the translated "Not found.": Django's get_object_or_404 says "No Cluster
    matches the given query." in English, untranslated, and names the model; the API answers the same for
    objects that do not exist and for objects of clusters the caller may not see, in the caller's language.
    A body over the size limit (DATA_UPLOAD_MAX_MEMORY_SIZE) is a 400 with a message, not Django's HTML page.
    """
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig | TooManyFieldsSent):
        exc = exceptions.ParseError(
            _("The request body is larger than the platform accepts: send the rows in several requests.")
        )
    return drf_exception_handler(exc, context)


# --- Outside the API's views: unknown addresses under /api/, and the last resort -------------------------


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception):
    """404: JSON under /api/ (an integration reads JSON whatever went wrong), the site's page elsewhere."""
    from django.http import JsonResponse
    from django.views import defaults

    if _is_api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500: JSON under /api/, the site's page elsewhere."""
    from django.http import JsonResponse
    from django.views import defaults

    if _is_api(request):
        return JsonResponse({"detail": _("A server error occurred.")}, status=500)
    return defaults.server_error(request)
