"""Blind screening, crawled: no page of the project tells reviewer B what reviewer A decided on a
reference B has not voted on yet, and no page tells a viewer anything of the votes on references
still open (awaiting, awaiting a second reviewer, in conflict). Owners see everything; outsiders
get 404.

The crawl walks Django's URL resolver: every URL of the project's own apps, its kwargs filled
from the mapping below (a URL missing from it fails the test), is requested with GET as B, V and
X (a test each), plain and as htmx, with the query strings that reach its downloads and filters.
A body that holds a sentinel (world.py) is a leak; the test lists them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


def _entry_studies(w: World) -> list[int]:
    return [study.pk for study in w.objects["entry_studies"]]


def _entries(w: World) -> list[int]:
    return [entry.pk for entry in w.objects["entries"]]


# Pages whose 404 to B is the blinding itself, not a gap in the mapping: another member's
# extraction entry, while the study's entries are not all in (B has none of their own).
BLIND_404 = {"extraction:entry"}

# An entry's grid rows answer POST alone: asked under A's submitted entry, with its outcome.
ENTRY_ROW = {
    "pk": lambda w: [w.objects["entry_studies"][0].pk],
    "entry": lambda w: [w.objects["entries"][0].pk],
    "row": lambda w: [w.objects["entry_outcomes"][0].pk],
    "outcome": lambda w: [w.objects["entry_outcomes"][0].pk],
    "arm": lambda w: [w.objects["arms"][0].pk],
}


def _all_references(w: World) -> list[int]:
    return sorted(
        Reference.objects.filter(
            pk__in=w.review.records.values_list("reference_id", flat=True)
        ).values_list("pk", flat=True)
    )


def _a(w: World) -> int:
    return w.a.pk


def _bulk_batch(w: World):
    """A bulk upload waiting for confirmation, made on first use, once for the module's world:
    no table holds it, only the world's media folder."""
    if "bulk_batch" not in w.shared:
        upload = SimpleUploadedFile("r3.pdf", PDF, content_type="application/pdf")
        w.shared["bulk_batch"] = bulk_upload_create(
            review=w.review, user=w.owner, uploads=[upload], limits=Limits()
        )
    return w.shared["bulk_batch"]


# Every URL of the project, by name: the kwargs its name does not fill (the object each view
# looks up; `action`: the values the view knows, none of which answers a GET) and the query
# strings that reach its downloads and filters, read from the views and the filters.
URLS: dict[str, dict[str, Any]] = {
    "password_reset": {},
    "health": {},  # the load balancer's check: the database and the broker, no data
    "screening:review-list": {},
    "screening:account": {},
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
    "extraction:study-detail": {"pk": lambda w: [w.objects["study"].pk, *_entry_studies(w)]},
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
    "extraction:export": {
        "queries": lambda w: [
            {"format": "csv"},
            {"format": "json"},
            {"format": "csv", "entries": "1"},
            {"format": "json", "entries": "1"},
        ]
    },
    # GRADE: the summary-of-findings table of the world's analysis.
    "grade:table": {},
    "grade:export": {"fmt": lambda w: ["docx", "csv"]},
    "grade:certainty": {"pk": _pk("analysis")},
    # Meta-analysis (the world's one analysis).
    "meta_analysis:list": {},
    "meta_analysis:export": {"queries": lambda w: [{"format": "json"}, {"format": "csv"}]},
    "meta_analysis:api": {"queries": lambda w: [{"analysis": w.objects["analysis"].pk}]},
    "meta_analysis:detail": {"pk": _pk("analysis")},
    "meta_analysis:left-out": {"pk": _pk("analysis")},
    "meta_analysis:delete": {"pk": _pk("analysis")},
    "meta_analysis:plot": {
        "pk": _pk("analysis"),
        "kind": lambda w: ["forest"],  # (a funnel needs 10 studies: 404 here, by design)
        "fmt": lambda w: ["svg", "png"],
    },
    # Double extraction: the entries of both entry studies (A's submitted one, the owner's
    # draft, A's draft), each asked under both studies; the comparison of every study.
    "extraction:settings": {},
    "extraction:entry-start": {"pk": _entry_studies},
    "extraction:entry": {"pk": _entry_studies, "entry": _entries},
    "extraction:entry-submit": {"pk": _entry_studies, "entry": _entries},
    "extraction:compare": {"pk": lambda w: [w.objects["study"].pk, *_entry_studies(w)]},
    **{
        f"extraction:entry-{name}": ENTRY_ROW
        for name in (
            "arm-create",
            "arm-save",
            "arm-delete",
            "outcome-create",
            "outcome-save",
            "outcome-delete",
            "result-save",
            "result-delete",
            "comparison-create",
            "comparison-save",
            "comparison-delete",
        )
    },  # fmt: skip
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
    "screening:account",
    "screening:review-create",
    "screening:invitation-accept",
    "password_reset",
    "health",
}


@dataclass(frozen=True)
class Visit:
    name: str  # the URL's name
    url: str
    header: str  # "plain" or "htmx"
    query: dict[str, Any]
    status: int
    found: list[str]  # the sentinels in its body and headers


def _distinct(queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    distinct: list[dict[str, Any]] = []
    for query in queries:
        if query not in distinct:
            distinct.append(query)
    return distinct


def crawl(world: World, role: str, sentinels: list[str]) -> list[Visit]:
    """Every URL of the crawl as `role`: plain, bare and with its own queries and everyone's
    (everywhere()); as htmx, bare and with its own queries (the ones its view reads: a view
    answers htmx with a part of the page it renders for them). Each request once; a POST-only
    view answers 405 to a bare GET, and then to any query string: its queries are not asked.
    Where any of `sentinels` shows, the visit says which."""
    client = world.clients[role]
    visits = []
    for name, url, queries in crawl_urls(world):
        by_header = (
            ("plain", {}, _distinct([{}, *queries, *everywhere(world)])),
            ("htmx", HTMX, _distinct([{}, *queries])),
        )
        for header, headers, variants in by_header:
            for query in variants:
                response = client.get(url, query, headers=headers)
                text = body(response)
                found = [sentinel for sentinel in sentinels if sentinel in text]
                visits.append(Visit(name, url, header, query, response.status_code, found))
                if response.status_code == 405 and not query:
                    break  # a POST-only view: the same answer whatever the query
    return visits


def leak_report(role: str, visits: list[Visit]) -> list[str]:
    """The leaks among `visits`, grouped by page: a line each, or nothing."""
    grouped: dict[tuple[str, int, tuple[str, ...]], list[str]] = {}
    for visit in visits:
        if visit.found:
            q = "&".join(f"{k}={v}" for k, v in visit.query.items())
            key = (visit.url + ("?" + q if q else ""), visit.status, tuple(visit.found))
            grouped.setdefault(key, []).append(visit.header)
    if not grouped:
        return []
    count = sum(map(len, grouped.values()))
    lines = [f"{count} leak(s) (role, URL, [headers], status: sentinels):"]
    for (url, status, found), headers in grouped.items():
        lines.append(
            f"  {role} GET {url} [{', '.join(headers)}] {status}: "
            + ", ".join(f"{s} ({SENTINELS[s]})" for s in found)
        )
    return lines


def test_every_project_url_is_in_the_crawl():
    problems = mapping_problems()
    assert not problems, "\n".join(problems)


# One test per role, each on the module's world (world.py): xdist may run them side by side.
# Slow (thousands of requests each): CI runs them once, on PostgreSQL (its SQLite run leaves
# slow tests out); `make test-local` runs them on SQLite.
@pytest.mark.slow
@pytest.mark.parametrize("role", ["B", "V", "X"])
def test_no_page_shows_a_vote_to_a_member_who_may_not_see_it(world, role):
    problems = mapping_problems()
    visits = crawl(world, role, list(SENTINELS))
    lines = leak_report(role, visits)
    if role == "X":
        open_to_outsider = [
            (v.url, v.query, v.status)
            for v in visits
            if v.status not in (404, 405) and v.name not in OPEN_TO_ANYONE
        ]
        if open_to_outsider:
            lines.append(f"An outsider did not get 404 (or 405) from: {open_to_outsider}")
    if role == "B":
        # The mapping names an object the view does not find.
        unreached = sorted(
            {v.url for v in visits if not v.query and v.status == 404 and v.name not in BLIND_404}
        )
        if unreached:
            lines.append(f"The crawl did not reach these pages (404 for B): {unreached}")
    if problems:
        lines.append("The mapping is incomplete:")
        lines += [f"  {p}" for p in problems]
    assert not lines, "\n".join(lines)
