"""The retrieval list, recording a retrieval, and serving a stored full text to members."""

from __future__ import annotations

from urllib.parse import urlencode

from csp.decorators import csp_exempt
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from references.models import Reference
from screening.constants import EDITOR_ROLES, ItemState, Stage
from screening.decisions.selectors import stage_counts
from screening.models import FullText, ScreeningItem
from screening.permissions.access import next_url, review_for_user
from screening.permissions.actions import attempt, show_form_errors
from screening.permissions.blinding import VoteView
from screening.permissions.labels import label_choices, labels_for, labels_on, with_label
from screening.retrieval.bulk_batches import batches_of
from screening.retrieval.forms import FullTextForm
from screening.retrieval.selectors import same_pdf_elsewhere
from screening.retrieval.services import full_text_record

RETRIEVAL_PER_PAGE = 25


# --- Retrieval -----------------------------------------------------------------------------------


def retrieval_list(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    state = request.GET.get("state") or ItemState.AWAITING_RETRIEVAL
    states = [ItemState.AWAITING_RETRIEVAL, ItemState.RETRIEVED, ItemState.NOT_RETRIEVED]
    if state not in states:
        state = ItemState.AWAITING_RETRIEVAL
    label = request.GET.get("label", "").strip()
    view = VoteView.of(review, membership)
    items = (
        ScreeningItem.objects.in_review(review)
        .filter(stage=Stage.RETRIEVAL, state=state)
        .select_related("reference")
    )
    if label:
        items = with_label(items, review, view, label, reference="reference")
    page = Paginator(items.order_by("reference_id"), RETRIEVAL_PER_PAGE).get_page(
        request.GET.get("page")
    )
    labels = labels_on(review, view, [item.reference_id for item in page])
    for item in page:
        item.shown_labels = labels.get(item.reference_id, [])
    latest = {
        ft.reference_id: ft
        for ft in FullText.objects.in_review(review)
        .filter(reference_id__in=[i.reference_id for i in page])
        .order_by("id")
    }
    counts = stage_counts(review)[Stage.RETRIEVAL]
    context = {
        "review": review,
        "membership": membership,
        "page": page,
        "rows": [(item, latest.get(item.reference_id)) for item in page],
        "state": state,
        "states": [(s, ItemState(s).label, counts.get(s, 0)) for s in states],
        "can_edit": membership.can_edit,
        "form": FullTextForm(),
        # A viewer does not see the batches waiting to be checked (they are not attached yet).
        "batches": batches_of(review.pk) if membership.can_edit else [],
        "waiting": counts.get(ItemState.AWAITING_RETRIEVAL, 0),
        "label": label,
        "label_choices": label_choices(list(labels_for(review, membership.user_id))),
        "query": urlencode(
            {key: value for key, value in (("state", state), ("label", label)) if value}
        ),
    }
    return render(request, "screening/retrieval/retrieval_list.html", context)


@require_POST
def retrieval_record(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    reference = get_object_or_404(Reference, pk=pk)
    form = FullTextForm(request.POST, request.FILES)

    recorded = []

    def record() -> str:
        data = form.cleaned_data
        recorded.append(
            full_text_record(
                review=review,
                reference=reference,
                user=request.user,
                status=data["status"],
                upload=data["file"],
                url=data["url"],
                reason=data["reason"],
                max_bytes=settings.FULLTEXT_MAX_FILE_BYTES,
            )
        )
        return f"Recorded for: {reference.citation[:80]}"

    if form.is_valid():
        if attempt(request, record) and recorded[0].sha256:
            _warn_of_the_same_pdf(request, review, recorded[0])
    else:
        show_form_errors(request, form)
    return redirect(next_url(request, reverse("screening:retrieval-list", args=[review.slug])))


def _warn_of_the_same_pdf(request: HttpRequest, review, full_text: FullText) -> None:
    """Say so when the PDF just attached is also another reference's full text."""
    others = same_pdf_elsewhere(review, [full_text.sha256], full_text.reference_id)
    for other in others.get(full_text.sha256, []):
        messages.warning(
            request,
            f"The same PDF is the full text of {other.citation[:80]}: check that it is the "
            "right file for both (if they are one report found twice, merge them as duplicates).",
        )


@csp_exempt()  # a PDF: the browser's own viewer renders it, and a CSP would block that viewer
def fulltext_file(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    """A full text's PDF, for the review's members only, shown inline."""
    review, _ = review_for_user(request, slug)
    full_text = get_object_or_404(FullText, review=review, pk=pk)
    if not full_text.file:
        raise Http404("This full text has no file.")
    response = FileResponse(
        full_text.file.open("rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=full_text.file_name or "full-text.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
