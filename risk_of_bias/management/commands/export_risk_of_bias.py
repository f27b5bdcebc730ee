from risk_of_bias.export import csv_text, export_json
from screening.management.commands._review_arg import ReviewExportCommand


class Command(ReviewExportCommand):
    help = (
        'The review\'s risk-of-bias assessments: json ({"tool": "RoB 2", "assessments": '
        "[...]}, each assessor's once all of a result's assessors have submitted, and each "
        "consensus) or csv (robvis's layout: Study, D1-D5, Overall, Weight, one row per result "
        "with a consensus). Drafts are never exported. To stdout unless --output."
    )
    default_format = "json"

    def export_json(self, review):
        return export_json(review)

    def export_csv(self, review):
        return csv_text(review)
