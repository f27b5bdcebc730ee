from django.core.management.base import BaseCommand, CommandError

from screening.audit.verify import audit_verify
from screening.decisions.items import cache_differences, cache_rebuild
from screening.management.commands._review_arg import review_from_arg
from screening.models import Review


class Command(BaseCommand):
    help = (
        "Recompute every reference's screening state from the decision log and compare it with "
        "the cached states and the counters (references by stage, state, PRISMA column and "
        "reason; votes by reviewer; records by search), naming each that differs; exits 1 if "
        "any does. --fix rebuilds the cache, but "
        "only from a log that passes audit_verify: a tampered log is never laundered into it."
    )

    def add_arguments(self, parser):
        parser.add_argument("review", nargs="?", help="a review's slug or id (default: all)")
        parser.add_argument(
            "--check", action="store_true", help="compare only (the default action)"
        )
        parser.add_argument("--fix", action="store_true", help="rebuild the cache from the log")

    def handle(self, *args, review=None, check=False, fix=False, **options):
        reviews = [review_from_arg(review)] if review else list(Review.objects.order_by("pk"))
        differing = refused = 0
        for one in reviews:
            differences = cache_differences(one)
            if not differences:
                self.stdout.write(f"{one.slug}: the cached states and counters agree with the log.")
                continue
            differing += 1
            self.stdout.write(f"{one.slug}: {len(differences)} difference(s):")
            for line in differences[:200]:
                self.stdout.write(f"  {line}")
            if len(differences) > 200:
                self.stdout.write(f"  ... and {len(differences) - 200} more")
            if fix and not (report := audit_verify(one)).ok:
                refused += 1
                for check in report.failed:
                    self.stdout.write(f"  audit_verify {check.name} FAILED: {check.detail}")
                self.stdout.write(
                    f"{one.slug}: not rebuilt: the decision log fails audit_verify, and a cache "
                    "rebuilt from it would take the tampered decisions as true."
                )
            elif fix:
                cache_rebuild(one)
                left = cache_differences(one)
                self.stdout.write(
                    f"{one.slug}: rebuilt from the log; "
                    + ("it agrees now." if not left else f"{len(left)} difference(s) remain.")
                )
                if not left:
                    differing -= 1
        if refused:
            raise CommandError(
                f"{refused} review(s) were not rebuilt because their log fails audit_verify; "
                "find what changed (audit_verify REVIEW) before trusting their states."
            )
        if differing:
            raise CommandError(
                f"{differing} review(s) have cached states that differ from the decision log "
                "(screening_state --fix rebuilds them)."
            )
