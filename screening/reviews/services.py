"""Reviews and their members."""

import logging
import secrets
import smtplib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from screening.audit.chain import audit_record
from screening.constants import AuditAction, Role
from screening.decisions.review_settings import reasons_create_defaults
from screening.models import Invitation, Membership, Review

User = get_user_model()
logger = logging.getLogger(__name__)


@transaction.atomic
def review_create(*, slug: str, title: str, owner: AbstractBaseUser, question: str = "") -> Review:
    """Create a review; its creator becomes its owner."""
    slug = slugify(slug)
    if not slug:
        raise ValidationError("A review needs a short name made of letters, digits or hyphens.")
    if Review.objects.filter(slug=slug).exists():
        raise ValidationError(f"A review called '{slug}' exists already.")
    review = Review.objects.create(
        slug=slug, title=title or slug, question=question, created_by=owner
    )
    Membership.objects.create(review=review, user=owner, role=Role.OWNER)
    audit_record(
        review=review,
        actor=owner,
        action=AuditAction.REVIEW_CREATE,
        obj=review,
        after={"slug": slug, "title": review.title, "owner": owner.get_username()},
    )
    reasons_create_defaults(review=review, user=owner)
    return review


@transaction.atomic
def invitation_create(
    *, review: Review, email: str, role: str, invited_by: AbstractBaseUser
) -> Invitation:
    """Invite a person by email: the invitation and its audit event. Send it with
    `invitation_send` once this has committed."""
    email = User.objects.normalize_email(email).strip()
    if review.memberships.filter(user__email__iexact=email).exists():
        raise ValidationError(f"{email} is already a member of this review.")
    invitation = Invitation.objects.create(
        review=review,
        email=email,
        role=role,
        token=secrets.token_urlsafe(32),
        invited_by=invited_by,
    )
    audit_record(
        review=review,
        actor=invited_by,
        action=AuditAction.MEMBER_INVITE,
        obj=invitation,
        after={"email": email, "role": role},
    )
    return invitation


def invitation_send(*, invitation: Invitation, link: str) -> str:
    """Email the invitation's link. Returns "" once sent, or what went wrong, in words: a mail
    server that is down or refuses never undoes the invitation, which is saved already, and
    the owner can pass the link on themselves."""
    review = invitation.review
    inviter = invitation.invited_by.get_username() if invitation.invited_by else "A review owner"
    try:
        send_mail(
            subject=f"Invitation to the review '{review.title}'",
            message=(
                f"{inviter} invites you to join the systematic review '{review.title}' as "
                f"{Role(invitation.role).label.lower()}.\n\nAccept: {link}\n"
            ),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except (OSError, smtplib.SMTPException) as error:  # refused, timed out, unreachable
        logger.warning("Invitation %s: the email could not be sent: %s", invitation.pk, error)
        return f"the mail server did not take it ({error.__class__.__name__})"
    return ""


def invitation_accept_check(*, invitation: Invitation, user: AbstractBaseUser) -> str:
    """Why `user` may not take this invitation, in words, or "": an invitation is for the
    address it was sent to, so an account with another address cannot take it."""
    invited = invitation.email.strip().lower()
    if (user.email or "").strip().lower() != invited:
        mine = user.email or "no email address"
        return (
            f"This invitation is for {invitation.email}, and you are logged in as "
            f"{user.get_username()} ({mine}). Log out and accept it with the account of "
            f"{invitation.email} (or create one), or ask the review's owner to invite "
            "your own address."
        )
    return ""


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """The invited person joins with the invited role. An invitation is used once."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_open:
        raise ValidationError("This invitation has been used or withdrawn already.")
    refused = invitation_accept_check(invitation=invitation, user=user)
    if refused:
        raise ValidationError(refused)
    membership, created = Membership.objects.get_or_create(
        review=invitation.review, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    if created:
        audit_record(
            review=invitation.review,
            actor=user,
            action=AuditAction.MEMBER_JOIN,
            obj=membership,
            after={
                "user": user.get_username(),
                "role": membership.role,
                "invitation": invitation.pk,
            },
        )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, removed_by: AbstractBaseUser) -> None:
    """Remove a member. Their past work stays; the last owner cannot be removed."""
    review = membership.review
    owners = review.memberships.select_for_update().filter(role=Role.OWNER)
    if membership.role == Role.OWNER and owners.count() <= 1:
        raise ValidationError("A review needs at least one owner: make someone else owner first.")
    audit_record(
        review=review,
        actor=removed_by,
        action=AuditAction.MEMBER_REMOVE,
        obj=membership,
        before={"user": membership.user.get_username(), "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, changed_by: AbstractBaseUser) -> None:
    review = membership.review
    if role not in Role.values:
        raise ValidationError(f"'{role}' is not a role: choose owner, reviewer or viewer.")
    if membership.role == role:
        return
    owners = review.memberships.select_for_update().filter(role=Role.OWNER)
    if membership.role == Role.OWNER and owners.count() <= 1:
        raise ValidationError("A review needs at least one owner: make someone else owner first.")
    before = {"role": membership.role}
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        review=review,
        actor=changed_by,
        action=AuditAction.MEMBER_ROLE,
        obj=membership,
        before=before,
        after={"role": role},
    )


@transaction.atomic
def membership_set_resolver(
    *, membership: Membership, resolves: bool, changed_by: AbstractBaseUser
) -> None:
    """Designate a member (or not) to resolve screening conflicts; owners always may."""
    if membership.can_resolve == resolves:
        return
    if resolves and membership.role == Role.VIEWER:
        raise ValidationError("A viewer cannot resolve conflicts; make them a reviewer first.")
    membership.can_resolve = resolves
    membership.save(update_fields=["can_resolve"])
    audit_record(
        review=membership.review,
        actor=changed_by,
        action=AuditAction.MEMBER_ROLE,
        obj=membership,
        before={"can_resolve": not resolves},
        after={"can_resolve": resolves},
    )
