"""The documentation stays true to the repository: the README stays a front door (under 250
lines, linking every page of docs/), and every link, anchor and file path the docs name exists.
A file moved without its docs fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]
MAX_README_LINES = 250
# A path in backticks that starts with one of these is a file of the repository.
TOP = ("screening", "references", "extraction", "config", "tests", "bench", "templates", "static")
PATH = re.compile(r"`((?:" + "|".join(TOP) + r")/[\w./\-]+)`")
LINK = re.compile(r"\]\(([^)#\s]*)(#[^)\s]+)?\)")
GENERATED = ("bench/.cache/",)  # made by a benchmark run, git-ignored


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    return {_anchor(h) for h in re.findall(r"^#+ (.+)$", page.read_text(), re.M)}


def test_the_readme_is_a_front_door():
    lines = README.read_text().count("\n")
    assert lines < MAX_README_LINES, f"README.md has {lines} lines: move detail into docs/"
    linked = set(re.findall(r"\]\(docs/([\w\-]+\.md)", README.read_text()))
    pages = {page.name for page in (ROOT / "docs").glob("*.md")}
    assert pages - linked == set(), "docs pages the README does not link"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_link_and_path_in_the_docs_exists(page):
    text = page.read_text()
    missing = []
    for match in PATH.finditer(text):
        path = match.group(1).rstrip(".")
        if not path.startswith(GENERATED) and not (ROOT / path).exists():
            missing.append(path)
    for match in LINK.finditer(text):
        target, anchor = match.group(1), match.group(2)
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        linked = (page.parent / target) if target else page
        if not linked.exists():
            missing.append(f"link {target}")
        elif anchor and linked.suffix == ".md" and anchor[1:] not in _anchors(linked):
            missing.append(f"anchor {target}{anchor}")
    assert missing == []


def test_the_anchor_rule_matches_githubs():
    assert _anchor("Memory of an import") == "memory-of-an-import"
    assert _anchor("Inside `screening/`") == "inside-screening"
    assert _anchor("Studies and data extraction") == "studies-and-data-extraction"
