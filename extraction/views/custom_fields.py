"""The review's custom fields: the page that lists them (owners add, change and remove them
there), and a study's values of them, saved from its page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from screening.constants import EDITOR_ROLES, OWNER_ROLES
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt

from ..custom_fields import custom_field_delete, custom_field_save, custom_values_save
from ..models import CustomField
from ..services import ExtractionRefused
from .common import study_of_review
from .study_page import StudyPage

FIELDS = ("key", "label", "kind", "choices", "help_text")


def _typed(request: HttpRequest) -> dict:
    return {
        **{name: request.POST.get(name, "") for name in FIELDS},
        "required": request.POST.get("required") == "on",
    }


def custom_field_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Every member sees the fields; owners add one with the form at the foot (a refused one
    comes back as typed, with why)."""
    roles = OWNER_ROLES if request.method == "POST" else None
    review, membership = review_for_user(request, slug, roles=roles)
    typed = {}
    if request.method == "POST":
        typed = _typed(request)

        def add() -> str:
            field = custom_field_save(review=review, user=request.user, **typed)
            return f"The field “{field.label}” was added to every study's page."

        if attempt(request, add):
            return redirect("extraction:custom-fields", review.slug)
    context = {
        "review": review,
        "membership": membership,
        "fields": list(CustomField.objects.filter(review=review)),
        "kinds": CustomField.KINDS,
        "typed": typed,
    }
    return render(request, "extraction/custom_fields.html", context)


def custom_field_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, membership = review_for_user(request, slug, roles=OWNER_ROLES)
    field = get_object_or_404(CustomField, review=review, pk=pk)
    typed = {
        "key": field.key, "label": field.label, "kind": field.kind,
        "choices": ", ".join(field.choices), "help_text": field.help_text,
        "required": field.required,
    }  # fmt: skip
    if request.method == "POST":
        typed = _typed(request)

        def change() -> str:
            custom_field_save(review=review, user=request.user, field=field, **typed)
            return "The field was changed."

        if attempt(request, change):
            return redirect("extraction:custom-fields", review.slug)
    context = {"review": review, "membership": membership, "field": field, "typed": typed,
               "kinds": CustomField.KINDS}  # fmt: skip
    return render(request, "extraction/custom_field_edit.html", context)


@require_POST
def custom_field_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=OWNER_ROLES)
    field = get_object_or_404(CustomField, review=review, pk=pk)

    def delete() -> str:
        custom_field_delete(field=field, user=request.user)
        return f"The field “{field.label}” was removed."

    attempt(request, delete)
    return redirect("extraction:custom-fields", review.slug)


@require_POST
def study_custom_save(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A study's values of the custom fields; refused, the page comes back as typed, with why."""
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    study = study_of_review(review, pk)
    typed = {
        key[len("custom-"):]: value
        for key, value in request.POST.items()
        if key.startswith("custom-")
    }  # fmt: skip
    try:
        custom_values_save(study=study, user=request.user, typed=typed)
    except ExtractionRefused as error:
        page = StudyPage(review, membership, study)
        return page.render(request, custom_typed=typed, custom_error=str(error))
    messages.success(request, "The study's custom fields are saved.")
    return redirect("extraction:study-detail", review.slug, study.pk)
