"""Sentences of the screening events: votes, their withdrawal, resolutions and reopenings, full
texts, removals before screening, verification samples, the stopping rule, the settings and the
exclusion reasons. Each describer returns what follows the actor's name; it reads only the
event's own data (see sentences.py for why)."""

from __future__ import annotations

from collections.abc import Callable

from screening.audit.words import Part, Say, changes, count, noted, shorten, stage_words
from screening.constants import AuditAction, ItemState, RemovalReason, Verdict
from screening.models import Review

VOTED = {Verdict.INCLUDE: "included", Verdict.EXCLUDE: "excluded", Verdict.MAYBE: "voted maybe on"}


def _decision(say: Say) -> list[Part]:
    data = say.after
    parts: list[Part] = [VOTED[data["verdict"]], " ", say.reference(data["reference"])]
    parts.append(f" at {stage_words(data['stage'])}")
    if data.get("reason"):
        parts.append(f": {data['reason']}")
    if say.before.get("verdict"):
        parts.append(f" (changing their vote from {say.before['verdict']})")
    if data.get("imported_from"):
        parts.append(f" (imported from {data['imported_from']})")
    return parts + noted(data)


def _retract(say: Say) -> list[Part]:
    earlier = say.before.get("verdict")
    what = f"their {earlier} vote" if earlier else "their vote"
    return [
        f"withdrew {what} on ",
        say.reference(say.after["reference"]),
        f" at {stage_words(say.after['stage'])}",
    ]


def _resolve(say: Say) -> list[Part]:
    data = say.after
    parts: list[Part] = ["resolved a conflict on ", say.reference(data["reference"])]
    parts.append(f" at {stage_words(data['stage'])} as {Verdict(data['verdict']).label.lower()}")
    if data.get("reason"):
        parts.append(f": {data['reason']}")
    return parts + noted(data)


def _reopen(say: Say) -> list[Part]:
    data = say.after
    parts: list[Part] = ["reopened ", say.reference(data["reference"])]
    parts.append(f" at {stage_words(data['stage'])}")
    state = say.before.get("state")
    if state in ItemState.values:
        parts.append(f" (it was {ItemState(state).label.lower()})")
    return parts + noted(data)


def _full_text(say: Say) -> list[Part]:
    data = say.after
    retrieved = data["status"] == "retrieved"
    parts: list[Part] = ["recorded the full text of ", say.reference(data["reference"])]
    parts.append(" as retrieved" if retrieved else " as not retrieved")
    if retrieved and data.get("file"):
        parts.append(f" (file {data['file']})")
    elif retrieved and data.get("url"):
        parts.append(f" ({shorten(data['url'], 60)})")
    elif not retrieved and data.get("reason"):
        parts.append(f": {data['reason']}")
    return parts


def _references(say: Say, state: str = "") -> Part:
    """One reference by its title; several as a count, linked to the list of those now in
    `state` when given."""
    ids = say.after.get("references") or []
    if len(ids) == 1:
        return say.reference(ids[0])
    if not state:
        return count(len(ids), "reference")
    query = f"stage=title_abstract&state={state}"
    return say.link(count(len(ids), "reference"), "screening:reference-list", query=query)


def _remove(say: Say) -> list[Part]:
    reason = say.after.get("reason")
    why = RemovalReason(reason).label if reason in RemovalReason.values else reason or ""
    if say.after.get("detail"):
        why = f"{why}: {say.after['detail']}" if why else say.after["detail"]
    parts: list[Part] = ["removed ", _references(say, ItemState.REMOVED), " before screening"]
    return parts + ([f" ({why})"] if why else [])


def _restore(say: Say) -> list[Part]:
    return ["restored ", _references(say), " to screening"]


def _verify_draw(say: Say) -> list[Part]:
    data = say.after
    drawn = count(len(data.get("references") or []), "exclusion")
    sample = say.link(f"a verification sample of {drawn}", "screening:verification-screen", say.pk)
    return [
        "drew ",
        sample,
        f" ({data['percent']}% of the {count(data['population'], 'single-reviewer exclusion')}"
        f" at {stage_words(data['stage'])}, seed {data['seed']}) for {data['reviewer']}"
        " to re-screen",
    ]


def _verify_check(say: Say) -> list[Part]:
    verdict = Verdict(say.after["verdict"]).label.lower()
    return ["re-screened ", say.reference(say.after["reference"]), f" for verification: {verdict}"]


def _stopping_draw(say: Say) -> list[Part]:
    data = say.after
    return [
        f"drew a stopping-rule sample of {count(data['size'], 'record')} from the "
        f"{count(data['pool'], 'record')} not yet screened (target recall "
        f"{data['target']:.0%}, confidence {data['confidence']:.0%})"
    ]


def _stopping_apply(say: Say) -> list[Part]:
    data = say.after
    p_value = f" (p = {data['p_value']:.3f})" if data.get("p_value") is not None else ""
    marked = count(data["marked"], "record")
    return [
        f"applied the stopping rule{p_value}: {marked} left unscreened marked ineligible "
        "by automation tools"
    ]


def _stopping_cancel(say: Say) -> list[Part]:
    restored = say.after.get("restored") or 0
    if not restored:
        return ["withdrew the stopping-rule sample"]
    return [f"withdrew the stopping rule: {count(restored, 'record')} back to screening"]


def _settings(say: Say) -> list[Part]:
    names = {}
    for name in say.after:
        try:
            names[name] = str(Review._meta.get_field(name).verbose_name).lower()
        except LookupError:
            names[name] = name.replace("_", " ")
    return [f"changed the screening settings: {changes(say.before, say.after, names)}"]


def _reason_create(say: Say) -> list[Part]:
    key = f" (key {say.after['hotkey']})" if say.after.get("hotkey") else ""
    return [f"added the exclusion reason ‘{say.after['label']}’{key}"]


def _reason_edit(say: Say) -> list[Part]:
    before, after = say.before, say.after
    label = before.get("label") or say.objects.reasons.get(say.pk) or "an exclusion reason"
    if set(after) == {"label"}:
        return [f"renamed the exclusion reason ‘{label}’ to ‘{after['label']}’"]
    if set(after) == {"retired"}:
        done = "retired" if after["retired"] else "brought back"
        return [f"{done} the exclusion reason ‘{label}’"]
    return [f"edited the exclusion reason ‘{label}’: {changes(before, after)}"]


DESCRIBERS: dict[str, Callable[[Say], list[Part]]] = {
    AuditAction.DECISION: _decision,
    AuditAction.DECISION_RETRACT: _retract,
    AuditAction.RESOLVE: _resolve,
    AuditAction.REOPEN: _reopen,
    AuditAction.FULL_TEXT: _full_text,
    AuditAction.REMOVE: _remove,
    AuditAction.RESTORE: _restore,
    AuditAction.VERIFY_DRAW: _verify_draw,
    AuditAction.VERIFY_CHECK: _verify_check,
    AuditAction.STOPPING_DRAW: _stopping_draw,
    AuditAction.STOPPING_APPLY: _stopping_apply,
    AuditAction.STOPPING_CANCEL: _stopping_cancel,
    AuditAction.SETTINGS: _settings,
    AuditAction.REASON_CREATE: _reason_create,
    AuditAction.REASON_EDIT: _reason_edit,
}
