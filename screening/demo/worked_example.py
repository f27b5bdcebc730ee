"""The demo logins and the import demo: a sandbox review of real export files (PubMed XML,
MEDLINE, Web of Science, RIS) showing sources, searches and duplicates. `load_demo` (in the
extraction app, which adds the ivonescimab review) calls these."""

from __future__ import annotations

import csv
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from screening.constants import Role, SourceKind
from screening.decisions.review_settings import review_settings_update
from screening.identification.imports import (
    file_sha256,
    references_import,
    same_file_search,
    source_get_or_create,
)
from screening.models import Membership, Review
from screening.reviews.services import review_create

DEMO_DATA = Path(__file__).resolve().parent / "data"
DEMO_PASSWORD = "demo-screening"
# The owner leads and resolves conflicts; the two reviewers screen.
DEMO_USERS = {"demo": Role.OWNER, "demo-reviewer": Role.REVIEWER, "demo-second": Role.REVIEWER}

# Real files written by other tools (see data/MANIFEST.tsv): (source, kind, file).
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


# The platform a demo file's format shows for sure; the rest of its documentation is where the
# file came from (data/MANIFEST.tsv), marked as demo data.
IMPORT_DEMO_PLATFORMS = {"PubMed": "PubMed", "Web of Science": "Web of Science"}


def import_demo_documentation(source_name: str, file_name: str) -> dict[str, str]:
    """How a demo file's search was run, as far as the demo knows: it is a test file of another
    project, not the export of a search run for this review, and says so."""
    with open(DEMO_DATA / "MANIFEST.tsv", encoding="utf-8", newline="") as handle:
        rows = {Path(row["local_path"]).name: row for row in csv.DictReader(handle, delimiter="\t")}
    row = rows[file_name]
    return {
        "platform": IMPORT_DEMO_PLATFORMS.get(source_name, ""),
        "notes": f"Demo data: {row['source_repo']}'s test file {row['source_path']} "
        f"({row['licence']}), not the export of a search run for this review, so no strategy, "
        "date or limits are recorded for it.",
    }


def demo_users() -> dict[str, AbstractBaseUser]:
    """The demo logins, created with the published password if they are new."""
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


def import_demo_load(owner: AbstractBaseUser, reviewer: AbstractBaseUser) -> Review:
    """The import demo; files it already holds are not imported again."""
    review = Review.objects.filter(slug="import-demo").first()
    if review is None:
        review = review_create(
            slug="import-demo",
            title="Demo: importing literature files",
            question=(
                "A sandbox of real export files (PubMed XML, MEDLINE, Web of Science, RIS) "
                "showing sources, searches and duplicates. The worked example, screened and "
                "extracted, is the review 'ivonescimab'."
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
            # One reviewer, so that one person trying it sees the model take over the order
            # after their first include and exclude (blind dual screening learns only from
            # records both reviewers have decided).
            reviewers_title_abstract=1,
        )
    Membership.objects.get_or_create(review=review, user=reviewer, defaults={"role": Role.REVIEWER})
    for source_name, kind, file_name in IMPORT_DEMO_FILES:
        path = DEMO_DATA / file_name
        if same_file_search(review=review, source_name=source_name, sha256=file_sha256(path)):
            continue
        source = source_get_or_create(review=review, name=source_name, kind=kind, user=owner)
        references_import(
            review=review, source=source, path=path, file_name=file_name, user=owner,
            search_details=import_demo_documentation(source_name, file_name),
        )  # fmt: skip
    return review
