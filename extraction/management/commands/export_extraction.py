from extraction.export import csv_text, export_json
from screening.management.commands._review_arg import ReviewExportCommand


class Command(ReviewExportCommand):
    help = (
        "The review's extracted data: csv (one row per study x arm x outcome, and one per "
        "between-arm comparison, each with the report it came from) or json "
        '({"studies": [...], "rows": [...the csv rows...]}). To stdout unless --output.'
    )
    default_format = "csv"

    def export_json(self, review):
        return export_json(review)

    def export_csv(self, review):
        return csv_text(review)
