"""The reference list page and its exports, bulk removal and restore, and a reference's page."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from references import export
from references.models import Reference
from screening.constants import EDITOR_ROLES, ItemState, RemovalReason, Stage
from screening.decisions.removal import references_remove, references_restore
from screening.decisions.selectors import decision_history
from screening.identification.selectors import (
    live_candidates,
    records_of_reference,
    reference_visible_in_review,
    references_in_review,
)
from screening.labels.common import LabelRefused
from screening.labels.notes_views import notes_context
from screening.labels.services import label_apply, label_remove
from screening.models import Review
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt
from screening.permissions.blinding import VoteView
from screening.permissions.labels import labels_on
from screening.reference_list.export import EXPORT_COLUMNS, export_rows
from screening.reference_list.filters import ReferenceFilter
from screening.reference_list.selectors import box_heading, box_total, screening_rows
from screening.reference_list.sorting import parse_sort, sort_headers, sort_references
from screening.retrieval.selectors import latest_pdf

REFERENCES_PER_PAGE = 50


def reference_list(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    query = request.GET.copy()
    export = query.pop("format", [None])[0]
    view = VoteView.of(review, membership)
    references = references_in_review(review)
    filterset = ReferenceFilter(query or None, queryset=references, review=review, view=view)
    if export in ("ris", "csv"):
        return _export(review, filterset.qs, export, view)
    sort = query.get("sort")
    page = Paginator(sort_references(filterset.qs, review, sort), REFERENCES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query.pop("page", None)
    heading = box_heading(review, query.get("box", ""))
    context = {
        "review": review,
        "membership": membership,
        "filter": filterset,
        "page": page,
        "rows": _rows(review, page, view, any_labels=bool(filterset.labels)),
        "stages": Stage.choices,
        "headers": sort_headers(query, sort),
        "sort": sort if parse_sort(sort) else "",
        "box": heading,
        "box_total": _box_total(review, references, heading, filterset, page),
        "query": query.urlencode(),
        "can_edit": membership.can_edit,
        "removal_reasons": RemovalReason.by_hand(),
        "labels": filterset.labels,
    }
    return render(request, "screening/reference_list/reference_list.html", context)


def _rows(review: Review, page, view: VoteView, *, any_labels: bool) -> list[tuple]:
    """(reference, [its StageRow or None at each stage, in order]) for each one on the page;
    each reference carries the labels the member sees on it (`shown_labels`), read only if
    the member has any label to see."""
    screening = screening_rows(review, [reference.pk for reference in page], view)
    ids = [reference.pk for reference in page]
    labels = labels_on(review, view, ids) if any_labels else {}
    for reference in page:
        reference.shown_labels = labels.get(reference.pk, [])
    return [
        (reference, [screening.get(reference.pk, {}).get(stage) for stage in Stage.values])
        for reference in page
    ]


def _box_total(review: Review, references, heading, filterset, page) -> int | None:
    """The box's own count: the list's, unless other filters narrow it (then one more query)."""
    if heading is None:
        return None
    narrowed = any(
        value not in (None, "")
        for name, value in filterset.form.cleaned_data.items()
        if name != "box"
    )
    return box_total(review, references, heading) if narrowed else page.paginator.count


def _export(review: Review, references, kind: str, view: VoteView) -> StreamingHttpResponse:
    """The filtered list as RIS (for reference managers) or CSV (for the paper), streamed."""
    stem = f"{review.slug} references {timezone.now():%Y-%m-%d}"
    rows = export_rows(review, references, view)
    if kind == "ris":
        body, name = export.iter_ris(rows), export.ris_filename(stem)
        content_type = "application/x-research-info-systems; charset=utf-8"
    else:
        body = export.iter_csv(rows, EXPORT_COLUMNS)
        name, content_type = export.csv_filename(stem), "text/csv; charset=utf-8"
    response = StreamingHttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
def reference_remove(request: HttpRequest, slug: str) -> HttpResponse:
    """Remove before screening (or restore) every reference of the filtered list."""
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    query = request.GET.copy()
    filterset = ReferenceFilter(
        query or None,
        queryset=references_in_review(review),
        review=review,
        view=VoteView.of(review, membership),
    )
    ids = list(filterset.qs.values_list("id", flat=True))

    def restore() -> str:
        n = references_restore(review=review, reference_ids=ids, user=request.user)
        return f"{n} reference{pluralize(n)} restored to screening."

    def remove() -> str:
        n = references_remove(
            review=review,
            reference_ids=ids,
            reason=request.POST.get("reason", ""),
            detail=request.POST.get("detail", ""),
            user=request.user,
        )
        skipped = len(ids) - n
        return f"{n} reference{pluralize(n)} removed before screening" + (
            f"; {skipped} {pluralize(skipped, 'was,were')} left, being screened already or "
            "elsewhere."
            if skipped
            else "."
        )

    attempt(request, restore if request.POST.get("action") == "restore" else remove)
    url = reverse("screening:reference-list", args=[review.slug])
    return redirect(f"{url}?{query.urlencode()}" if query else url)


@require_POST
def reference_label_bulk(request: HttpRequest, slug: str) -> HttpResponse:
    """Put a label on every reference of the filtered list, or take it off them all."""
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    query = request.GET.copy()
    view = VoteView.of(review, membership)
    filterset = ReferenceFilter(
        query or None, queryset=references_in_review(review), review=review, view=view
    )
    ids = list(filterset.qs.values_list("id", flat=True))
    chosen = request.POST.get("label", "")
    removing = request.POST.get("action") == "remove"

    def change() -> str:
        if not chosen.isdigit():
            raise LabelRefused("Choose a label.")
        n = (label_remove if removing else label_apply)(
            review=review, label_id=int(chosen), reference_ids=ids, user=request.user, view=view
        )
        done = "taken off" if removing else "put on"
        return f"The label was {done} {n} reference{pluralize(n)}."

    attempt(request, change)
    url = reverse("screening:reference-list", args=[review.slug])
    return redirect(f"{url}?{query.urlencode()}" if query else url)


def reference_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    if not reference_visible_in_review(review, pk):
        raise Http404("No such reference in this review.")
    reference = get_object_or_404(Reference, pk=pk)
    view = VoteView.of(review, membership)
    history = decision_history(review, reference.pk, view)
    context = {
        "review": review,
        "membership": membership,
        "reference": reference,
        "records": records_of_reference(review, reference),
        "candidates": live_candidates(review)
        .filter(Q(reference_a=reference) | Q(reference_b=reference))
        .select_related("reference_a", "reference_b"),
        "items": review.items.filter(reference=reference).select_related("reason"),
        "history": history,
        "pdf": latest_pdf(review, reference.pk),
        "hidden_votes": view.hides_votes_on(reference.pk),
        "can_edit": membership.can_edit,
        "can_manage": membership.can_manage,
        "open_states": ItemState.open(),
        "settled_states": [ItemState.INCLUDED, ItemState.EXCLUDED],
        # Its labels and discussion (screening/labels), as the member sees them.
        **notes_context(request, review, membership, reference, view),
    }
    return render(request, "screening/reference_list/reference_detail.html", context)
