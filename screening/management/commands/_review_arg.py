"""Helpers shared by the commands: finding a review by slug or id, a user by name."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from screening.models import Review


def review_from_arg(value: str) -> Review:
    """REVIEW on the command line is a review's slug or id."""
    review = Review.objects.filter(slug=value).first()
    if review is None and value.isdigit():
        review = Review.objects.filter(pk=int(value)).first()
    if review is None:
        raise CommandError(f"No review '{value}'. Create it first: manage.py create_review {value}")
    return review


def user_from_arg(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user '{username}'.")
    return user
