import json

from django.core.management.base import BaseCommand, CommandError

from screening.audit.verify import audit_verify
from screening.management.commands._review_arg import review_from_arg


class Command(BaseCommand):
    help = (
        "Prove a review's audit log is the one the application wrote: every event's keyed hash "
        "and link (chain), the signed count and last hash (seal: deleted events), every decision "
        "against its event (decisions: a verdict changed in SQL), and with --receipt a receipt "
        "downloaded earlier (the log still holds that prefix unchanged). Prints each check; "
        "exits 1 if any fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("review", help="the review's slug or id")
        parser.add_argument(
            "--receipt",
            metavar="FILE",
            help="an audit receipt (JSON) downloaded from the review's audit log or PRISMA page",
        )

    def handle(self, *args, review, receipt=None, **options):
        review = review_from_arg(review)
        report = audit_verify(review, receipt=_read_receipt(receipt) if receipt else None)
        for check in report.checks:
            mark = "ok" if check.ok else "FAILED"
            self.stdout.write(f"{check.name:<10} {mark:<7} {check.detail}")
        if report.ok:
            self.stdout.write(f"{review.slug}: the audit log of {report.events} events verifies.")
            return
        names = ", ".join(check.name for check in report.failed)
        raise CommandError(f"{review.slug}: the audit log fails verification ({names}).")


def _read_receipt(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as error:
        raise CommandError(f"Cannot read the receipt {path}: {error.strerror}.") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CommandError(f"{path} is not an audit receipt: it is not a JSON file.") from None
    if not isinstance(data, dict):
        raise CommandError(f"{path} is not an audit receipt: it holds no receipt object.")
    return data
