"""The audit log's pages: the review's log (each event in a sentence with its raw data, filtered,
downloadable as CSV, with decisions a member may not see yet left out) and a signed receipt of
the log as it stands."""

from __future__ import annotations

import csv
import json

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from references.spreadsheet import spreadsheet_cell
from screening.audit.filters import AuditFilter
from screening.audit.sentences import audit_entries
from screening.audit.verify import audit_receipt, audit_verify
from screening.models import AuditEvent
from screening.permissions.access import review_for_user
from screening.permissions.blinding import VoteView

EVENTS_PER_PAGE = 100


def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    query = request.GET.copy()
    wanted = query.pop("format", [None])[0]
    view = VoteView.of(review, membership)
    events = view.events(
        AuditEvent.objects.in_review(review).select_related("actor").order_by("-seq")
    )
    filterset = AuditFilter(query or None, queryset=events, review=review)
    if wanted == "csv":
        return _log_csv(review, filterset.qs.order_by("seq"))
    page = Paginator(filterset.qs, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    # The page's events only, which the VoteView above chose: a sentence says no more than its
    # event, so the blinding rule covers the sentences too.
    entries = audit_entries(review, page)
    query.pop("page", None)
    report = audit_verify(review) if request.GET.get("verify") else None
    context = {
        "review": review,
        "membership": membership,
        "filter": filterset,
        "page": page,
        "entries": entries,
        "query": query.urlencode(),
        "sees_all": view.sees_all,
        "report": report,
    }
    return render(request, "screening/audit/audit_log.html", context)


def audit_receipt_download(request: HttpRequest, slug: str) -> HttpResponse:
    """A signed receipt of the log as it stands (count, head hash, time), to keep outside the
    application; `audit_verify --receipt FILE` later proves the log still holds it."""
    review, _ = review_for_user(request, slug)
    receipt = audit_receipt(review)
    response = HttpResponse(
        json.dumps(receipt, indent=2) + "\n", content_type="application/json; charset=utf-8"
    )
    name = f"{review.slug}-audit-receipt-{receipt['events']}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _log_csv(review, events) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    header = ["seq", "time", "actor", "action", "object", "before", "after", "hash"]

    def rows():
        yield "\ufeff" + writer.writerow(header)
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    event.seq,
                    event.created_at.isoformat(),
                    event.actor.get_username() if event.actor else "",
                    event.action,
                    f"{event.object_type}:{event.object_id}",
                    _cell(event.before),
                    _cell(event.after),
                    event.hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{review.slug}-audit.csv"'
    return response


def _cell(value) -> str:
    return spreadsheet_cell(
        "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )
