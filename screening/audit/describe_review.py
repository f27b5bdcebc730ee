"""Sentences of the events around screening: the review and its members, sources, imports and
PubMed searches, duplicates, and the studies and extracted data of the extraction app (named
by the labels its events carry). Each describer returns what follows the actor's name; it
reads only the event's own data and the names objects.py loaded."""

from __future__ import annotations

from collections.abc import Callable

from screening.audit.words import Part, Say, changes, count, shorten
from screening.constants import AuditAction, CandidateStatus, Role, SourceKind

A_ROLE = {Role.OWNER: "an owner", Role.REVIEWER: "a reviewer", Role.VIEWER: "a viewer"}
# The extraction app's rows, by the label their events carry.
ROWS = {
    "extraction.arm": "arm",
    "extraction.outcome": "outcome",
    "extraction.armresult": "arm result",
    "extraction.comparison": "comparison",
}


def _role(value: str) -> str:
    return A_ROLE.get(value, f"a {value}")


def _review_create(say: Say) -> list[Part]:
    return [f"created the review ‘{say.after['title']}’"]


def _member_invite(say: Say) -> list[Part]:
    return [f"invited {say.after['email']} to join as {_role(say.after['role'])}"]


def _member_join(say: Say) -> list[Part]:
    return [f"joined the review as {_role(say.after['role'])}"]


def _member_role(say: Say) -> list[Part]:
    member = say.objects.members.get(say.pk) or "a member since removed"
    if "can_resolve" in say.after:
        if say.after["can_resolve"]:
            return [f"let {member} resolve conflicts"]
        return [f"stopped {member} resolving conflicts"]
    return [f"made {member} {_role(say.after['role'])} (was {say.before.get('role', '?')})"]


def _member_remove(say: Say) -> list[Part]:
    return [f"removed {say.before['user']} ({say.before['role']}) from the review"]


def _source(say: Say) -> list[Part]:
    kind = say.after.get("kind")
    label = SourceKind(kind).label.lower() if kind in SourceKind.values else "source"
    return [f"added the source {say.after['name']} ({label})"]


def _import(say: Say) -> list[Part]:
    data = say.after
    parts: list[Part] = [f"imported {count(data['records'], 'record')} from {data['source']} ("]
    parts += [say.search(f"file {data['file_name']}"), ")"]
    new, duplicates = data.get("references_created"), data.get("duplicates")
    if new is not None and duplicates is not None:
        parts.append(f": {count(new, 'new reference')}, {count(duplicates, 'duplicate')}")
    if data.get("unreadable"):
        parts.append(f"; {count(data['unreadable'], 'entry', 'entries')} could not be read")
    return parts


def _pubmed_run(say: Say) -> list[Part]:
    data = say.after
    query = f"‘{shorten(data['query'])}’" if data.get("query") else "of a list of PMIDs"
    parts: list[Part] = ["ran the ", say.search(f"PubMed search {query}")]
    if data.get("run"):
        parts.append(f" (run {data['run']}{', scheduled' if data.get('scheduled') else ''})")
    parts.append(f": {count(data['records'], 'record')}")
    if data.get("references_created") is not None:
        parts.append(f", {count(data['references_created'], 'new reference')}")
    return parts


def _pubmed_cancel(say: Say) -> list[Part]:
    data = say.after
    what = f"‘{shorten(data['query'])}’" if data.get("query") else "of a list of PMIDs"
    job = say.link(f"PubMed search {what}", "screening:pubmed-job", say.pk)
    return ["cancelled the ", job, f" after fetching {count(data.get('fetched') or 0, 'record')}"]


def _decisions_import(say: Say) -> list[Part]:
    data = say.after
    tool = data.get("tool") or "another tool"
    parts: list[Part] = [f"imported {count(data['decisions'], 'decision')} made in {tool} ("]
    return [*parts, say.search(f"file {data['file_name']}"), ")"]


def _search_name(say: Say) -> Part:
    return say.search(say.objects.searches.get(say.pk) or "a search")


def _search_schedule(say: Say) -> list[Part]:
    days = say.after.get("rerun_every_days")
    if days:
        return ["set ", _search_name(say), f" to be re-run every {count(days, 'day')}"]
    return ["stopped re-running ", _search_name(say)]


def _search_document(say: Say) -> list[Part]:
    fields = ", ".join(k.replace("_", " ") for k in say.after)
    return ["documented how ", _search_name(say), f" was run ({fields})"]


def _pair(say: Say) -> list[Part]:
    a, b = say.objects.pairs.get(say.pk, (None, None))
    return [say.reference(a), " and ", say.reference(b)]


def _duplicate_merge(say: Say) -> list[Part]:
    moved = count(len(say.after.get("records") or {}), "record")
    kept, removed = say.reference(say.after["kept"]), say.reference(say.after["removed"])
    return ["merged ", removed, " into ", kept, f" as duplicates ({moved} moved)"]


def _duplicate_reject(say: Say) -> list[Part]:
    return ["marked ", *_pair(say), " as not duplicates"]


def _duplicate_undo(say: Say) -> list[Part]:
    if say.before.get("status") == CandidateStatus.MERGED:
        return ["undid the merge of ", *_pair(say)]
    return ["proposed ", *_pair(say), " as duplicates again"]


def _rob_result(say: Say) -> str:
    """The result a risk-of-bias event is about, by the names the event carries."""
    names = [say.after.get("study"), say.after.get("outcome")]
    return " · ".join(name for name in names if name) or "a result"


def _rob_start(say: Say) -> list[Part]:
    return [f"started a risk-of-bias assessment of {_rob_result(say)}"]


def _rob_submit(say: Say) -> list[Part]:
    digest = str(say.after.get("digest", ""))[:12]
    return [f"submitted their risk-of-bias assessment of {_rob_result(say)} (digest {digest}…)"]


def _rob_consensus(say: Say) -> list[Part]:
    overall = (say.after.get("overall") or {}).get("judgement") or "not judged"
    return [f"submitted the risk-of-bias consensus of {_rob_result(say)}: overall {overall}"]


def _rob_settings(say: Say) -> list[Part]:
    return [f"changed the risk-of-bias settings: {changes(say.before, say.after)}"]


def _custom_field(say: Say) -> list[Part]:
    if say.after.get("deleted"):
        return [f"removed the studies' custom field ‘{say.before.get('label', '')}’"]
    verb = "changed" if say.before else "added"
    return [
        f"{verb} the studies' custom field ‘{say.after.get('label', '')}’ ({say.after.get('kind')})"
    ]


def _study_create(say: Say) -> list[Part]:
    return ["created the study ", say.study(say.pk, say.after.get("name", ""))]


def _study_edit(say: Say) -> list[Part]:
    study = say.study(say.pk)
    return ["edited the study ", study, f": {changes(say.before, say.after)}"]


def _study_delete(say: Say) -> list[Part]:
    return [f"deleted the study {say.before.get('name') or ''}".rstrip()]


def _report_link(say: Say) -> list[Part]:
    data = say.after
    parts = ["linked ", say.reference(data["reference"])]
    parts += [" to the study ", say.study(data["study"])]
    if data.get("primary"):
        parts.append(" as its primary report")
    if say.before.get("study"):
        parts += [" (moved from ", say.study(say.before["study"]), ")"]
    return parts


def _report_unlink(say: Say) -> list[Part]:
    data = say.before
    study = say.study(data["study"])
    return ["unlinked ", say.reference(data["reference"]), " from the study ", study]


def _report_primary(say: Say) -> list[Part]:
    study = say.study(say.objects.study_of_link.get(say.pk))
    report = say.reference(say.after["primary"])
    return ["made ", report, " the primary report of the study ", study]


def _row(say: Say) -> str:
    """ "the outcome ‘Progression-free survival’", "an arm result"."""
    what = ROWS.get(say.event.object_type) or say.event.object_type.rsplit(".", 1)[-1]
    name = say.data.get("label") or say.data.get("name")
    if name:
        return f"the {what} ‘{shorten(name, 60)}’"
    return f"{'an' if what[0] in 'aeiou' else 'a'} {what}"


def _extraction_edit(say: Say) -> list[Part]:
    study = say.study(say.data.get("study"))
    if not say.before:
        return [f"added {_row(say)} to the study ", study]
    return [f"changed {_row(say)} of the study ", study, f": {changes(say.before, say.after)}"]


def _extraction_delete(say: Say) -> list[Part]:
    parts: list[Part] = [f"deleted {_row(say)} of the study ", say.study(say.before.get("study"))]
    values = len(say.before.get("with") or [])
    if values:
        parts.append(f", with the {count(values, 'value')} that went with it")
    return parts


def _entry_start(say: Say) -> list[Part]:
    return ["started their independent entry of the study ", say.study(say.after.get("study"))]


def _entry_submit(say: Say) -> list[Part]:
    digest = str(say.after.get("digest", ""))[:12]
    study = say.study(say.after.get("study"))
    return ["submitted their entry of the study ", study, f" (digest {digest}…)"]


def _entry_consensus(say: Say) -> list[Part]:
    study = say.study(say.after.get("study"))
    disagreed = say.after.get("disagreed") or []
    how = f", resolving a disagreement on {', '.join(disagreed)}" if disagreed else ""
    verb = "changed" if say.before else "took"
    row = say.after.get("row", "a row")
    return [f"{verb} {row} into the consensus of the study ", study, how]


def _extraction_settings(say: Say) -> list[Part]:
    return [f"changed the extraction settings: {changes(say.before, say.after)}"]


def _analysis_save(say: Say) -> list[Part]:
    title = say.after.get("title", "an analysis")
    if not say.before:
        return [f"defined the meta-analysis {title}"]
    return [f"changed the meta-analysis {title}: {changes(say.before, say.after)}"]


def _analysis_delete(say: Say) -> list[Part]:
    return [f"deleted the meta-analysis {say.before.get('title', '')}"]


def _grade_save(say: Say) -> list[Part]:
    title = say.after.get("title", "an outcome")
    if not say.before:
        return [f"judged the certainty of the evidence (GRADE) for {title}"]
    return [f"changed the GRADE judgements for {title}: {changes(say.before, say.after)}"]


DESCRIBERS: dict[str, Callable[[Say], list[Part]]] = {
    AuditAction.REVIEW_CREATE: _review_create,
    AuditAction.MEMBER_INVITE: _member_invite,
    AuditAction.MEMBER_JOIN: _member_join,
    AuditAction.MEMBER_ROLE: _member_role,
    AuditAction.MEMBER_REMOVE: _member_remove,
    AuditAction.SOURCE_CREATE: _source,
    AuditAction.IMPORT: _import,
    AuditAction.PUBMED_RUN: _pubmed_run,
    AuditAction.PUBMED_CANCEL: _pubmed_cancel,
    AuditAction.DECISIONS_IMPORT: _decisions_import,
    AuditAction.SEARCH_SCHEDULE: _search_schedule,
    AuditAction.SEARCH_DOCUMENT: _search_document,
    AuditAction.DUPLICATE_MERGE: _duplicate_merge,
    AuditAction.DUPLICATE_REJECT: _duplicate_reject,
    AuditAction.DUPLICATE_UNDO: _duplicate_undo,
    AuditAction.ROB_START: _rob_start,
    AuditAction.ROB_SUBMIT: _rob_submit,
    AuditAction.ROB_CONSENSUS: _rob_consensus,
    AuditAction.ROB_SETTINGS: _rob_settings,
    AuditAction.CUSTOM_FIELD: _custom_field,
    AuditAction.STUDY_CREATE: _study_create,
    AuditAction.STUDY_EDIT: _study_edit,
    AuditAction.STUDY_DELETE: _study_delete,
    AuditAction.REPORT_LINK: _report_link,
    AuditAction.REPORT_UNLINK: _report_unlink,
    AuditAction.REPORT_PRIMARY: _report_primary,
    AuditAction.EXTRACTION_EDIT: _extraction_edit,
    AuditAction.EXTRACTION_DELETE: _extraction_delete,
    AuditAction.ENTRY_START: _entry_start,
    AuditAction.ENTRY_SUBMIT: _entry_submit,
    AuditAction.ENTRY_CONSENSUS: _entry_consensus,
    AuditAction.EXTRACTION_SETTINGS: _extraction_settings,
    AuditAction.ANALYSIS_SAVE: _analysis_save,
    AuditAction.ANALYSIS_DELETE: _analysis_delete,
    AuditAction.GRADE_SAVE: _grade_save,
}
