from django.core.management.base import CommandError

from meta_analysis.export import csv_text, export_json
from meta_analysis.models import Analysis
from screening.management.commands._review_arg import ReviewExportCommand


class Command(ReviewExportCommand):
    help = (
        "The review's meta-analyses, run on its consensus extracted data: json "
        '({"analyses": [{"outcome", "measure", "model", "method", "studies", "pooled", "tau2", '
        '"i2", "i2_ci", "q", "prediction_interval", ...}]}) or csv (one row per study per '
        "analysis, the columns R's metafor::escalc/rma and meta::metagen read). Every analysis, "
        "or the one --analysis names. To stdout unless --output."
    )
    default_format = "json"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--analysis", type=int, help="one analysis, by its id")

    def handle(self, *args, analysis=None, **options):
        self.analysis = analysis
        super().handle(*args, **options)

    def _check(self, review) -> None:
        if (
            self.analysis is not None
            and not Analysis.objects.filter(review=review, pk=self.analysis).exists()
        ):
            raise CommandError(f"The review has no analysis {self.analysis}.")

    def export_json(self, review):
        self._check(review)
        return export_json(review, self.analysis)

    def export_csv(self, review):
        self._check(review)
        return csv_text(review, self.analysis)
