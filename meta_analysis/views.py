"""The meta-analysis pages: the review's analyses (and a form to define one), one analysis with
its forest plot, results and the studies left out, its plots as files, the exports, and the
read-only JSON endpoint for the review's members."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from extraction.forms import put_errors
from extraction.models import Outcome, Study
from screening.constants import EDITOR_ROLES
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt
from screening.prisma.svg import render_png

from .export import analysis_json, csv_text, export_json, r_snippet
from .forms import AnalysisForm
from .models import Analysis
from .plots import forest_svg, funnel_svg
from .run import run_analysis
from .services import AnalysisRefused, analysis_delete, analysis_save


def _outcome_names(review) -> list[str]:
    names = Outcome.objects.in_review(review).values_list("name", flat=True)
    return sorted({" ".join(name.split()) for name in names})


def _analysis(review, pk: int) -> Analysis:
    analysis = get_object_or_404(Analysis.objects.filter(review=review), pk=pk)
    analysis.review = review
    return analysis


def _save(request, review, form: AnalysisForm, analysis: Analysis | None) -> Analysis | None:
    """Through the service; a refusal goes back into the form, beside its fields."""
    if not form.is_valid():
        return None
    try:
        return analysis_save(
            review=review, user=request.user, analysis=analysis, **form.cleaned_data
        )
    except ValidationError as error:
        put_errors(form, error)
    except AnalysisRefused as error:
        form.add_error(None, str(error))
    return None


def analysis_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The analyses, each with its pooled result; a POST (an editor) defines a new one."""
    roles = EDITOR_ROLES if request.method == "POST" else None
    review, membership = review_for_user(request, slug, roles=roles)
    form = AnalysisForm(review=review, editable=membership.can_edit, prefix="new")
    if request.method == "POST":
        form = AnalysisForm(request.POST, review=review, prefix="new")
        saved = _save(request, review, form, None)
        if saved is not None:
            messages.success(request, f"Analysis “{saved}” defined.")
            return redirect(saved.get_absolute_url())
    analyses = list(Analysis.objects.filter(review=review).prefetch_related("exclusions"))
    runs = [(analysis, run_analysis(analysis)) for analysis in analyses]
    context = {
        "review": review,
        "membership": membership,
        "runs": runs,
        "form": form,
        "outcomes": _outcome_names(review),
    }
    return render(request, "meta_analysis/list.html", context)


def analysis_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One analysis: the forest plot, every number, the studies left out; a POST changes it."""
    roles = EDITOR_ROLES if request.method == "POST" else None
    review, membership = review_for_user(request, slug, roles=roles)
    analysis = _analysis(review, pk)
    form = AnalysisForm(instance=analysis, review=review, editable=membership.can_edit)
    if request.method == "POST":
        form = AnalysisForm(request.POST, review=review, instance=Analysis.objects.get(pk=pk))
        saved = _save(request, review, form, Analysis.objects.get(pk=pk))
        if saved is not None:
            messages.success(request, "The analysis is saved.")
            return redirect(saved.get_absolute_url())
    run = run_analysis(analysis)
    context = {
        "review": review,
        "membership": membership,
        "analysis": analysis,
        "run": run,
        "form": form,
        "outcomes": _outcome_names(review),
        "forest": mark_safe(forest_svg(run)) if run.pooled else None,  # noqa: S308 - escaped parts
        "funnel": funnel_svg(run) is not None if run.pooled else False,
        "studies": Study.objects.in_review(review).order_by("name"),
        "left_out": {e.study_id: e.reason for e in analysis.exclusions.all()},
        "r_code": r_snippet(analysis, review.slug),
    }
    return render(request, "meta_analysis/detail.html", context)


@require_POST
def left_out_update(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Leave a study out of the analysis, with a reason; or take it back (an empty reason)."""
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    analysis = _analysis(review, pk)
    study = request.POST.get("study", "")
    reason = request.POST.get("reason", "").strip()
    current = {e.study_id: e.reason for e in analysis.exclusions.all()}
    if not study.isdigit():
        raise Http404("No such study.")
    if reason:
        current[int(study)] = reason
    else:
        current.pop(int(study), None)

    def save() -> str:
        analysis_save(review=review, user=request.user, analysis=analysis, left_out=current)
        return "Left out, with its reason." if reason else "Taken back into the analysis."

    attempt(request, save)
    return redirect(analysis.get_absolute_url() + "#studies")


@require_POST
def analysis_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    analysis = _analysis(review, pk)
    if attempt(request, lambda: analysis_delete(analysis=analysis, user=request.user) or None):
        messages.success(request, f"Analysis “{analysis}” deleted.")
    return redirect("meta_analysis:list", review.slug)


PLOTS = {"svg": "image/svg+xml; charset=utf-8", "png": "image/png"}


def plot(request: HttpRequest, slug: str, pk: int, kind: str, fmt: str) -> HttpResponse:
    """The forest (or, with 10 studies or more, the funnel) plot as SVG or PNG."""
    review, _ = review_for_user(request, slug)
    analysis = _analysis(review, pk)
    if kind not in ("forest", "funnel") or fmt not in PLOTS:
        raise Http404("No such plot.")
    run = run_analysis(analysis)
    svg = None
    if run.pooled is not None:
        svg = forest_svg(run) if kind == "forest" else funnel_svg(run)
    if svg is None:
        raise Http404(
            "Nothing to draw: no study is pooled yet."
            if kind == "forest"
            else "A funnel plot needs 10 studies or more."
        )
    body = render_png(svg) if fmt == "png" else svg
    response = HttpResponse(body, content_type=PLOTS[fmt])
    if request.GET.get("download"):
        name = f"{review.slug}-analysis-{analysis.pk}-{kind}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def export(request: HttpRequest, slug: str) -> HttpResponse:
    """?format=json (the default) or csv: every analysis, as a file."""
    review, _ = review_for_user(request, slug)
    wanted = request.GET.get("format", "json")
    if wanted == "json":
        body = json.dumps(export_json(review), indent=2, ensure_ascii=False) + "\n"
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    elif wanted == "csv":
        response = HttpResponse(csv_text(review), content_type="text/csv; charset=utf-8")
    else:
        return HttpResponse(
            "Ask for format=json or format=csv.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response["Content-Disposition"] = f'attachment; filename="{review.slug}-meta-analysis.{wanted}"'
    return response


def api(request: HttpRequest, slug: str) -> JsonResponse:
    """Read-only JSON for the review's members: {"analyses": [...]}, as the command gives it;
    ?analysis=ID for one."""
    review, _ = review_for_user(request, slug)
    wanted = request.GET.get("analysis", "")
    if wanted:
        if not wanted.isdigit():
            return JsonResponse({"error": "analysis is an analysis's id, a number."}, status=400)
        return JsonResponse({"analyses": [analysis_json(_analysis(review, int(wanted)))]})
    return JsonResponse(export_json(review), json_dumps_params={"ensure_ascii": False})
