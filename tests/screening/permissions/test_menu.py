"""The review's menu shows each member the pages their role opens, and nothing else: every link
it shows answers 200 and every link it leaves out answers 403 (so the menu and the views'
role sets cannot drift apart). A refused member gets a 403 page that says why, in words; an
outsider still gets the same 404 as for a review that does not exist."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from screening.constants import EDITOR_ROLES, OWNER_ROLES, Role
from screening.models import Membership
from screening.permissions.access import role_refusal
from screening.permissions.menu import MENU, review_menu
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EVERY_LINK = [link.label for group in MENU for link in group.links]
GROUPS = ["Identify", "Screen", "Report", "Extract", "Review"]


@pytest.fixture
def viewer(review):
    user = UserFactory(username="vera-viewer")
    Membership.objects.create(review=review, user=user, role=Role.VIEWER)
    return user


def labels(groups) -> list[str]:
    return [link.label for group in groups for link in group.links]


def nav_of(html: str) -> str:
    return re.search(r"<nav aria-label=\"Main\">.*?</nav>", html, re.S).group(0)


def main_of(html: str) -> str:
    return re.search(r"<main>.*</main>", html, re.S).group(0)


# --- the menu, as a function of the role ----------------------------------------------------------


def test_an_owner_sees_every_link_in_five_groups(review):
    menu = review_menu(review, Role.OWNER)
    assert [group.label for group in menu] == GROUPS
    assert labels(menu) == EVERY_LINK
    assert "Settings" in EVERY_LINK and "Screen" in EVERY_LINK


def test_a_reviewer_sees_everything_but_the_settings(review):
    assert labels(review_menu(review, Role.REVIEWER)) == [
        label for label in EVERY_LINK if label != "Settings"
    ]


def test_a_viewer_sees_neither_the_screening_page_nor_the_settings(review):
    assert labels(review_menu(review, Role.VIEWER)) == [
        label for label in EVERY_LINK if label not in {"Screen", "Settings"}
    ]


def test_a_non_member_gets_no_menu(review):
    assert review_menu(review, None) == []


def test_the_current_page_is_marked(review):
    menu = review_menu(review, Role.OWNER, current="screening:prisma")
    current = [link.label for group in menu for link in group.links if link.current]
    assert current == ["PRISMA"]


def test_the_menu_uses_the_role_sets_of_the_views():
    roles = {link.label: link.roles for group in MENU for link in group.links}
    assert roles["Screen"] is EDITOR_ROLES
    assert roles["Settings"] is OWNER_ROLES


# --- the menu against the views: what is shown opens, what is left out is refused -----------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.REVIEWER, Role.VIEWER])
def test_every_link_shown_opens_and_every_link_left_out_is_refused(client, review, owner, role):
    user = owner if role == Role.OWNER else UserFactory(username=f"member-{role}")
    if role != Role.OWNER:
        Membership.objects.create(review=review, user=user, role=role)
    client.force_login(user)
    shown = {link.href for group in review_menu(review, role) for link in group.links}
    every = {
        reverse(link.view_name, args=[review.slug, *link.args])
        for group in MENU
        for link in group.links
    }
    answers = {href: client.get(href).status_code for href in every}
    assert {href: answers[href] for href in shown} == dict.fromkeys(shown, 200)
    assert {href: answers[href] for href in every - shown} == dict.fromkeys(every - shown, 403)


# --- the menu on a page ---------------------------------------------------------------------------


def test_a_reviewers_page_has_no_settings_link_and_an_owners_has(
    client_reviewer, client_owner, review
):
    settings = reverse("screening:screening-settings", args=[review.slug])
    prisma = reverse("screening:prisma", args=[review.slug])
    as_reviewer = nav_of(client_reviewer.get(prisma).content.decode())
    as_owner = nav_of(client_owner.get(prisma).content.decode())
    assert settings not in as_reviewer and ">Settings<" not in as_reviewer
    assert f'href="{settings}"' in as_owner
    assert re.search(rf'href="{prisma}"\s+aria-current="page"', as_owner)


def test_the_page_reads_the_role_from_the_views_membership_without_a_query(
    client_owner, review, django_assert_max_num_queries
):
    # The review's home puts the membership in its context: the menu costs no query of its own.
    url = review.get_absolute_url()
    client_owner.get(url)  # warm caches (sessions, content types)
    with django_assert_max_num_queries(100) as queries:
        client_owner.get(url)
    membership_reads = [q for q in queries.captured_queries if "screening_membership" in q["sql"]]
    assert len(membership_reads) == 1  # review_for_user's own


# --- refusals -------------------------------------------------------------------------------------


def test_the_refusal_names_who_may_and_the_persons_role():
    assert role_refusal(OWNER_ROLES, Role.REVIEWER) == (
        "This is for the review's owners; you are a reviewer here."
    )
    assert role_refusal(EDITOR_ROLES, Role.VIEWER) == (
        "This is for the review's owners and reviewers; you are a viewer here."
    )


def test_a_reviewer_refused_the_settings_gets_a_page_that_says_why(client_reviewer, review, owner):
    response = client_reviewer.get(reverse("screening:screening-settings", args=[review.slug]))
    assert response.status_code == 403
    html = response.content.decode()
    assert "This is for the review&#x27;s owners; you are a reviewer here." in html
    assert owner.get_username() in main_of(html)  # whom to ask
    nav = nav_of(html)
    assert review.get_absolute_url() in nav and ">Settings<" not in nav
    assert 'href="/static/css/app.css"' in html or "css/app.css" in html


def test_a_viewer_refused_a_post_gets_the_reason_too(client, review, viewer):
    client.force_login(viewer)
    response = client.post(reverse("screening:screen-decide", args=[review.slug, "title-abstract"]))
    assert response.status_code == 403
    assert "owners and reviewers; you are a viewer here" in response.content.decode()


def test_an_outsider_gets_the_same_404_as_for_a_review_that_does_not_exist(client_outsider, review):
    theirs = client_outsider.get(reverse("screening:screening-settings", args=[review.slug]))
    none = client_outsider.get(reverse("screening:screening-settings", args=["no-such-review"]))
    assert theirs.status_code == none.status_code == 404
    assert main_of(theirs.content.decode()) == main_of(none.content.decode())
    assert review.title not in theirs.content.decode()
    assert "Page not found" in main_of(theirs.content.decode())
