"""The studies page: the review's studies, the included reports not in one yet and the groupings
suggested for them; and its forms, which create a study, confirm a suggestion or add a report to
a study."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from references.models import Reference
from screening.constants import EDITOR_ROLES
from screening.models import Membership, Review
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt
from screening.permissions.blinding import VoteView
from screening.permissions.labels import label_choices, labels_for

from ..access import MAX_EXTRACTORS, entry_states
from ..forms import StudyCreateForm, put_errors
from ..methods import methods_paragraph
from ..models import ExtractionSettings, Study
from ..selectors import (
    included_report_ids,
    included_studies_count,
    label_reports,
    studies_listed,
    unlinked_reports,
)
from ..services import ExtractionRefused, report_link, reports_link, study_create
from ..suggestions import REGISTRY_ID, acronyms, suggestions
from .common import posted_int


def suggested_name(reference: Reference) -> tuple[str, str]:
    """A name and an acronym for a study made from one report: the trial acronym in its title,
    else "Surname year" and no acronym."""
    found = acronyms(reference.title)
    if found:
        return found[0], found[0][:60]
    who = reference.first_author.split(",")[0] or "Study"
    return (f"{who} {reference.year}" if reference.year else who), ""


def study_list(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    return _render_list(request, review, membership, StudyCreateForm(prefix="new"))


def _render_list(
    request: HttpRequest, review: Review, membership: Membership, create_form: StudyCreateForm
) -> HttpResponse:
    studies = studies_listed(review)
    settings = ExtractionSettings.for_review(review)
    states = entry_states(review, studies, settings.extractors)
    for study in studies:
        study.entry_state = states[study.pk]
    unlinked = list(unlinked_reports(review))
    label = request.GET.get("label", "").strip()
    listed, unlinked_listed = label_reports(
        review, VoteView.of(review, membership), studies, unlinked, label
    )
    if create_form.errors:  # the browser scrolls down to the form
        create_form.fields["name"].widget.attrs["autofocus"] = True
    create_from = None
    if create_form.is_bound and create_form.data.get("new-report"):
        create_from = next(
            (r for r in unlinked if r.pk == posted_int(create_form.data["new-report"])), None
        )
    context = {
        "review": review,
        "membership": membership,
        "can_edit": membership.can_edit,
        "studies": studies,  # the "add to study" choices: every study, whatever the filter
        "listed": listed,
        "unlinked": [(reference, *suggested_name(reference)) for reference in unlinked_listed],
        "label": label,
        "label_choices": label_choices(list(labels_for(review, membership.user_id))),
        "suggestions": suggestions(review),
        "create_form": create_form,
        "create_from": create_from,
        "included_reports": included_report_ids(review).count(),
        "studies_counted": included_studies_count(review),
        "extractors": settings.extractors,
        "methods": methods_paragraph(review, studies),
        "extractor_choices": range(1, MAX_EXTRACTORS + 1),
    }
    return render(request, "extraction/study_list.html", context)


@require_POST
def study_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    """A new study: from the form at the foot of the studies page, or from one unlinked report
    (then the page comes back, to group the next report)."""
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    form = StudyCreateForm(request.POST, prefix="new")
    if form.is_valid():
        data = form.cleaned_data
        reports = []
        if data["report"]:
            reports = [get_object_or_404(Reference, pk=data["report"])]
        try:
            study = study_create(
                review=review,
                user=request.user,
                name=data["name"],
                acronym=data["acronym"],
                kind=data["kind"],
                reports=reports,
            )
        except ValidationError as error:
            put_errors(form, error)
        except ExtractionRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Study {study} created.")
            if reports:
                return redirect(reverse("extraction:study-list", args=[review.slug]) + "#unlinked")
            return redirect("extraction:study-detail", review.slug, study.pk)
    return _render_list(request, review, membership, form)


@require_POST
def suggestion_confirm(request: HttpRequest, slug: str) -> HttpResponse:
    """Confirm a suggested grouping: a new study named after the shared registry id or acronym,
    or the reports added to the study that already carries it. Only the reports the person saw
    are linked, should the suggestion have changed since."""
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    key = request.POST.get("key", "")
    seen = {posted_int(pk) for pk in request.POST.getlist("report")}
    found = next((s for s in suggestions(review) if s.key == key), None)
    reports = [r for r in found.reports if r.pk in seen] if found else []
    back = reverse("extraction:study-list", args=[review.slug])
    if not reports:
        messages.error(
            request, "That suggestion no longer applies: the page shows the current ones."
        )
        return redirect(back)
    try:
        if found.study is not None:
            found.study.review = review
            reports_link(study=found.study, references=reports, user=request.user)
            study = found.study
        else:
            by_registry = found.by == REGISTRY_ID
            study = study_create(
                review=review,
                user=request.user,
                name=found.key,
                acronym="" if by_registry else found.key[:60],
                registry_ids=[found.key] if by_registry else [],
                reports=reports,
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ExtractionRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"{len(reports)} report{'s' if len(reports) > 1 else ''} now in {study}."
        )
    return redirect(back)


@require_POST
def report_link_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Add an included report to a study (moving it from another study if it was in one); from
    the studies page or from the study's own page."""
    review, _ = review_for_user(request, slug, roles=EDITOR_ROLES)
    reference = get_object_or_404(Reference, pk=posted_int(request.POST.get("reference")))
    study = Study.objects.in_review(review).filter(pk=posted_int(request.POST.get("study"))).first()
    if request.POST.get("next") == "study" and study is not None:
        back = reverse("extraction:study-detail", args=[review.slug, study.pk]) + "#reports"
    else:
        back = reverse("extraction:study-list", args=[review.slug]) + "#unlinked"
    if study is None:
        messages.error(request, "Choose the study to add the report to.")
        return redirect(back)
    study.review = review

    def link() -> str:
        report_link(study=study, reference=reference, user=request.user)
        return f"Added to {study}: {reference.citation[:80]}"

    attempt(request, link)
    return redirect(back)
