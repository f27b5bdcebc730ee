"""Sentences of the label and discussion events: labels made, renamed and deleted, put on and
taken off references, and posts written, edited and deleted. Each describer returns what
follows the actor's name; it reads only the event's own data (see sentences.py for why). The
log shows these events through VoteView.events, which leaves out those blind screening hides
and other members' private labels."""

from __future__ import annotations

from collections.abc import Callable

from screening.audit.words import Part, Say, shorten
from screening.constants import AuditAction, LabelColour


def _kind(data: dict) -> str:
    return "private label" if data.get("private") else "label"


def _colour(value: str) -> str:
    return LabelColour(value).label.lower() if value in LabelColour.values else str(value)


def _label_create(say: Say) -> list[Part]:
    data = say.after
    return [f"made the {_kind(data)} ‘{data['name']}’ ({_colour(data['colour'])})"]


def _label_edit(say: Say) -> list[Part]:
    before, after = say.before, say.after
    kind = _kind(after)
    if before.get("name") != after["name"]:
        parts = f"renamed the {kind} ‘{before.get('name', '?')}’ to ‘{after['name']}’"
        if before.get("colour") != after.get("colour"):
            parts += f" and made it {_colour(after['colour'])}"
        return [parts]
    return [f"made the {kind} ‘{after['name']}’ {_colour(after.get('colour', ''))}"]


def _label_delete(say: Say) -> list[Part]:
    return [f"deleted the {_kind(say.after)} ‘{say.before['name']}’"]


def _label_apply(say: Say) -> list[Part]:
    data = say.after
    return [f"put the {_kind(data)} ‘{data['name']}’ on ", say.reference(data["reference"])]


def _label_remove(say: Say) -> list[Part]:
    data = say.after
    parts: list[Part] = [
        f"took the {_kind(data)} ‘{data['name']}’ off ",
        say.reference(data["reference"]),
    ]
    if data.get("applied_by"):
        parts.append(f" (put on by {data['applied_by']})")
    return parts


def _post_create(say: Say) -> list[Part]:
    data = say.after
    return ["wrote in the discussion of ", say.reference(data["reference"]), _quoted(data)]


def _post_edit(say: Say) -> list[Part]:
    data = say.after
    return ["edited their post on ", say.reference(data["reference"]), _quoted(data)]


def _post_delete(say: Say) -> list[Part]:
    return ["deleted their post on ", say.reference(say.after["reference"]), _quoted(say.before)]


def _quoted(data: dict) -> str:
    return f": “{shorten(data['text'], 120)}”" if data.get("text") else ""


DESCRIBERS: dict[str, Callable[[Say], list[Part]]] = {
    AuditAction.LABEL_CREATE: _label_create,
    AuditAction.LABEL_EDIT: _label_edit,
    AuditAction.LABEL_DELETE: _label_delete,
    AuditAction.LABEL_APPLY: _label_apply,
    AuditAction.LABEL_REMOVE: _label_remove,
    AuditAction.POST_CREATE: _post_create,
    AuditAction.POST_EDIT: _post_edit,
    AuditAction.POST_DELETE: _post_delete,
}
