"""The words audit sentences are made of: numbers that agree with their nouns, short titles,
changed fields, and `Say`, which names an event's actor and links the objects it points at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from screening.audit.objects import AuditObjects, as_id, data_of
from screening.constants import Stage
from screening.models import AuditEvent

TITLE_LENGTH = 80


@dataclass(frozen=True)
class Link:
    text: str
    url: str


Part = str | Link


def count(n: int, singular: str, plural: str | None = None) -> str:
    """ "1 record", "2 records": the number agrees with the noun."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"


def shorten(text: Any, length: int = TITLE_LENGTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def stage_words(stage: str) -> str:
    return Stage(stage).label.lower() if stage in Stage.values else str(stage)


def value_words(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "empty"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return shorten(", ".join(str(v) for v in value), 40)
    return shorten(value, 40)


def changes(before: dict | None, after: dict | None, names: dict[str, str] | None = None) -> str:
    """ "value 4.8 → 4.9; label A → B": the fields that changed, at most four named."""
    before, after, names = before or {}, after or {}, names or {}
    changed = [k for k in after if k != "study" and before.get(k) != after.get(k)]
    words = []
    for key in changed[:4]:
        name = names.get(key, key.replace("_", " "))
        if key in before:
            words.append(f"{name} {value_words(before[key])} → {value_words(after[key])}")
        else:
            words.append(f"{name} {value_words(after[key])}")
    if len(changed) > 4:
        words.append(f"and {count(len(changed) - 4, 'more field')}")
    return "; ".join(words)


def noted(data: dict) -> list[Part]:
    """A decision's note, quoted, when it has one."""
    return [f"; note: “{shorten(data['note'], 120)}”"] if data.get("note") else []


class Say:
    """One event's actor, data and the links of the objects it names."""

    def __init__(self, event: AuditEvent, objects: AuditObjects, slug: str):
        self.event, self.objects, self.slug = event, objects, slug
        self.data = data_of(event)
        self.before = event.before if isinstance(event.before, dict) else {}
        self.after = event.after if isinstance(event.after, dict) else {}

    @property
    def actor(self) -> str:
        actor = self.event.actor
        return actor.get_username() if actor is not None else "The system"

    @property
    def pk(self) -> int | None:
        return as_id(self.event.object_id)

    def link(self, text: str, name: str, *args: Any, query: str = "") -> Part:
        try:
            url = reverse(name, args=[self.slug, *args])
        except NoReverseMatch:  # an app that is not installed
            return text
        return Link(text, f"{url}?{query}" if query else url)

    def reference(self, value: Any) -> Part:
        """‘Title…’, linked to the reference's page."""
        pk = as_id(value)
        if pk is None:
            return "a reference"
        title = self.objects.references.get(pk) or "(no title)"
        return self.link(f"‘{shorten(title)}’", "screening:reference-detail", pk)

    def study(self, value: Any, name: str = "") -> Part:
        """The study by its name, linked while it exists."""
        pk = as_id(value)
        if pk in self.objects.studies:
            return self.link(self.objects.studies[pk], "extraction:study-detail", pk)
        return name or "a study since deleted"

    def search(self, name: str) -> Part:
        """The event's search (its object), linked."""
        return self.link(name, "screening:search-detail", self.pk) if self.pk else name
