"""The owner's screening settings page: the settings form and the exclusion reasons."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from screening.decisions.forms import ReasonForm, ScreeningSettingsForm
from screening.decisions.review_settings import reason_create, reason_update, review_settings_update
from screening.models import ExclusionReason, Review
from screening.permissions.access import CAN_MANAGE, review_for_user

# --- Settings ---------------------------------------------------------------------------------


def screening_settings(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug, roles=CAN_MANAGE)
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
                try:
                    reason_update(reason=reason, user=request.user, **edit.cleaned_data)
                    messages.success(request, f"Reason '{reason.label}' saved.")
                except ValidationError as error:
                    messages.error(request, " ".join(error.messages))
            else:
                messages.error(request, " ".join(e for errs in edit.errors.values() for e in errs))
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
