"""What every view of a review shares: the review and the member, found by the pages' rule."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from api.access import Member, member_of


class ReviewView(GenericAPIView):
    """A view under /api/v1/reviews/<slug>/. `roles`: the roles that may use it (the page's
    role set), None for any member."""

    roles: Collection[str] | None = None

    def member(self, slug: str) -> Member:
        return member_of(self.request, slug, roles=self.roles)

    def paged(self, items: Sequence, **context) -> Response:
        """One page of `items` (a queryset or a list), serialized, with the count and the
        links to the pages either side."""
        page = self.paginate_queryset(items)
        serializer = self.get_serializer_class()(page, many=True, context=context)
        return self.get_paginated_response(serializer.data)
