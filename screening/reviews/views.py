"""Reviews and people pages: the review list, a new review, a review's home (counts, progress,
the prioritisation panel), members and roles, invitations."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from screening.constants import OWNER_ROLES, JobStatus
from screening.decisions.selectors import stage_summary
from screening.identification.selectors import (
    PREVIEW_LIVE_HOURS,
    import_jobs_live,
    review_counts,
    searches_with_sources,
)
from screening.models import Invitation, Membership
from screening.permissions.access import memberships_of, review_for_user
from screening.permissions.actions import run_action
from screening.permissions.blinding import VoteView
from screening.prioritisation.config import MIN_EXCLUDES, MIN_INCLUDES, WARM_UP
from screening.reviews.forms import InvitationForm, ReviewCreateForm
from screening.reviews.services import (
    invitation_accept,
    invitation_accept_check,
    invitation_create,
    invitation_send,
    membership_remove,
    membership_set_resolver,
    membership_set_role,
    review_create,
)
from screening.stopping.selectors import stopping_aid


def review_list(request: HttpRequest) -> HttpResponse:
    memberships = memberships_of(request.user)
    return render(request, "screening/reviews/review_list.html", {"memberships": memberships})


def review_create_view(request: HttpRequest) -> HttpResponse:
    form = ReviewCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        review = review_create(
            slug=form.cleaned_data["slug"],
            title=form.cleaned_data["title"],
            question=form.cleaned_data["question"],
            owner=request.user,
        )
        messages.success(request, "Review created. Import the records of your searches next.")
        return redirect(review)
    return render(request, "screening/reviews/review_form.html", {"form": form})


def review_home(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    view = VoteView.of(review, membership)
    context = {
        "review": review,
        "membership": membership,
        "counts": review_counts(review),
        "stages": stage_summary(review),
        "searches": searches_with_sources(review),
        "jobs": import_jobs_live(review)[:10],
        "preview_hours": PREVIEW_LIVE_HOURS,
        "pubmed_jobs": review.pubmed_jobs.exclude(status__in=[JobStatus.DONE, JobStatus.CANCELLED])[
            :10
        ],
        # The stopping aid counts every include, before the second vote: under blind screening
        # only those who see all votes see it (owners and resolvers, who use it).
        "aid": stopping_aid(review) if view.sees_all else None,
        "retrain_every": settings.RANKING_RETRAIN_EVERY,
        "retrain_seconds": settings.RANKING_RETRAIN_SECONDS,
        "warm_up": WARM_UP,
        "min_includes": MIN_INCLUDES,
        "min_excludes": MIN_EXCLUDES,
    }
    return render(request, "screening/reviews/review_home.html", context)


def member_list(request: HttpRequest, slug: str) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        review, membership = review_for_user(request, slug, roles=OWNER_ROLES)
        if form.is_valid():
            try:
                invitation = invitation_create(
                    review=review,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    invited_by=request.user,
                )
            except ValidationError as error:
                form.add_error("email", error)
            else:
                link = request.build_absolute_uri(
                    reverse("screening:invitation-accept", args=[invitation.token])
                )
                problem = invitation_send(invitation=invitation, link=link)
                if problem:
                    messages.warning(
                        request,
                        f"The invitation of {invitation.email} is saved, but its email was not "
                        f"sent: {problem}. Pass this link on yourself: {link}",
                    )
                else:
                    messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("screening:member-list", review.slug)
    context = {
        "review": review,
        "membership": membership,
        "members": review.memberships.select_related("user"),
        "invitations": review.invitations.filter(accepted_at=None, revoked_at=None),
        "form": form,
        "can_manage": membership.can_manage,
    }
    return render(request, "screening/reviews/member_list.html", context)


@require_POST
def member_change(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, _ = review_for_user(request, slug, roles=OWNER_ROLES)
    target = get_object_or_404(Membership, review=review, pk=pk)
    name = target.user.get_username()

    def remove() -> str:
        membership_remove(membership=target, removed_by=request.user)
        return f"{name} was removed from the review."

    def resolver() -> str:
        resolves = request.POST.get("resolves") == "1"
        membership_set_resolver(membership=target, resolves=resolves, changed_by=request.user)
        return f"{name} " + (
            "now resolves conflicts." if resolves else "no longer resolves conflicts."
        )

    def role() -> str:
        wanted = request.POST.get("role", "")
        membership_set_role(membership=target, role=wanted, changed_by=request.user)
        return f"{name} is now {target.role}."

    handlers = {"remove": remove, "resolver": resolver, "role": role}
    run_action(request, request.POST.get("action") or "role", handlers)
    return redirect("screening:member-list", review.slug)


@login_not_required
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.select_related("review"), token=token)
    if not invitation.is_open:
        return _invitation_taken(request, invitation)
    signup, refused = None, ""
    if request.user.is_authenticated:
        refused = invitation_accept_check(invitation=invitation, user=request.user)
        if request.method == "POST" and not refused:
            try:
                invitation_accept(invitation=invitation, user=request.user)
            except ValidationError:
                return _invitation_taken(request, invitation)
            messages.success(request, f"You joined '{invitation.review.title}'.")
            return redirect(invitation.review)
    else:
        signup = UserCreationForm(request.POST or None)
        if request.method == "POST" and signup.is_valid():
            try:
                with transaction.atomic():  # the account only with the membership
                    user = signup.save(commit=False)
                    user.email = invitation.email
                    user.save()
                    invitation_accept(invitation=invitation, user=user)
            except ValidationError:
                return _invitation_taken(request, invitation)
            except IntegrityError:  # the same username, chosen by someone a moment earlier
                signup.add_error("username", "That username was just taken: choose another.")
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, f"Welcome. You joined '{invitation.review.title}'.")
                return redirect(invitation.review)
    return render(
        request,
        "screening/reviews/invitation_accept.html",
        {"invitation": invitation, "signup": signup, "refused": refused},
        status=403 if refused and request.method == "POST" else 200,
    )


def _invitation_taken(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    """The invitation is used: by this person (a double submission: on to the review), or by
    someone else, maybe a moment ago (several people opened the link at once)."""
    invitation.refresh_from_db()
    if (
        request.user.is_authenticated
        and Membership.objects.in_review(invitation.review).filter(user=request.user).exists()
    ):
        return redirect(invitation.review)  # it was this person: a double submission
    return render(
        request, "screening/reviews/invitation_used.html", {"invitation": invitation}, status=410
    )
