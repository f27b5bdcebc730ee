"""The risk-of-bias page (every result with its assessors' progress and its consensus, the
plots, agreement per domain, the methods paragraph and the downloads), the plots as SVG and
PNG, the exports, and the review's risk-of-bias settings."""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from risk_of_bias.agreement import domain_agreement
from risk_of_bias.content import content_of
from risk_of_bias.export import DEMO_NOTE, csv_text, export_json, result_label, weights
from risk_of_bias.methods import methods_paragraph
from risk_of_bias.models import RobSettings
from risk_of_bias.plot_summary import summary_svg
from risk_of_bias.plot_traffic import traffic_light_svg
from risk_of_bias.plots import PlotDomain, PlotRow, plot_png
from risk_of_bias.selectors import ResultRow, digest_mismatches, result_rows
from risk_of_bias.services import MAX_ASSESSORS, rob_settings_update
from risk_of_bias.tool import TOOLS, tool
from screening.constants import OWNER_ROLES
from screening.models import Review
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt

PLOTS = {"traffic-light": traffic_light_svg, "summary": summary_svg}
PLOT_KINDS = [("traffic-light", "Traffic-light plot"), ("summary", "Summary plot")]


def _plot_rows(review: Review, rows: list[ResultRow]) -> list[PlotRow]:
    """The reported (consensus) judgements of each result, as the plots draw them."""
    demo = RobSettings.for_review(review).demo_data
    reported = [row for row in rows if row.reported]
    found = []
    for row, weight in zip(reported, weights(reported), strict=True):
        value = content_of(row.reported)
        found.append(
            PlotRow(
                label=result_label(row.outcome),
                judgements={d["domain"]: d["judgement"] for d in value["domains"]},
                overall=value["overall"]["judgement"],
                weight=float(weight),
                note="demo data" if demo else "",
            )
        )
    return found


def _agreement(rows: list[ResultRow]):
    """Per domain and overall: the first two submitted assessments of each revealed result."""
    pairs: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        if not row.revealed or len(row.submitted) < 2:
            continue
        first, second = (content_of(a) for a in row.submitted[:2])
        for a, b in zip(first["domains"], second["domains"], strict=True):
            pairs.setdefault(a["domain"], []).append((a["judgement"], b["judgement"]))
        pairs.setdefault("Overall", []).append(
            (first["overall"]["judgement"], second["overall"]["judgement"])
        )
    return [domain_agreement(name, found) for name, found in pairs.items()]


def overview(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    settings = RobSettings.for_review(review)
    rows = result_rows(review)
    plotted = _plot_rows(review, rows)
    listing = [
        {
            "row": row,
            "label": result_label(row.outcome),
            "mine": row.mine(request.user.pk),
            "reported": content_of(row.reported) if row.reported else None,
        }
        for row in rows
    ]
    context = {
        "review": review,
        "membership": membership,
        "rob": settings,
        "tool": tool(settings.tool),
        "tools": [(key, value.label) for key, value in TOOLS.items()],
        "max_assessors": MAX_ASSESSORS,
        "listing": listing,
        "plotted": len(plotted),
        "any_override": any(
            d["overridden"]
            for entry in listing
            if entry["reported"]
            for d in [*entry["reported"]["domains"], entry["reported"]["overall"]]
        ),
        "plot_kinds": PLOT_KINDS,
        "agreement": _agreement(rows),
        "methods": methods_paragraph(review, rows),
        "mismatches": digest_mismatches(review),
        "demo_note": DEMO_NOTE if settings.demo_data else "",
    }
    return render(request, "risk_of_bias/overview.html", context)


def plot(request: HttpRequest, slug: str, kind: str, fmt: str) -> HttpResponse:
    review, _ = review_for_user(request, slug)
    if kind not in PLOTS or fmt not in ("svg", "png"):
        raise Http404("No such plot.")
    results = result_rows(review)
    rows = _plot_rows(review, results)
    if not rows:
        raise Http404("No result has its consensus yet: nothing to plot.")
    options = {}
    if kind == "summary":  # weighted by size only when every study's size is known
        sizes = [r.outcome.study.number_randomised for r in results if r.reported]
        options["weighted"] = all(sizes)
    rob = tool(RobSettings.for_review(review).tool)
    domains = [PlotDomain(d.id, d.name) for d in rob.domains]
    title = "Risk of bias (RoB 2), consensus judgements"
    if RobSettings.for_review(review).demo_data:
        title += " (demo data)"
    svg = PLOTS[kind](rows, domains, title=title, **options)
    name = f"{review.slug}-risk-of-bias-{kind}.{fmt}"
    if fmt == "png":
        response = HttpResponse(plot_png(svg), content_type="image/png")
    else:
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    review, _ = review_for_user(request, slug)
    if fmt == "json":
        body = json.dumps(export_json(review), indent=2, ensure_ascii=False) + "\n"
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    elif fmt == "csv":
        response = HttpResponse(csv_text(review), content_type="text/csv; charset=utf-8")
    else:
        raise Http404("No such format.")
    name = f"{review.slug}-risk-of-bias.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
def settings_update(request: HttpRequest, slug: str) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=OWNER_ROLES)
    assessors = request.POST.get("assessors", "")

    def update() -> str:
        rob_settings_update(
            review=review,
            user=request.user,
            assessors=int(assessors) if assessors.isdigit() else 0,
            tool_key=request.POST.get("tool", ""),
        )
        return "Risk-of-bias settings saved."

    attempt(request, update)
    return redirect("risk_of_bias:overview", review.slug)
