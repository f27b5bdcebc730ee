"""The review's menu: the pages a member may open, in groups, and nothing they may not.

Each link names the role set its view passes to `review_for_user` (screening.constants: None
for any member, EDITOR_ROLES, OWNER_ROLES), so that a reviewer is never shown a link that
answers 403. `tests/screening/permissions/test_menu.py` requests every link as each role: a
shown link answers 200, a hidden one 403, so this list cannot drift from the views.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.urls import reverse

from screening.constants import EDITOR_ROLES, OWNER_ROLES
from screening.models import Review


@dataclass(frozen=True)
class MenuLink:
    label: str
    view_name: str  # the URL's name; its only argument is the review's slug (and `args`)
    roles: Collection[str] | None = None  # the view's role set; None: any member
    args: tuple[str, ...] = ()

    def allows(self, role: str) -> bool:
        return self.roles is None or role in self.roles


@dataclass(frozen=True)
class MenuGroup:
    label: str
    links: tuple[MenuLink, ...]


MENU: tuple[MenuGroup, ...] = (
    MenuGroup(
        "Identify",
        (
            MenuLink("Searches", "screening:search-list"),
            MenuLink("References", "screening:reference-list"),
            MenuLink("Duplicates", "screening:duplicate-list"),
        ),
    ),
    MenuGroup(
        "Screen",
        (
            MenuLink("Screen", "screening:screen", EDITOR_ROLES, ("title-abstract",)),
            MenuLink("Retrieval", "screening:retrieval-list"),
            MenuLink("Conflicts", "screening:conflict-list"),
            MenuLink("Agreement", "screening:agreement"),
        ),
    ),
    MenuGroup(
        "Report",
        (
            MenuLink("PRISMA", "screening:prisma"),
            MenuLink("Audit", "screening:audit-log"),
            MenuLink("Summary of findings", "grade:table"),
        ),
    ),
    MenuGroup(
        "Extract",
        (
            MenuLink("Studies", "extraction:study-list"),
            MenuLink("Risk of bias", "risk_of_bias:overview"),
            MenuLink("Forest plots", "extraction:forest"),
            MenuLink("Meta-analysis", "meta_analysis:list"),
        ),
    ),
    MenuGroup(
        "Review",
        (
            # Every member sees who is in the review; only owners invite and change roles there.
            MenuLink("Members", "screening:member-list"),
            MenuLink("Labels", "screening:label-list"),
            MenuLink("Settings", "screening:screening-settings", OWNER_ROLES),
        ),
    ),
)


@dataclass(frozen=True)
class ShownLink:
    label: str
    href: str
    current: bool  # the page being shown: aria-current="page"


@dataclass(frozen=True)
class ShownGroup:
    label: str
    links: tuple[ShownLink, ...]


def review_menu(review: Review, role: str | None, *, current: str = "") -> list[ShownGroup]:
    """The groups of links a member with `role` may open in `review` (none for a non-member),
    a group with nothing left dropped. `current`: the view name of the page being shown."""
    if role is None:
        return []
    groups = []
    for group in MENU:
        links = tuple(
            ShownLink(
                label=link.label,
                href=reverse(link.view_name, args=[review.slug, *link.args]),
                current=link.view_name == current,
            )
            for link in group.links
            if link.allows(role)
        )
        if links:
            groups.append(ShownGroup(group.label, links))
    return groups
