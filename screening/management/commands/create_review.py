import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from screening.reviews.services import review_create


class Command(BaseCommand):
    help = "Create a review, and its owner's account if it does not exist."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="short name used in links, e.g. ivonescimab")
        parser.add_argument("--title", default="", help="the review's title (default: the slug)")
        parser.add_argument(
            "--owner", default="admin", help="username of the owner (created if new; default admin)"
        )

    def handle(self, *args, slug, title, owner, **options):
        User = get_user_model()
        password = None
        with transaction.atomic():
            user = User.objects.filter(username=owner).first()
            if user is None:
                password = secrets.token_urlsafe(12)
                user = User.objects.create_user(username=owner, password=password)
            try:
                review = review_create(slug=slug, title=title, owner=user)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(f"Created review '{review.slug}' ({review.title}), owned by {owner}.")
        if password:
            self.stdout.write(f"New account {owner}, password: {password}")
