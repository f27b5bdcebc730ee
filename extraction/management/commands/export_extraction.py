import json
from pathlib import Path

from django.core.management.base import BaseCommand

from extraction.export import csv_text, export_json
from screening.management.commands._review_arg import review_from_arg, write_export


class Command(BaseCommand):
    help = (
        "The review's extracted data: csv (one row per study x arm x outcome, and one per "
        "between-arm comparison, each with the report it came from) or json "
        '({"studies": [...], "rows": [...the csv rows...]}). To stdout unless --output.'
    )

    def add_arguments(self, parser):
        parser.add_argument("review", help="the review's slug or id")
        parser.add_argument("--format", choices=("csv", "json"), default="csv")
        parser.add_argument("--output", type=Path, help="write to this file (default: stdout)")

    def handle(self, *args, review, format, output, **options):  # noqa: A002
        review = review_from_arg(review)
        if format == "json":
            body = json.dumps(export_json(review), indent=2, ensure_ascii=False) + "\n"
        else:
            body = csv_text(review)
        write_export(self, body, output)
