"""The audit log in words: each event as a sentence a reviewer reads, with links to what it
names. "demo-reviewer excluded ‘Title…’ at title and abstract: Wrong population."

A sentence says what its event records (the actor, the action, the event's before and after)
and names the objects it points at, loaded for the whole page at once (objects.py). It never
reads a decision or a vote: what the sentence tells is what the event holds, so the log's
blinding rule (VoteView.events, which leaves out the events of votes a member may not see yet)
covers the sentence too. An action without a describer (describe_screening.py,
describe_review.py, describe_labels.py) gets a plain sentence from its label, and the page
keeps every event's raw data beside its sentence.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from screening.audit import describe_labels, describe_review, describe_screening
from screening.audit.objects import AuditObjects, audit_objects
from screening.audit.words import Link, Part, Say
from screening.models import AuditEvent, Review

DESCRIBERS = {
    **describe_screening.DESCRIBERS,
    **describe_review.DESCRIBERS,
    **describe_labels.DESCRIBERS,
}


@dataclass(frozen=True)
class Sentence:
    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        return "".join(p.text if isinstance(p, Link) else p for p in self.parts)

    @property
    def html(self) -> SafeString:
        return mark_safe(  # noqa: S308 - each part is escaped on the way in
            "".join(
                format_html('<a href="{}">{}</a>', p.url, p.text)
                if isinstance(p, Link)
                else conditional_escape(p)
                for p in self.parts
            )
        )

    @property
    def links(self) -> list[Link]:
        return [p for p in self.parts if isinstance(p, Link)]


@dataclass(frozen=True)
class Entry:
    """One row of the log: the event, its sentence, and its raw data for methodologists."""

    event: AuditEvent
    sentence: Sentence

    @property
    def data(self) -> str:
        event = self.event
        raw = {
            "action": event.action,
            "object": f"{event.object_type}:{event.object_id}",
            "before": event.before,
            "after": event.after,
        }
        return json.dumps(raw, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def audit_entries(review: Review, events: Iterable[AuditEvent]) -> list[Entry]:
    """The events as sentences, naming their objects in a few queries for the lot. Pass only
    events the member may see (VoteView.events)."""
    events = list(events)
    objects = audit_objects(review, events)
    return [Entry(event, describe(event, objects, review.slug)) for event in events]


def describe(event: AuditEvent, objects: AuditObjects, slug: str) -> Sentence:
    """The event in a sentence: its actor, then what its describer says, or its action's label
    for an action without one (or data of a shape the describer does not know)."""
    say = Say(event, objects, slug)
    describer = DESCRIBERS.get(event.action)
    predicate: list[Part] | None = None
    if describer is not None:
        try:
            predicate = describer(say)
        except (AttributeError, KeyError, TypeError, ValueError):
            predicate = None  # an event written before its data took today's shape
    if predicate is None:
        predicate = [_plain(event)]
    return Sentence((say.actor, " ", *predicate, "."))


def _plain(event: AuditEvent) -> str:
    """ "recorded: Study created (extraction.study 4)"."""
    label = event.get_action_display()
    what = f"{event.object_type} {event.object_id}".strip()
    return f"recorded: {label} ({what})" if what else f"recorded: {label}"
