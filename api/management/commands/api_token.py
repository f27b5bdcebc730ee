"""manage.py api_token USERNAME [--regenerate]: print the person's API token, alone on its line
(made if they have none), so that a script can read it: TOKEN=$(manage.py api_token alice)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from screening.reviews.tokens import api_token_issue


class Command(BaseCommand):
    help = (
        "Print a person's API token (made if they have none), alone, for "
        "'Authorization: Token <key>' (docs/api.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the person's username")
        parser.add_argument(
            "--regenerate",
            action="store_true",
            help="make a new token in place of the one they have (which stops working at once)",
        )

    def handle(self, *args, username: str, regenerate: bool, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account is named '{username}'.")
        if not user.is_active:
            raise CommandError(
                f"The account '{username}' is inactive: the API would refuse its token."
            )
        token, _ = api_token_issue(user=user, regenerate=regenerate)
        self.stdout.write(token.key)
