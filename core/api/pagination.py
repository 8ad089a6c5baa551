"""The API's pages: `?page=` and `?page_size=` are whole numbers, as the schema says.

DRF reads only the last `page` given and takes an empty one as the first page; here every value given must be
a page number (else 404, DRF's answer for a page that does not exist), and a `page_size` that is not a number
is a 400 instead of being ignored.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    def get_page_number(self, request, paginator):
        for value in request.query_params.getlist(self.page_query_param):
            if not value.isdigit() and value not in self.last_page_strings:
                raise NotFound(self.invalid_page_message.format(page_number=value, message=_("Not a page number.")))
        return super().get_page_number(request, paginator)

    def get_page_size(self, request):
        if self.page_size_query_param:
            for asked in request.query_params.getlist(self.page_size_query_param):
                try:
                    int(asked)
                except ValueError:
                    raise ValidationError({self.page_size_query_param: [_("Expected a whole number.")]}) from None
        return super().get_page_size(request)
