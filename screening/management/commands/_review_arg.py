"""Helpers shared by the commands: finding a review by slug or id, a user by name, writing an
export to a file or to standard output."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

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


def write_export(command, body: str, output) -> None:
    """An export command's text, to `output` (a Path) or, without one, to standard output."""
    if not output:
        command.stdout.write(body, ending="")
        return
    try:
        # newline="": the csv module's CRLF line ends reach the file unchanged.
        with output.open("w", encoding="utf-8", newline="") as handle:
            handle.write(body)
    except OSError as error:
        raise CommandError(f"Cannot write {output}: {error.strerror}.") from error
    command.stderr.write(f"Wrote {output}.")


class ReviewExportCommand(BaseCommand):
    """A command that exports one review as CSV or JSON: REVIEW [--format] [--output FILE].
    A subclass names `default_format` and the two functions of a review that make the export."""

    default_format = "csv"

    def export_json(self, review: Review) -> dict:
        raise NotImplementedError

    def export_csv(self, review: Review) -> str:
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("review", help="the review's slug or id")
        parser.add_argument("--format", choices=("csv", "json"), default=self.default_format)
        parser.add_argument("--output", type=Path, help="write to this file (default: stdout)")

    def handle(self, *args, review, format, output, **options):  # noqa: A002
        review = review_from_arg(review)
        if format == "json":
            body = json.dumps(self.export_json(review), indent=2, ensure_ascii=False) + "\n"
        else:
            body = self.export_csv(review)
        write_export(self, body, output)
