import json
from pathlib import Path

from django.core.management.base import BaseCommand

from risk_of_bias.export import csv_text, export_json
from screening.management.commands._review_arg import review_from_arg, write_export


class Command(BaseCommand):
    help = (
        'The review\'s risk-of-bias assessments: json ({"tool": "RoB 2", "assessments": '
        "[...]}, each assessor's once all of a result's assessors have submitted, and each "
        "consensus) or csv (robvis's layout: Study, D1-D5, Overall, Weight, one row per result "
        "with a consensus). Drafts are never exported. To stdout unless --output."
    )

    def add_arguments(self, parser):
        parser.add_argument("review", help="the review's slug or id")
        parser.add_argument("--format", choices=("csv", "json"), default="json")
        parser.add_argument("--output", type=Path, help="write to this file (default: stdout)")

    def handle(self, *args, review, format, output, **options):  # noqa: A002
        review = review_from_arg(review)
        if format == "json":
            body = json.dumps(export_json(review), indent=2, ensure_ascii=False) + "\n"
        else:
            body = csv_text(review)
        write_export(self, body, output)
