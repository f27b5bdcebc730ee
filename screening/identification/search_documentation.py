"""A search's documentation, as PRISMA 2020 (items 6-7) and PRISMA-S ask: the platform it was run
on, the date, who ran it, the strategy exactly as run, its limits and filters, and notes.

A file import takes them from the upload (kept on its job until the import lands) or from
`import_references`'s options; a PubMed search fills them itself (`pubmed_documentation`); a
search's page edits them (`search_document_update`, audited before and after)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from screening.audit.chain import audit_record, review_lock
from screening.constants import AuditAction, SearchMethod
from screening.models import Search
from screening.permissions.refusals import Refused

# Search's fields, in the order PRISMA-S reads them.
DOCUMENTATION_FIELDS = ("platform", "searched_on", "searched_by", "strategy", "limits", "notes")
PUBMED_PLATFORM = "PubMed"


class DocumentationRefused(Refused):
    """A search's documentation that cannot be saved; `str(error)` says why."""


def person_name(user: AbstractBaseUser | None) -> str:
    """How a search's "searched by" names a person: their full name, else their username."""
    if user is None or not user.is_authenticated:
        return ""
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return (full or user.get_username()).strip()


def _as_date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError as error:
        raise DocumentationRefused(
            f"'{value}' is not a date; give the date searched as YYYY-MM-DD."
        ) from error


def documentation_fields(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Search fields a mapping of documentation gives (an upload's, a command's, JSON's):
    known keys only, text stripped and cut to its column, the date parsed; blanks left out."""
    fields: dict[str, Any] = {}
    for name in DOCUMENTATION_FIELDS:
        value = (details or {}).get(name)
        if name == "searched_on":
            value = _as_date(value)
        elif value is not None:
            value = str(value).replace("\r\n", "\n").strip()  # a browser's line ends
            limit = Search._meta.get_field(name).max_length
            value = value[:limit] if limit else value
        if value not in (None, ""):
            fields[name] = value
    return fields


def documentation_json(details: Mapping[str, Any] | None) -> dict[str, str]:
    """The same, as JSON can keep it (the date as YYYY-MM-DD): for an import job, an audit."""
    return {
        name: value.isoformat() if isinstance(value, datetime.date) else value
        for name, value in documentation_fields(details).items()
    }


def search_documentation(search: Search) -> dict[str, str]:
    """What a search's documentation says now, as JSON."""
    return documentation_json({name: getattr(search, name) for name in DOCUMENTATION_FIELDS})


@transaction.atomic
def search_document_update(
    *, search: Search, user: AbstractBaseUser | None, **changes: Any
) -> list[str]:
    """Set a search's documentation (any of DOCUMENTATION_FIELDS; a blank clears one) and
    record the change, before and after. The names of the fields changed; none, no event."""
    unknown = sorted(set(changes) - set(DOCUMENTATION_FIELDS))
    if unknown:
        raise DocumentationRefused(f"A search has no documentation field {', '.join(unknown)}.")
    review_lock(search.review)  # the review first, as every write takes its locks
    search = Search.objects.select_related("review").get(pk=search.pk)
    given = documentation_fields(changes)
    before: dict[str, str] = {}
    after: dict[str, str] = {}
    old, new = search_documentation(search), documentation_json(given)
    for name in changes:
        if old.get(name, "") == new.get(name, ""):
            continue
        before[name], after[name] = old.get(name, ""), new.get(name, "")
        setattr(search, name, given.get(name, None if name == "searched_on" else ""))
    if not after:
        return []
    search.save(update_fields=list(after))
    audit_record(
        review=search.review,
        actor=user,
        action=AuditAction.SEARCH_DOCUMENT,
        obj=search,
        before=before,
        after=after,
        review_locked=True,
    )
    return list(after)


# --- PubMed fills its own --------------------------------------------------------------------

_DATE_TAGS = {
    "dp": "Publication date",
    "pdat": "Publication date",
    "date - publication": "Publication date",
    "epdat": "Electronic publication date",
    "date - electronic publication": "Electronic publication date",
    "edat": "Entry date",
    "date - entry": "Entry date",
    "crdt": "Create date",
    "date - create": "Create date",
    "mhda": "MeSH date",
    "date - mesh": "MeSH date",
    "lr": "Modification date",
    "date - modification": "Modification date",
}
_DATE = r'"?(?P<{}>\d{{4}}(?:/\d{{1,2}}){{0,2}}|3000)"?'
_TAG = r"\s*\[(?P<{}>[^\]]+)\]"
_DATE_PATTERN = re.compile(
    "|".join(
        [
            # "2020/01/01"[dp] : "2024/12/31"[dp]
            _DATE.format("a_start") + _TAG.format("a_tag") + r"\s*:\s*" + _DATE.format("a_end")
            + _TAG.format("a_tag2"),
            # 2020:2024[dp], "2020/01/01":"2024/12/31"[dp]
            _DATE.format("b_start") + r"\s*:\s*" + _DATE.format("b_end") + _TAG.format("b_tag"),
            # 2024[dp]
            _DATE.format("c_start") + _TAG.format("c_tag"),
            # "last 5 years"[dp]
            r'"?(?P<d_last>last \d+ (?:days?|months?|years?))"?' + _TAG.format("d_tag"),
        ]
    ),
    re.IGNORECASE,
)  # fmt: skip
_LANGUAGE = re.compile(r"\b(?P<language>[a-z]+)\s*\[(?:la|lang|language)\]", re.IGNORECASE)


def _date_limit(match: re.Match) -> str | None:
    parts = match.groupdict()
    for key in ("a", "b", "c", "d"):
        tag = (parts.get(f"{key}_tag") or "").strip().lower()
        if tag and tag in _DATE_TAGS:
            label = _DATE_TAGS[tag]
            if key == "d":
                return f"{label}: {parts['d_last'].lower()}"
            if key == "c":
                return f"{label}: {parts['c_start']}"
            end = parts[f"{key}_end"]
            end = "present" if end == "3000" else end
            return f"{label}: {parts[f'{key}_start']} to {end}"
    return None


def query_limits(query: str) -> str:
    """The date ranges and languages a PubMed query limits itself to, in words ("Publication
    date: 2020 to 2024"); empty if it has none."""
    found: list[str] = []
    for match in _DATE_PATTERN.finditer(query or ""):
        limit = _date_limit(match)
        if limit and limit not in found:
            found.append(limit)
    languages = [m.group("language").capitalize() for m in _LANGUAGE.finditer(query or "")]
    if languages:
        found.append("Language: " + ", ".join(dict.fromkeys(languages)))
    if not found:
        return ""
    return "; ".join(found) + " (from the query)"


def pubmed_documentation(
    *,
    method: str,
    query: str,
    pmids: int,
    user: AbstractBaseUser | None,
    searched_on: datetime.date,
) -> dict[str, Any]:
    """A PubMed search's documentation, as the search itself gives it: the platform, the query
    as run (PubMed's translation of it is kept on the search and its runs), the date and who
    ran it, and the limits the query sets."""
    fields: dict[str, Any] = {
        "platform": PUBMED_PLATFORM,
        "searched_on": searched_on,
        "searched_by": person_name(user)[:200],
    }
    if method == SearchMethod.PUBMED_QUERY:
        fields["strategy"] = query
        fields["limits"] = query_limits(query)
    else:
        fields["notes"] = (
            f"A list of {pmids:,} PMIDs fetched from PubMed, not a search of it: there is no "
            "strategy to report."
        )
    return fields
