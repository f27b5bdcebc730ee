from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from screening.constants import Role, SourceKind
from screening.models import Membership, Review
from screening.services.imports import (
    file_sha256,
    references_import,
    same_file_search,
    source_get_or_create,
)
from screening.services.reviews import review_create
from screening.services.screening import review_settings_update

DEMO_DATA = Path(__file__).resolve().parents[2] / "demo_data"
DEMO_PASSWORD = "demo-screening"
DEMO_USERS = {"demo": Role.OWNER, "demo-reviewer": Role.REVIEWER}

# Real files written by other tools (see demo_data/MANIFEST.tsv): (source, kind, file).
# The two RIS exports hold the same two records, so the second one shows exact duplicates.
IMPORT_DEMO_FILES = [
    ("PubMed", SourceKind.DATABASE, "pubmed1.xml"),
    ("PubMed", SourceKind.DATABASE, "pubmed2.xml"),
    ("PubMed", SourceKind.DATABASE, "pubmed4.xml"),
    ("PubMed", SourceKind.DATABASE, "pubmed_result2.txt"),
    ("Web of Science", SourceKind.DATABASE, "example_wos.ris"),
    ("Embase", SourceKind.DATABASE, "example_full.ris"),
    (
        "Reference list of a related review",
        SourceKind.CITATION,
        "example_full_without_whitespace.ris",
    ),
]


class Command(BaseCommand):
    help = (
        "Create the demo reviews and the demo logins (idempotent: run it again and nothing is "
        "doubled). Refuses to run under production settings."
    )

    def handle(self, *args, **options):
        if not settings.DEMO_ALLOWED:
            raise CommandError(
                "load_demo creates accounts with a published password; it refuses to run under "
                "production settings."
            )
        with transaction.atomic():
            users = self._users()
            review = self._import_demo(users["demo"], users["demo-reviewer"])
        self.stdout.write(
            f"Demo review '{review.title}': {review.records.count()} records.\n"
            f"Log in at http://127.0.0.1:8000/ as demo / {DEMO_PASSWORD} "
            f"(owner) or demo-reviewer / {DEMO_PASSWORD} (reviewer)."
        )

    def _users(self) -> dict:
        User = get_user_model()
        users = {}
        for username in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.org"}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            users[username] = user
        return users

    def _import_demo(self, owner, reviewer) -> Review:
        review = Review.objects.filter(slug="import-demo").first()
        if review is None:
            review = review_create(
                slug="import-demo",
                title="Demo: importing literature files",
                question=(
                    "A sandbox of real export files (PubMed XML, MEDLINE, Web of Science, RIS) "
                    "showing sources, searches and duplicates. The ivonescimab review of the "
                    "worked example is built by a later version of load_demo."
                ),
                owner=owner,
            )
            # Something to screen against: criteria beside every record, and words to notice.
            review_settings_update(
                review=review,
                user=owner,
                criteria=(
                    "Include: original research on people (any design), with an abstract.\n"
                    "Exclude: reviews, commentaries, animal and laboratory studies."
                ),
                highlight_include="patient*, trial*, cohort*, random*",
                highlight_exclude="review, mice, rat*, in vitro, sperm*",
            )
        Membership.objects.get_or_create(
            review=review, user=reviewer, defaults={"role": Role.REVIEWER}
        )
        for source_name, kind, file_name in IMPORT_DEMO_FILES:
            path = DEMO_DATA / file_name
            if same_file_search(review=review, source_name=source_name, sha256=file_sha256(path)):
                continue
            source = source_get_or_create(review=review, name=source_name, kind=kind, user=owner)
            references_import(
                review=review, source=source, path=path, file_name=file_name, user=owner
            )
        return review
