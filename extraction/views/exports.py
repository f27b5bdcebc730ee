"""The extraction downloads (CSV, JSON) and the forest plot page with its SVG and PNG."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from screening.permissions.access import review_for_user
from screening.prisma.svg import render_png

from ..export import csv_text, export_json
from ..forest import (
    ARMS,
    default_choice,
    forest_choices,
    forest_plot,
    outcome_key,
    render_svg,
    with_risk_of_bias,
)

EXPORTS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
PLOTS = {"svg": "image/svg+xml", "png": "image/png"}


def export_download(request: HttpRequest, slug: str) -> HttpResponse:
    """?format=csv (the default) or json: the review's extracted data, as a file; the
    consensus, and with ?entries=1 the extractors' entries too (only those every member may
    read: of the studies whose entries are all in)."""
    review, _ = review_for_user(request, slug)
    wanted = request.GET.get("format", "csv")
    if wanted not in EXPORTS:
        return HttpResponse(
            "Ask for format=csv or format=json.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    entries = request.GET.get("entries") == "1"
    if wanted == "json":
        body = json.dumps(export_json(review, entries), indent=2, ensure_ascii=False) + "\n"
    else:
        body = csv_text(review, entries)
    response = HttpResponse(body, content_type=EXPORTS[wanted])
    stem = f"{review.slug}-extraction-{timezone.now():%Y-%m-%d}"
    response["Content-Disposition"] = f'attachment; filename="{stem}.{wanted}"'
    return response


def forest_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The outcomes there are data for, one of them drawn (the one with the most studies, then
    the most rows, unless ?outcome= and ?measure= say which), and its SVG and PNG
    (?format=svg|png)."""
    review, membership = review_for_user(request, slug)
    choices = forest_choices(review)
    name = request.GET.get("outcome", "").strip()
    measure = request.GET.get("measure", "").strip() or None
    if not name and choices:
        opening = default_choice(choices)
        name, measure = opening.name, opening.measure
    favours = (request.GET.get("left", "")[:40], request.GET.get("right", "")[:40])
    plot = forest_plot(review, name, measure, favours=favours) if name else None
    if plot is not None and request.GET.get("bias") != "0":
        plot = with_risk_of_bias(review, plot)
    wanted = request.GET.get("format")
    if wanted in PLOTS and plot is not None:
        return _plot_download(review.slug, plot, wanted)
    chosen = next(
        (
            c
            for c in choices
            if plot and c.key == outcome_key(plot.outcome) and c.measure == plot.measure
        ),
        None,
    )
    context = {
        "review": review,
        "membership": membership,
        "choices": choices,
        "chosen": chosen,
        "name": name,
        "plot": plot,
        "favours": favours,
        "query": _plot_query(plot) if plot else "",
        "svg": mark_safe(render_svg(plot)) if plot else None,  # noqa: S308 - built from escaped parts
        "downloads": list(PLOTS),
        "arms": ARMS,
    }
    # An outcome asked for by name that has nothing to draw: the page says so, with a 404.
    status = 404 if plot is None and "outcome" in request.GET else 200
    return render(request, "extraction/forest.html", context, status=status)


def _plot_query(plot) -> str:
    """The current plot's parameters, for its download links."""
    params = {"outcome": plot.outcome, "measure": plot.measure}
    left, right = plot.favours
    if left or right:
        params.update(left=left, right=right)
    return urlencode(params)


def _plot_download(slug: str, plot, wanted: str) -> HttpResponse:
    svg = render_svg(plot)
    body: str | bytes = svg
    if wanted == "png":
        try:
            body = render_png(svg)
        except OSError:
            return HttpResponse(
                "PNG is drawn with cairo, which this server lacks (Debian: apt-get install "
                "libcairo2). The SVG download has the same plot.",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
    stem = slugify(f"{slug} forest {plot.outcome} {plot.measure}") or "forest"
    response = HttpResponse(body, content_type=PLOTS[wanted])
    response["Content-Disposition"] = f'attachment; filename="{stem}.{wanted}"'
    return response
