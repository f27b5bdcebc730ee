"""A reference's labels and discussion: the panel the screening page loads beside the record
(htmx) and the reference's page includes, as a page of its own without JavaScript; putting a
label on or taking it off; writing, editing and deleting posts.

`?on=screen` (kept by the panel's forms) reads through the screening page's blinding
(VoteView.while_screening: owners and resolvers are blind there too); elsewhere a member's
usual VoteView. An htmx request gets the panel back, a plain one is sent back to `next`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from references.models import Reference
from screening.constants import EDITOR_ROLES
from screening.identification.selectors import reference_visible_in_review
from screening.labels.discussion import post_create, post_delete, post_edit
from screening.labels.forms import PostForm
from screening.labels.selectors import reference_notes
from screening.labels.services import label_apply, label_remove
from screening.models import Membership, Post, Review
from screening.permissions.access import next_url, review_for_user
from screening.permissions.actions import attempt
from screening.permissions.blinding import VoteView
from screening.permissions.labels import posts_visible
from screening.permissions.refusals import Refused

ON_SCREEN = "screen"


def _view(request: HttpRequest, review: Review, membership: Membership) -> VoteView:
    on = request.POST.get("on") or request.GET.get("on")
    if on == ON_SCREEN:
        return VoteView.while_screening(review, membership)
    return VoteView.of(review, membership)


def _reference(review: Review, pk: int) -> Reference:
    if not reference_visible_in_review(review, pk):
        raise Http404("No such reference in this review.")
    return get_object_or_404(Reference, pk=pk)


def notes_url(review: Review, reference_id: int) -> str:
    return reverse("screening:reference-notes", args=[review.slug, reference_id])


def notes_context(
    request: HttpRequest, review: Review, membership: Membership, reference, view: VoteView
) -> dict:
    """What the panel (templates/screening/labels/_notes.html) shows and posts back."""
    on = ON_SCREEN if (request.POST.get("on") or request.GET.get("on")) == ON_SCREEN else ""
    # Where the panel's plain forms come back to: the page showing it (a form posted from the
    # panel carries it on).
    here = request.get_full_path()
    return {
        "review": review,
        "membership": membership,
        "reference": reference,
        "notes": reference_notes(review, view, reference.pk),
        "notes_on": on,
        "notes_next": next_url(request, here) if request.method == "POST" else here,
        "can_write": membership.role in EDITOR_ROLES,
    }


def _panel(
    request,
    review,
    membership,
    reference,
    view,
    error: str = "",
    discussion: bool = False,
    draft: str = "",
) -> HttpResponse:
    context = notes_context(request, review, membership, reference, view)
    # The page's own way back (notes.html): the `next` it was opened with.
    context["back"] = next_url(
        request, reverse("screening:reference-detail", args=[review.slug, reference.pk])
    )
    # A refused post comes back in its box (`draft`), so that its words are not lost.
    context |= {"notes_error": error, "discussion_open": discussion, "draft": draft}
    template = "screening/labels/_notes.html" if request.htmx else "screening/labels/notes.html"
    return render(request, template, context)


def reference_notes_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, membership = review_for_user(request, slug)
    reference = _reference(review, pk)
    return _panel(request, review, membership, reference, _view(request, review, membership))


def _answer(request, review, membership, reference, action, draft="", **panel) -> HttpResponse:
    """Run `action` (a write that may be refused). Done: the panel again for htmx, or a
    redirect to `next`. Refused: the panel (htmx) or the notes page (plain) with the refusal
    in it and the `draft` written back in the post's box."""
    view = _view(request, review, membership)
    try:
        action(view)
    except Refused as error:
        return _panel(
            request, review, membership, reference, view, str(error), draft=draft, **panel
        )
    if request.htmx:
        return _panel(request, review, membership, reference, view, **panel)
    return redirect(next_url(request, notes_url(review, reference.pk)))


@require_POST
def reference_label(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Put a label on the reference (`apply` = its id) or take it off (`remove`)."""
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    reference = _reference(review, pk)
    apply, remove = request.POST.get("apply", ""), request.POST.get("remove", "")

    def action(view: VoteView) -> None:
        chosen = apply or remove
        if not chosen.isdigit():
            raise Refused("Choose a label.")
        change = label_apply if apply else label_remove
        change(
            review=review,
            label_id=int(chosen),
            reference_ids=[reference.pk],
            user=request.user,
            view=view,
        )

    return _answer(request, review, membership, reference, action)


@require_POST
def post_create_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, membership = review_for_user(request, slug, roles=EDITOR_ROLES)
    reference = _reference(review, pk)

    def action(view: VoteView) -> None:
        post_create(
            review=review,
            reference_id=reference.pk,
            user=request.user,
            text=request.POST.get("text", ""),
        )

    draft = request.POST.get("text", "")
    return _answer(request, review, membership, reference, action, draft=draft, discussion=True)


def _own_post(request: HttpRequest, slug: str, pk: int) -> tuple[Review, Membership, Post]:
    """A post the member sees (else 404), which must be theirs (else 403)."""
    review, membership = review_for_user(request, slug)
    post = (
        posts_visible(review, VoteView.of(review, membership))
        .filter(pk=pk)
        .select_related("reference")
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    if post.author_id != request.user.pk or membership.role not in EDITOR_ROLES:
        raise PermissionDenied("Only its author can edit or delete a post.")
    post.review = review
    return review, membership, post


def post_edit_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    review, membership, post = _own_post(request, slug, pk)
    form = PostForm(initial={"text": post.text})
    back = next_url(request, notes_url(review, post.reference_id))
    if request.method == "POST":
        form = PostForm(request.POST)

        def edit() -> str:
            post_edit(post=post, user=request.user, text=form.cleaned_data["text"])
            return "Your post was changed."

        if form.is_valid() and attempt(request, edit):
            return redirect(back)
    context = {"review": review, "membership": membership, "post": post, "form": form}
    return render(request, "screening/labels/post_edit.html", context | {"back": back})


def post_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A confirmation first (GET), then the deletion (POST)."""
    review, membership, post = _own_post(request, slug, pk)
    back = next_url(request, notes_url(review, post.reference_id))
    if request.method == "POST":

        def delete() -> str:
            post_delete(post=post, user=request.user)
            return "Your post was deleted."

        if attempt(request, delete):
            return redirect(back)
    context = {"review": review, "membership": membership, "post": post, "back": back}
    return render(request, "screening/labels/post_delete.html", context)
