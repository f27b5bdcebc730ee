from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from extraction.demo import ivonescimab_demo_load
from grade.demo import grade_demo_load
from meta_analysis.demo import meta_analysis_demo_load
from risk_of_bias.demo import rob_demo_load
from screening.demo.worked_example import DEMO_PASSWORD, demo_users, import_demo_load


class Command(BaseCommand):
    help = (
        "Create the demo logins and the demo reviews: the worked example (ivonescimab), "
        "screened, extracted, assessed for risk of bias (demo data), meta-analysed and GRADEd (a "
        "demonstration), and a sandbox of real "
        "export files (import-demo). Idempotent: run it again and nothing changes. Refuses to "
        "run under production settings."
    )

    def handle(self, *args, **options):
        if not settings.DEMO_ALLOWED:
            raise CommandError(
                "load_demo creates accounts with a published password; it refuses to run under "
                "production settings."
            )
        with transaction.atomic():
            users = demo_users()
            owner, first, second = users["demo"], users["demo-reviewer"], users["demo-second"]
            worked = ivonescimab_demo_load(owner, first, second)
            rob_demo_load(worked, owner, first, second)
            analysis = meta_analysis_demo_load(worked, owner)
            grade_demo_load(analysis, owner)
            sandbox = import_demo_load(owner, first)
        for review in (worked, sandbox):
            self.stdout.write(
                f"Demo review '{review.slug}': {review.title}, {review.records.count()} records."
            )
        self.stdout.write(
            f"Log in at http://127.0.0.1:8000/ as demo / {DEMO_PASSWORD} (owner), or "
            f"demo-reviewer or demo-second / {DEMO_PASSWORD} (reviewers)."
        )
