"""The owner's screening settings page: the settings form and the exclusion reasons."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from screening.constants import OWNER_ROLES
from screening.decisions.forms import ReasonForm, ScreeningSettingsForm
from screening.decisions.review_settings import reason_create, reason_update, review_settings_update
from screening.models import ExclusionReason, Review
from screening.permissions.access import review_for_user
from screening.permissions.actions import attempt, show_form_errors

# --- Settings ---------------------------------------------------------------------------------


def screening_settings(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug, roles=OWNER_ROLES)
    form = ScreeningSettingsForm(request.POST or None, instance=review, prefix="settings")
    new_reason = ReasonForm(prefix="new")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "settings" and form.is_valid():
            review_settings_update(
                review=Review.objects.get(pk=review.pk), user=request.user, **form.cleaned_data
            )
            messages.success(request, "Screening settings saved.")
            return redirect("screening:screening-settings", review.slug)
        if action == "add-reason":
            new_reason = ReasonForm(request.POST, prefix="new")
            if new_reason.is_valid():
                try:
                    data = new_reason.cleaned_data
                    reason_create(
                        review=review,
                        user=request.user,
                        label=data["label"],
                        stages=data["stages"],
                        hotkey=data["hotkey"],
                    )
                    messages.success(request, "Reason added.")
                    return redirect("screening:screening-settings", review.slug)
                except ValidationError as error:
                    new_reason.add_error(None, error)
        if action == "edit-reason":
            reason = get_object_or_404(ExclusionReason, review=review, pk=request.POST.get("pk"))
            edit = ReasonForm(request.POST, prefix=f"r{reason.pk}")
            if edit.is_valid():
                attempt(request, lambda: _reason_save(reason, request.user, edit.cleaned_data))
            else:
                show_form_errors(request, edit)
            return redirect("screening:screening-settings", review.slug)
    reasons = [
        (reason, ReasonForm(instance=reason, prefix=f"r{reason.pk}"))
        for reason in review.reasons.all()
    ]
    context = {
        "review": review,
        "membership": membership,
        "form": form,
        "reasons": reasons,
        "new_reason": new_reason,
    }
    return render(request, "screening/decisions/screening_settings.html", context)


def _reason_save(reason: ExclusionReason, user, data: dict) -> str:
    reason_update(reason=reason, user=user, **data)
    return f"Reason '{reason.label}' saved."
