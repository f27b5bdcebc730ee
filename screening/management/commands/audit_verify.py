from django.core.management.base import BaseCommand, CommandError

from screening.services.audit import audit_chain_verify

from ._review_arg import review_from_arg


class Command(BaseCommand):
    help = (
        "Recompute a review's audit chain (each event's hash covers its fields and the previous "
        "event's hash) and report the first broken link; exits 1 if there is one."
    )

    def add_arguments(self, parser):
        parser.add_argument("review", help="the review's slug or id")

    def handle(self, *args, review, **options):
        review = review_from_arg(review)
        checked, broken = audit_chain_verify(review)
        if broken is None:
            self.stdout.write(f"{review.slug}: the audit chain of {checked} events is whole.")
            return
        raise CommandError(
            f"{review.slug}: the audit chain breaks at event {broken.seq} (id {broken.event_id}): "
            f"{broken.problem}. {checked - 1} events before it are whole."
        )
