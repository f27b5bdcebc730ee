"""Blind screening, crawled: no page of the project tells reviewer B what reviewer A decided on a
reference B has not voted on yet, and no page tells a viewer anything of the votes on references
still open (awaiting, awaiting a second reviewer, in conflict). Owners see everything; outsiders
get 404.

The crawl walks Django's URL resolver: every URL of the project's own apps, its kwargs filled
from the mapping below (a URL missing from it fails the test), is requested with GET as B, V and
X, plain and as htmx, with the query strings that reach its downloads and filters. A body that
holds a sentinel (world.py) is a leak; the test lists them all.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from extraction.constants import Measure
from references.models import Reference
from screening.retrieval.bulk import bulk_upload_create
from screening.retrieval.bulk_files import Limits
from tests.screening.decisions.test_screening import PDF
from tests.screening.permissions.world import (
    FT,
    HTMX,
    PROJECT_PACKAGES,
    SENTINELS,
    TA,
    World,
    body,
    sentinels_in,
)

pytestmark = pytest.mark.django_db

# --- The URL mapping ----------------------------------------------------------------------------

Values = Callable[[World], list[Any]]

# Kwargs filled by name, whatever the URL.
BY_KWARG: dict[str, Values] = {
    "slug": lambda w: [w.review.slug],
    "stage_slug": lambda w: ["title-abstract", "full-text"],
    "token": lambda w: [w.objects["invitation"].token],
}


def _pk(key: str) -> Values:
    return lambda w: [w.objects[key].pk]


def _refs(*names: str) -> Values:
    return lambda w: [w.refs[name].pk for name in (names or sorted(w.refs))]


def _rob_outcomes(w: World) -> list[int]:
    return [outcome.pk for outcome in w.objects["rob_outcomes"]]


def _all_references(w: World) -> list[int]:
    return sorted(
        Reference.objects.filter(
            pk__in=w.review.records.values_list("reference_id", flat=True)
        ).values_list("pk", flat=True)
    )


def _a(w: World) -> int:
    return w.a.pk


def _bulk_batch(w: World):
    """A bulk upload waiting for confirmation (made on first use: no table holds it)."""
    if "bulk_batch" not in w.objects:
        upload = SimpleUploadedFile("r3.pdf", PDF, content_type="application/pdf")
        w.objects["bulk_batch"] = bulk_upload_create(
            review=w.review, user=w.owner, uploads=[upload], limits=Limits()
        )
    return w.objects["bulk_batch"]


# Every URL of the project, by name: the kwargs its name does not fill (the object each view
# looks up; `action`: the values the view knows, none of which answers a GET) and the query
# strings that reach its downloads and filters, read from the views and the filters.
URLS: dict[str, dict[str, Any]] = {
    "password_reset": {},
    "screening:review-list": {},
    "screening:review-create": {},
    "screening:invitation-accept": {},
    "screening:review-home": {},
    "screening:member-list": {},
    "screening:member-change": {"pk": _pk("membership_a")},
    "screening:import-upload": {},
    "screening:import-job": {"pk": _pk("job")},
    "screening:import-job-action": {
        "pk": _pk("job"),
        "action": lambda w: ["confirm", "cancel", "resume"],
    },
    "screening:search-list": {},
    "screening:search-detail": {"pk": _pk("search")},
    "screening:search-rerun": {"pk": _pk("search")},
    "screening:search-schedule": {"pk": _pk("search")},
    "screening:search-document": {"pk": _pk("search")},
    "screening:search-appendix": {"queries": lambda w: [{"format": "md"}, {"format": "docx"}]},
    "screening:prisma-s": {"queries": lambda w: [{"format": "md"}]},
    "screening:pubmed-search": {},
    "screening:pubmed-job": {"pk": _pk("pubmed_job")},
    "screening:pubmed-job-action": {
        "pk": _pk("pubmed_job"),
        "action": lambda w: ["cancel", "resume"],
    },
    "screening:reference-list": {
        "queries": lambda w: [
            {"format": "csv"},
            {"format": "ris"},
            {"reviewer": _a(w)},
            {"reviewer": _a(w), "format": "csv"},
            {"reviewer": _a(w), "format": "ris"},
            {"reviewer": w.a.username},
            {"reason": w.reason_r1.pk},
            {"reason": w.reason_r6.pk},
            {"reason": w.reason_r1.pk, "format": "csv"},
            {"stage": TA, "state": "awaiting_second"},
            {"stage": TA, "state": "awaiting_second", "format": "csv"},
            {"state": "conflict", "format": "ris"},
            {"conflict": "true", "format": "csv"},
            {"box": "screening_pending"},
            {"box": "records_screened", "format": "csv"},
            {"verdict": "include"},
            {"verdict": "exclude"},
            # Column sorts (a whitelist; the rows show each stage's state, reason and deciders)
            # and a PRISMA box's heading, one reason of it too.
            *({"sort": s} for s in ("title", "-author", "year", "-added", "state", "-state")),
            {"sort": "state", "reviewer": _a(w)},
            {"sort": "decider"},
            {"box": "records_excluded", "sort": "-state"},
            {"box": f"dbr_excluded:{w.reason_r6.pk}"},
            # Labels: a shared one (on R1 hidden from B), A's private one, and none.
            {"label": w.objects["label_shared"].pk},
            {"label": w.objects["label_shared"].pk, "format": "csv"},
            {"label": w.objects["label_private"].pk},
            {"label": w.objects["label_private"].pk, "format": "ris"},
            {"label": "none", "format": "csv"},
        ]
    },
    "screening:reference-remove": {},
    "screening:reference-label-bulk": {},
    "screening:label-list": {},
    "screening:label-edit": {"pk": _pk("label_shared")},
    "screening:label-delete": {"pk": _pk("label_shared")},
    "screening:reference-notes": {
        "pk": _all_references,
        "queries": lambda w: [{"on": "screen"}],
    },
    "screening:reference-label": {"pk": _refs("R1")},
    "screening:post-create": {"pk": _refs("R2")},
    "screening:post-edit": {"pk": _pk("post_r5")},
    "screening:post-delete": {"pk": _pk("post_r5")},
    "screening:reference-detail": {"pk": _all_references},
    "screening:screen": {"queries": lambda w: [{"reference": pk} for pk in _refs()(w)]},
    "screening:screen-decide": {},
    "screening:screen-undo": {},
    "screening:my-decisions": {
        "queries": lambda w: [
            {"verdict": "include"},
            {"verdict": "exclude", "reason": w.reason_r1.pk},
            {"q": w.refs["R1"].title.split()[0]},
        ]
    },
    "screening:screen-find": {
        "queries": lambda w: (
            [{"q": ref.title} for ref in w.refs.values()]
            + [{"q": ref.doi or ref.pmid or "1"} for ref in w.refs.values()]
        )
    },
    "screening:conflict-list": {
        "queries": lambda w: [
            {"stage": TA},
            {"stage": FT},
            {"page": "2"},
            {"status": "resolved"},
            {"status": "resolved", "stage": TA},
            {"status": "open", "stage": FT},
        ]
    },
    "screening:conflict-resolve": {"pk": lambda w: [w.objects["item_r6"].pk]},
    "screening:reference-reopen": {"pk": _refs("R4", "R1")},
    "screening:agreement": {"queries": lambda w: [{"format": "csv"}]},
    "screening:prisma": {
        "queries": lambda w: [
            {"format": f} for f in ("svg", "png", "pdf", "csv", "json", "methods", "excluded")
        ]
    },
    "screening:stopping-draw": {},
    "screening:stopping-apply": {},
    "screening:stopping-withdraw": {},
    "screening:audit-receipt": {},
    "screening:audit-log": {
        "queries": lambda w: [
            {"format": "csv"},
            {"actor": _a(w)},
            {"actor": _a(w), "format": "csv"},
            {"actor": w.a.username},
            {"action": "decision"},
            {"action": "decision", "format": "csv"},
            {"stage": TA},
            {"reason": "sentinel-7731"},  # a part of it: the filter's form shows what it got
            {"reason": "sentinel-8842", "format": "csv"},
            {"verify": "1"},
            {"action": "label.apply"},
            {"action": "label.create", "format": "csv"},
            {"action": "post.create"},
        ]
    },
    "screening:exclusion-audit": {"queries": lambda w: [{"page": "2"}]},
    "screening:verification-draw": {},
    "screening:verification-screen": {"pk": _pk("sample")},
    "screening:retrieval-list": {
        "queries": lambda w: [{"state": s} for s in ("retrieved", "not_retrieved")]
    },
    "screening:retrieval-record": {"pk": _refs("R5")},
    "screening:fulltext-file": {"pk": _pk("full_text")},
    "screening:retrieval-bulk-upload": {},
    "screening:retrieval-bulk-batch": {"token": lambda w: [_bulk_batch(w).token]},
    "screening:retrieval-bulk-discard": {"token": lambda w: [_bulk_batch(w).token]},
    "screening:retrieval-bulk-file": {
        "token": lambda w: [_bulk_batch(w).token],
        "pk": lambda w: [_bulk_batch(w).files[0].index],
    },
    "screening:screening-settings": {},
    "screening:duplicate-list": {
        "queries": lambda w: [{"status": s} for s in ("merged", "rejected", "undone")]
    },
    "screening:duplicate-action": {
        "pk": _pk("candidate"),
        "action": lambda w: ["merge", "reject", "undo"],
    },
    "extraction:study-list": {},
    "extraction:study-create": {},
    "extraction:report-link": {},
    "extraction:suggestion-confirm": {},
    "extraction:study-detail": {"pk": _pk("study")},
    "extraction:study-custom": {"pk": _pk("study")},
    "extraction:custom-fields": {},
    "extraction:custom-field-edit": {"pk": _pk("custom_field")},
    "extraction:custom-field-delete": {"pk": _pk("custom_field")},
    "extraction:study-delete": {"pk": _pk("study")},
    "extraction:report-action": {
        "pk": _pk("study"),
        "link": _pk("link"),
        "action": lambda w: ["unlink", "primary"],
    },
    "extraction:arm-create": {"pk": _pk("study")},
    "extraction:arm-save": {"pk": _pk("study"), "row": lambda w: [w.objects["arms"][0].pk]},
    "extraction:arm-delete": {"pk": _pk("study"), "row": lambda w: [w.objects["arms"][0].pk]},
    "extraction:outcome-create": {"pk": _pk("study")},
    "extraction:outcome-save": {"pk": _pk("study"), "row": _pk("outcome")},
    "extraction:outcome-delete": {"pk": _pk("study"), "row": _pk("outcome")},
    "extraction:result-save": {
        "pk": _pk("study"),
        "outcome": _pk("outcome"),
        "arm": lambda w: [w.objects["arms"][0].pk],
    },
    "extraction:result-delete": {
        "pk": _pk("study"),
        "outcome": _pk("outcome"),
        "arm": lambda w: [w.objects["arms"][0].pk],
    },
    "extraction:comparison-create": {"pk": _pk("study"), "outcome": _pk("outcome")},
    "extraction:comparison-save": {"pk": _pk("study"), "row": _pk("comparison")},
    "extraction:comparison-delete": {"pk": _pk("study"), "row": _pk("comparison")},
    "extraction:forest": {
        "queries": lambda w: [
            {"format": "svg"},
            {"format": "png"},
            {"outcome": "Response", "measure": Measure.ODDS_RATIO, "format": "svg"},
        ]
    },
    "extraction:export": {"queries": lambda w: [{"format": "csv"}, {"format": "json"}]},
    "risk_of_bias:overview": {},
    "risk_of_bias:settings": {},
    "risk_of_bias:plot": {
        "kind": lambda w: ["traffic-light", "summary"],
        "fmt": lambda w: ["svg", "png"],
    },
    "risk_of_bias:export": {"fmt": lambda w: ["json", "csv"]},
    "risk_of_bias:result": {"pk": _rob_outcomes},
    "risk_of_bias:start": {"pk": _rob_outcomes},
    "risk_of_bias:assess": {"pk": _rob_outcomes},
    "risk_of_bias:consensus": {"pk": _rob_outcomes},
}


def everywhere(w: World) -> list[dict[str, Any]]:
    """Asked of every page that answers a GET: the download, person/verdict and label
    parameters of any view (the lists that filter by label: references, conflicts, My
    decisions, retrieval, studies), should another view start reading them."""
    return [
        {"format": "csv"},
        {"format": "json"},
        {"reviewer": w.a.pk, "actor": w.a.pk, "verdict": "exclude", "reason": w.reason_r1.pk},
        {"label": w.objects["label_shared"].pk},
        {"label": w.objects["label_private"].pk},
        {"label": "none"},
    ]


def _kwarg_names(pattern) -> set[str]:
    converters = getattr(pattern, "converters", None)
    if converters is not None:
        return set(converters)
    return set(pattern.regex.groupindex)


def project_patterns() -> list[tuple[str, set[str]]]:
    """(namespace:name, kwarg names) of every URL whose view is the project's own, walking the
    resolver through its includes and namespaces."""
    found: list[tuple[str, set[str]]] = []

    def walk(patterns, namespace: str, kwargs: set[str]) -> None:
        for entry in patterns:
            names = kwargs | _kwarg_names(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
                walk(entry.url_patterns, inner, names)
            elif isinstance(entry, URLPattern):
                module = getattr(entry.callback, "__module__", "") or ""
                if module.split(".")[0] in PROJECT_PACKAGES:
                    name = ":".join(filter(None, [namespace, entry.name or ""]))
                    found.append((name if entry.name else f"(unnamed) {entry.pattern}", names))

    walk(get_resolver().url_patterns, "", set())
    return found


def mapping_problems() -> list[str]:
    problems = []
    seen = set()
    for name, kwargs in project_patterns():
        seen.add(name)
        entry = URLS.get(name)
        if entry is None:
            problems.append(f"{name}: not in the crawl's mapping (URLS); add it, kwargs {kwargs}")
            continue
        unfilled = sorted(k for k in kwargs if k not in entry and k not in BY_KWARG)
        if unfilled:
            problems.append(f"{name}: the mapping fills no value for {unfilled}")
    for name in sorted(set(URLS) - seen):
        problems.append(f"{name}: in the mapping but no longer a URL of the project")
    return problems


def crawl_urls(world: World) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(name, URL, query strings) for every project URL and every value of its kwargs."""
    urls = []
    for name, kwarg_names in project_patterns():
        entry = URLS.get(name)
        if entry is None:
            continue
        keys = sorted(kwarg_names)
        choices = [(entry.get(k) or BY_KWARG[k])(world) for k in keys]
        queries = entry.get("queries", lambda w: [])(world)
        for values in product(*choices):
            url = reverse(name, kwargs=dict(zip(keys, values, strict=True)))
            urls.append((name, url, queries))
    return urls


# --- 1. The crawl -------------------------------------------------------------------------------

# Pages outside any review: an outsider may open them. Every other page answers an outsider 404
# (or 405, which a POST-only view answers to any GET before it looks at the review).
OPEN_TO_ANYONE = {
    "screening:review-list",
    "screening:review-create",
    "screening:invitation-accept",
    "password_reset",
}


def crawl_as(world: World, role: str, sentinels: list[str]) -> list[tuple]:
    """Every URL of the crawl, with its queries and everyone's, plain and htmx, as `role`: where
    any of `sentinels` shows (name, url, query, htmx, found)."""
    client = world.clients[role]
    leaks = []
    for name, url, queries in crawl_urls(world):
        if client.get(url).status_code == 405:
            continue  # a POST-only view: the same answer whatever the query
        variants = []
        for query in [{}, *queries, *everywhere(world)]:
            if query not in variants:
                variants.append(query)
        for query, headers in ((q, h) for q in variants for h in ({}, HTMX)):
            text = body(client.get(url, query, headers=headers))
            found = [sentinel for sentinel in sentinels if sentinel in text]
            if found:
                leaks.append((name, url, query, bool(headers), found))
    return leaks


def test_every_project_url_is_in_the_crawl():
    problems = mapping_problems()
    assert not problems, "\n".join(problems)


def test_no_page_shows_a_vote_to_a_member_who_may_not_see_it(world):
    problems = mapping_problems()
    leaks, open_to_outsider, unreached = [], [], []

    def visit(role: str, name: str, url: str, header_name: str, query: dict) -> int:
        response = world.clients[role].get(
            url, query, headers=HTMX if header_name == "htmx" else {}
        )
        status = response.status_code
        if role == "X" and status not in (404, 405) and name not in OPEN_TO_ANYONE:
            open_to_outsider.append((url, query, status))
        found = sentinels_in(body(response))
        if found:
            leaks.append((role, url, header_name, query, status, found))
        return status

    for role, (name, url, queries), header_name in product(
        ("B", "V", "X"), crawl_urls(world), ("plain", "htmx")
    ):
        status = visit(role, name, url, header_name, {})
        if role == "B" and status == 404:
            unreached.append(url)  # the mapping names an object the view does not find
        if status == 405:
            continue  # a POST-only view answers 405 to any GET, whatever its query string
        variants = []
        for query in [*queries, *everywhere(world)]:
            if query not in variants:
                variants.append(query)
        for query in variants:
            visit(role, name, url, header_name, query)
    grouped: dict[tuple[str, str, int, tuple[str, ...]], list[str]] = {}
    for role, url, header_name, query, status, found in leaks:
        q = "&".join(f"{k}={v}" for k, v in query.items())
        grouped.setdefault((role, url + ("?" + q if q else ""), status, tuple(found)), []).append(
            header_name
        )
    lines = [f"{len(leaks)} leak(s) (role, URL, [headers], status: sentinels):"]
    for (role, url, status, found), headers in grouped.items():
        lines.append(
            f"  {role} GET {url} [{', '.join(headers)}] {status}: "
            + ", ".join(f"{s} ({SENTINELS[s]})" for s in found)
        )
    if open_to_outsider:
        lines.append(f"An outsider did not get 404 (or 405) from: {open_to_outsider}")
    if unreached:
        lines.append(f"The crawl did not reach these pages (404 for B): {unreached}")
    if problems:
        lines.append("The mapping is incomplete:")
        lines += [f"  {p}" for p in problems]
    assert not (leaks or open_to_outsider or unreached or problems), "\n".join(lines)
