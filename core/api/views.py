"""API views of no app: the schema."""

from django.utils import translation
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView


class SchemaView(SpectacularAPIView):
    """/api/schema/: in English unless `?lang=` asks otherwise, never in the Accept-Language of the request."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if request.GET.get("lang"):
            return super().get(request, *args, **kwargs)
        with translation.override("en"):
            return super().get(request, *args, **kwargs)
