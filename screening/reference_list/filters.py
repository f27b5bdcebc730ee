"""The reference list's filters."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from screening.constants import CandidateStatus, ItemState, Stage
from screening.models import (
    Decision,
    DuplicateCandidate,
    ExclusionReason,
    Record,
    Review,
    ScreeningItem,
    Search,
    SearchRun,
    Source,
)
from screening.permissions.blinding import VoteView
from screening.permissions.labels import label_choices, labels_for, with_label
from screening.prisma.counts import BOXES, box_references

# An unset yes/no filter reads "Any", not django-filter's "Unknown": it filters nothing.
ANY_YES_NO = [("", "Any"), ("true", "Yes"), ("false", "No")]


def _yes_no(label: str, method: str) -> django_filters.BooleanFilter:
    return django_filters.BooleanFilter(
        label=label, method=method, widget=forms.Select(choices=ANY_YES_NO)
    )


class ReferenceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Title or abstract contains", method="filter_text")
    year_min = django_filters.NumberFilter(field_name="year", lookup_expr="gte", label="Year from")
    year_max = django_filters.NumberFilter(field_name="year", lookup_expr="lte", label="Year to")
    source = django_filters.ModelChoiceFilter(
        queryset=Source.objects.none(),
        label="Source",
        method="filter_source",
        empty_label="Any source",
    )
    search = django_filters.ModelChoiceFilter(
        queryset=Search.objects.none(),
        label="Search",
        method="filter_search",
        empty_label="Any search",
    )
    run = django_filters.ModelChoiceFilter(
        queryset=SearchRun.objects.none(),
        label="Added by search run",
        method="filter_run",
        empty_label="Any run",
    )
    dropped_in = django_filters.ModelChoiceFilter(
        queryset=SearchRun.objects.none(),
        label="Dropped out in search run",
        method="filter_dropped_in",
        empty_label="Any run",
    )
    stage = django_filters.ChoiceFilter(
        label="Stage", choices=Stage.choices, method="filter_screening", empty_label="Any stage"
    )
    state = django_filters.ChoiceFilter(
        label="State",
        choices=ItemState.choices,
        method="filter_screening",
        empty_label="Any state",
    )
    conflict = _yes_no("In conflict", "filter_conflict")
    reviewer = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.none(),
        label="Decided by",
        method="filter_reviewer",
        empty_label="Anyone",
    )
    reason = django_filters.ModelChoiceFilter(
        queryset=ExclusionReason.objects.none(),
        label="Excluded for",
        method="filter_reason",
        empty_label="Any reason",
    )
    # Set by the PRISMA diagram's links; the list's heading names the box, and a link clears it.
    box = django_filters.CharFilter(
        label="PRISMA box", method="filter_box", widget=forms.HiddenInput
    )
    publication_type = django_filters.CharFilter(
        label="Publication type", method="filter_publication_type"
    )
    has_abstract = _yes_no("Has an abstract", "filter_abstract")
    # The labels the member sees (shared ones and their own private ones), set per member.
    label = django_filters.ChoiceFilter(
        label="Label", choices=[], method="filter_label", empty_label="Any label"
    )
    duplicates = django_filters.ChoiceFilter(
        label="Duplicate status",
        method="filter_duplicates",
        empty_label="Any",
        choices=[
            ("with", "Found more than once (exact or merged duplicates)"),
            ("single", "Found once"),
            ("proposed", "In a proposed near-duplicate pair"),
        ],
    )

    def __init__(self, *args, review: Review, view: VoteView, **kwargs):
        self.review = review
        self.view = view
        super().__init__(*args, **kwargs)
        self.filters["source"].queryset = review.sources.all()
        self.filters["search"].queryset = review.searches.select_related("source")
        runs = SearchRun.objects.filter(search__review=review).select_related("search")
        self.filters["run"].queryset = runs
        self.filters["dropped_in"].queryset = runs
        self.filters["reviewer"].queryset = (
            get_user_model().objects.filter(memberships__review=review).order_by("username")
        )
        self.filters["reason"].queryset = review.reasons.all()
        # Another member's private label is no choice, so asking for it reads like asking for
        # a label that does not exist.
        self.labels = list(labels_for(review, view.user_id))  # also the page's bulk form's
        self.filters["label"].extra["choices"] = label_choices(self.labels)

    def _items(self):
        return ScreeningItem.objects.in_review(self.review).filter(reference=OuterRef("pk"))

    def filter_screening(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Stage and state go together: one item must match both when both are given.
        stage = self.form.cleaned_data.get("stage")
        state = self.form.cleaned_data.get("state")
        if name == "state" and stage:
            return queryset  # applied with the stage
        items = self._items()
        if stage:
            items = items.filter(stage=stage)
        if state:
            items = items.filter(state=state)
        return queryset.filter(Exists(items))

    def filter_conflict(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        in_conflict = Exists(self._items().filter(state=ItemState.CONFLICT))
        return queryset.filter(in_conflict) if value else queryset.exclude(in_conflict)

    def filter_reviewer(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # Only decisions the member may see: under blind screening, "decided by" another
        # reviewer must not reveal which open references they have voted on.
        decided = self.view.decisions(
            Decision.objects.in_review(self.review).filter(reviewer=value)
        ).filter(reference=OuterRef("pk"))
        return queryset.filter(Exists(decided))

    def filter_label(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return with_label(queryset, self.review, self.view, value)

    def filter_reason(self, queryset: QuerySet, name: str, value: ExclusionReason) -> QuerySet:
        return queryset.filter(Exists(self._items().filter(reason=value)))

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        for word in value.split():
            queryset = queryset.filter(Q(title__icontains=word) | Q(abstract__icontains=word))
        return queryset

    def _records(self):
        return Record.objects.in_review(self.review).filter(reference=OuterRef("pk"))

    def filter_source(self, queryset: QuerySet, name: str, value: Source) -> QuerySet:
        return queryset.filter(Exists(self._records().filter(search__source=value)))

    def filter_search(self, queryset: QuerySet, name: str, value: Search) -> QuerySet:
        return queryset.filter(Exists(self._records().filter(search=value)))

    def filter_run(self, queryset: QuerySet, name: str, value: SearchRun) -> QuerySet:
        return queryset.filter(Exists(self._records().filter(run=value)))

    def filter_dropped_in(self, queryset: QuerySet, name: str, value: SearchRun) -> QuerySet:
        return queryset.filter(Exists(self._records().filter(dropped_in=value)))

    def filter_box(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """The references a PRISMA box counts: "records_screened", "dbr_excluded:12" (reason 12)."""
        box, _, reason = value.partition(":")
        if box not in BOXES:
            return queryset.none()
        reason_id = int(reason) if reason.isdigit() else None
        return queryset.filter(box_references(self.review, box, reason_id))

    def filter_publication_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Matches one whole element of the JSON list, case-insensitively, on SQLite and PostgreSQL.
        return queryset.filter(publication_types__icontains=f'"{value.strip()}"')

    def filter_abstract(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.exclude(abstract="") if value else queryset.filter(abstract="")

    def filter_duplicates(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        duplicate_records = self._records().exclude(duplicate_rule="")
        if value == "with":
            return queryset.filter(Exists(duplicate_records))
        if value == "single":
            return queryset.exclude(Exists(duplicate_records))
        pairs = DuplicateCandidate.objects.in_review(self.review).filter(
            status=CandidateStatus.PROPOSED
        )
        return queryset.filter(
            Exists(pairs.filter(reference_a=OuterRef("pk")))
            | Exists(pairs.filter(reference_b=OuterRef("pk")))
        )
