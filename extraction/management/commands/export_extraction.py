from extraction.export import csv_text, export_json
from screening.management.commands._review_arg import ReviewExportCommand


class Command(ReviewExportCommand):
    help = (
        "The review's extracted data: csv (one row per study x arm x outcome, and one per "
        "between-arm comparison, each with the report it came from) or json "
        '({"studies": [...], "rows": [...the csv rows...]}). The consensus, unless --entries. '
        "To stdout unless --output."
    )
    default_format = "csv"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--entries",
            action="store_true",
            help="also every extractor's submitted entry (of the studies whose entries are all "
            "in), each row saying whose it is; by default, the consensus alone",
        )

    def handle(self, *args, entries=False, **options):
        self.entries = entries
        super().handle(*args, **options)

    def export_json(self, review):
        return export_json(review, entries=self.entries)

    def export_csv(self, review):
        return csv_text(review, entries=self.entries)
