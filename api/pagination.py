"""Every list of the API comes in pages: ?page=N, and ?page_size= up to API_MAX_PAGE_SIZE."""

from django.conf import settings
from rest_framework.pagination import PageNumberPagination


class PageNumbers(PageNumberPagination):
    page_size_query_param = "page_size"

    @property
    def max_page_size(self) -> int:
        # Read at each request, so that the setting (and a test) decides, not the import.
        return settings.API_MAX_PAGE_SIZE


def paged_objects(description: str) -> dict:
    """The schema of a page of free-form objects (rows whose columns depend on the review),
    for views that answer plain dicts rather than a serializer's."""
    items = {"type": "object", "additionalProperties": True, "description": description}
    return PageNumbers().get_paginated_response_schema({"type": "array", "items": items})
