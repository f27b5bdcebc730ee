"""The audit log's filters: who, what, when, at which stage, for which reason."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from screening.constants import AuditAction, Stage
from screening.models import (
    AuditEvent,
    Review,
)


class AuditFilter(django_filters.FilterSet):
    """The review's audit log: by whom, what, at which stage, for which reason, when."""

    # An unset choice reads "Any...", not django-filter's "---------": it filters nothing.
    actor = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.none(), label="Who", empty_label="Anyone"
    )
    action = django_filters.ChoiceFilter(
        choices=AuditAction.choices, label="What", empty_label="Any action"
    )
    stage = django_filters.ChoiceFilter(
        choices=Stage.choices, label="Stage", method="filter_stage", empty_label="Any stage"
    )
    reason = django_filters.CharFilter(label="Reason contains", method="filter_reason")
    since = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="From (date)"
    )
    until = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="To (date)"
    )

    class Meta:
        model = AuditEvent
        fields = ["actor", "action"]

    def __init__(self, *args, review: Review, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["actor"].queryset = (
            get_user_model().objects.filter(memberships__review=review).order_by("username")
        )

    def filter_stage(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(after__stage=value) | Q(before__stage=value))

    def filter_reason(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            Q(after__reason__icontains=value) | Q(before__reason__icontains=value)
        )
