"""The pages: who may see what, the upload flow, the reference list and duplicates."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from screening.constants import CandidateStatus, JobStatus, Role
from screening.identification.import_jobs import import_job_create
from screening.models import DuplicateCandidate, ImportJob, Membership, Search

pytestmark = pytest.mark.django_db

RIS = """TY  - JOUR
TI  - Ivonescimab plus chemotherapy in non-small cell lung cancer with EGFR variant
AU  - Fang, Wenfeng
PY  - 2024
KW  - Randomized Controlled Trial
AB  - HARMONi-A was a randomised trial of ivonescimab.
ER  -
"""
RIS_NEAR = RIS.replace("EGFR variant", "EGFR variants").replace("AB  - ", "AB  - In short: ")


@pytest.fixture
def populated(review, owner, import_text):
    """A review with two searches, a near-duplicate pair, and an import job."""
    first = import_text(RIS, name="embase.ris", source="Embase")
    import_text(RIS_NEAR, name="scopus.ris", source="Scopus")
    job = import_job_create(
        review=review,
        upload=SimpleUploadedFile("more.ris", RIS.replace("2024", "2023").encode()),
        source_name="CENTRAL",
        source_kind="database",
        user=owner,
    )
    return {
        "search": first,
        "reference": first.records.get().reference,
        "candidate": DuplicateCandidate.objects.get(),
        "job": job,
    }


def review_urls(review, objects):
    slug = review.slug
    return [
        reverse("screening:review-home", args=[slug]),
        reverse("screening:member-list", args=[slug]),
        reverse("screening:import-upload", args=[slug]),
        reverse("screening:import-job", args=[slug, objects["job"].pk]),
        reverse("screening:search-detail", args=[slug, objects["search"].pk]),
        reverse("screening:reference-list", args=[slug]),
        reverse("screening:reference-detail", args=[slug, objects["reference"].pk]),
        reverse("screening:duplicate-list", args=[slug]),
    ]


def test_every_review_page_opens_for_its_owner(client_owner, review, populated):
    for url in review_urls(review, populated):
        assert client_owner.get(url).status_code == 200, url


def test_an_outsider_gets_404_on_every_url_of_the_review(client_outsider, review, populated):
    for url in review_urls(review, populated):
        assert client_outsider.get(url).status_code == 404, url
    slug, pk = review.slug, populated["candidate"].pk
    post_urls = [
        reverse("screening:duplicate-action", args=[slug, pk, "merge"]),
        reverse("screening:import-job-action", args=[slug, populated["job"].pk, "confirm"]),
        reverse("screening:member-change", args=[slug, 1]),
    ]
    for url in post_urls:
        assert client_outsider.post(url).status_code == 404, url
    assert DuplicateCandidate.objects.get().status == CandidateStatus.PROPOSED


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, review):
    response = client.get(reverse("screening:review-home", args=[review.slug]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_login_and_password_reset_pages_open_without_a_login(client):
    for name in ["login", "password_reset"]:
        assert client.get(reverse(name)).status_code == 200


def test_a_viewer_can_read_but_not_import(client, review, outsider):
    Membership.objects.create(review=review, user=outsider, role=Role.VIEWER)
    client.force_login(outsider)
    assert client.get(reverse("screening:reference-list", args=[review.slug])).status_code == 200
    assert client.get(reverse("screening:import-upload", args=[review.slug])).status_code == 403


def test_the_review_list_shows_only_my_reviews_with_my_role(
    client_outsider, client_reviewer, review, django_assert_max_num_queries
):
    assert (
        review.title not in client_outsider.get(reverse("screening:review-list")).content.decode()
    )
    with django_assert_max_num_queries(5):
        page = client_reviewer.get(reverse("screening:review-list")).content.decode()
    assert review.title in page and "<td>Reviewer</td>" in page


def test_creating_a_review_makes_me_its_owner(client_outsider, outsider):
    response = client_outsider.post(
        reverse("screening:review-create"), {"title": "Ivonescimab in NSCLC"}
    )
    assert response.status_code == 302
    assert (
        Membership.objects.get(user=outsider, review__slug="ivonescimab-in-nsclc").role == "owner"
    )


def test_upload_shows_a_preview_then_imports_on_confirmation(
    client_owner, review, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("export.txt", RIS.encode())
    response = client_owner.post(
        reverse("screening:import-upload", args=[review.slug]),
        {"file": upload, "source_name": "Embase", "source_kind": "database", "file_format": "auto"},
    )
    job = ImportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    page = client_owner.get(job.get_absolute_url()).content.decode()
    assert "Import 1 record\n" in page and "Ivonescimab plus chemotherapy" in page
    assert not Search.objects.exists(), "nothing is imported before confirmation"

    confirm = reverse("screening:import-job-action", args=[review.slug, job.pk, "confirm"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client_owner.post(confirm)
        client_owner.post(confirm)  # a double click queues the import once
    queued = [c.__qualname__.split(".")[0] for c in callbacks]
    # The import, then (from inside it) the ranking of its new records.
    assert queued == ["import_job_confirm", "ranking_request"]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.search.records_count == 1
    assert "Imported: 1 record," in client_owner.get(job.get_absolute_url()).content.decode()


def test_a_file_that_is_not_a_literature_file_is_refused_on_upload(client_owner, review):
    upload = SimpleUploadedFile("page.ris", b"<html><body>Sign in</body></html>")
    response = client_owner.post(
        reverse("screening:import-upload", args=[review.slug]),
        {"file": upload, "source_name": "Embase", "source_kind": "database", "file_format": "auto"},
    )
    assert response.status_code == 200
    assert "HTML" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_file_over_the_size_limit_is_refused(client_owner, review, settings):
    settings.IMPORT_MAX_FILE_BYTES = 100
    upload = SimpleUploadedFile("big.ris", RIS.encode() * 3)
    response = client_owner.post(
        reverse("screening:import-upload", args=[review.slug]),
        {"file": upload, "source_name": "Embase", "source_kind": "database", "file_format": "auto"},
    )
    assert "over the limit" in response.content.decode()


def test_the_reference_list_filters_and_pins_its_queries(
    client_owner, review, populated, django_assert_max_num_queries
):
    url = reverse("screening:reference-list", args=[review.slug])
    with django_assert_max_num_queries(15):
        page = client_owner.get(url).content.decode()
    assert page.count("Ivonescimab plus chemotherapy") == 2
    embase = populated["search"].source
    cases = {
        f"?source={embase.pk}": 1,
        "?q=short": 1,
        "?q=harmoni+randomised": 2,
        "?year_min=2025": 0,
        "?duplicates=proposed": 2,
        "?duplicates=with": 0,
        "?has_abstract=true": 2,
    }
    for query, expected in cases.items():
        response = client_owner.get(url + query)
        assert response.context["page"].paginator.count == expected, query


def test_the_reference_list_costs_the_same_queries_for_more_references(
    client_owner, review, import_text, django_assert_max_num_queries
):
    many = "\n".join(RIS.replace("EGFR variant", f"variant {i}") for i in range(40))
    import_text(many, name="many.ris")
    with django_assert_max_num_queries(15):
        client_owner.get(reverse("screening:reference-list", args=[review.slug]))


def test_merging_and_undoing_from_the_duplicates_page(
    client_owner, review, populated, django_assert_max_num_queries
):
    candidate = populated["candidate"]
    with django_assert_max_num_queries(15):
        page = client_owner.get(reverse("screening:duplicate-list", args=[review.slug]))
    assert "Merge, keep left" in page.content.decode()
    client_owner.post(
        reverse("screening:duplicate-action", args=[review.slug, candidate.pk, "merge"]),
        {"keep": candidate.reference_b_id},
    )
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.MERGED
    assert candidate.moved_records["kept"] == candidate.reference_b_id
    client_owner.post(
        reverse("screening:duplicate-action", args=[review.slug, candidate.pk, "undo"])
    )
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.UNDONE


def test_an_owner_invites_by_email_and_the_link_lets_a_new_person_join(
    client_owner, client, review, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client_owner.post(
            reverse("screening:member-list", args=[review.slug]),
            {"email": "second@example.org", "role": "reviewer"},
        )
    assert len(mail.outbox) == 1
    link = next(word for word in mail.outbox[0].body.split() if "/invitations/" in word)
    path = link.split("testserver", 1)[1]
    response = client.post(
        path,
        {
            "username": "second",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    assert response.status_code == 302
    member = Membership.objects.get(user__username="second")
    assert member.role == "reviewer" and member.user.email == "second@example.org"
    assert Client().get(path).status_code == 410, "an invitation is used once"
    assert client.get(path)["Location"] == review.get_absolute_url()  # its taker: on to it


def test_a_reviewer_cannot_manage_members(client_reviewer, review):
    response = client_reviewer.post(
        reverse("screening:member-list", args=[review.slug]),
        {"email": "x@example.org", "role": "owner"},
    )
    assert response.status_code == 403


def test_the_last_owner_cannot_be_removed(client_owner, review, owner):
    membership = Membership.objects.get(review=review, user=owner)
    client_owner.post(
        reverse("screening:member-change", args=[review.slug, membership.pk]), {"action": "remove"}
    )
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_removing_a_member_takes_their_access(client_owner, client_reviewer, review, reviewer):
    membership = Membership.objects.get(review=review, user=reviewer)
    client_owner.post(
        reverse("screening:member-change", args=[review.slug, membership.pk]), {"action": "remove"}
    )
    assert (
        client_reviewer.get(reverse("screening:review-home", args=[review.slug])).status_code == 404
    )


def test_a_forged_role_is_refused_and_the_member_keeps_theirs(client_owner, review, reviewer):
    membership = Membership.objects.get(review=review, user=reviewer)
    change = reverse("screening:member-change", args=[review.slug, membership.pk])
    response = client_owner.post(change, {"role": "superuser"}, follow=True)
    membership.refresh_from_db()
    assert membership.role == "reviewer"
    assert "superuser&#x27; is not a role: choose owner" in response.content.decode()
    response = client_owner.post(change, {"role": "viewer"}, follow=True)
    membership.refresh_from_db()
    assert membership.role == "viewer"
    assert f"{reviewer.get_username()} is now viewer." in response.content.decode()
