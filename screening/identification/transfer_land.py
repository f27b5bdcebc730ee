"""Landing another tool's decisions (transfer.py reads them) with the file's records.

The person importing maps each of the file's reviewers to a member of the review (several to
one "imported" member if they like), or chooses to import the records only. On confirm, in
the import's own transaction, each decision lands through `decision_record` as the vote of
that member at its stage, with its reason (created by label if the review lacks it) and
`imported_from` set to the file's search; one DECISIONS_IMPORT event counts them. A decision
that cannot land fails the whole import: nothing of it is added, and the person reads why.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction

from references.models import Reference
from screening.audit.chain import audit_record
from screening.constants import (
    EDITOR_ROLES,
    AuditAction,
    JobStatus,
    ReasonStages,
    Stage,
    Verdict,
)
from screening.decisions.review_settings import reason_create, reason_update
from screening.decisions.services import ScreeningRefused, decision_record
from screening.identification.imports import ImportRefused
from screening.identification.transfer import (
    COVIDENCE_LISTS,
    SETTLING_TOOLS,
    TOOL_LABELS,
    FileVote,
    Reading,
    transfer_preview,
    transfer_read,
)
from screening.models import ExclusionReason, ImportJob, Membership, Record, Review, Search

MAX_LABEL = 200  # ExclusionReason.label


# --- Reads for the preview ----------------------------------------------------------------------


def transfer_of(job: ImportJob) -> dict:
    """The preview of the job's file's decisions ({} when it carries none)."""
    return (job.preview or {}).get("transfer") or {}


def editor_choices(review: Review) -> list[tuple[int, str]]:
    """The members a file's reviewer can be mapped to: those who screen."""
    members = (
        Membership.objects.in_review(review)
        .filter(role__in=EDITOR_ROLES)
        .select_related("user")
        .order_by("user__username")
    )
    return [(m.user_id, _member_label(m)) for m in members]


def _member_label(membership: Membership) -> str:
    name = membership.user.get_full_name() or membership.user.get_username()
    return f"{name} ({membership.get_role_display().lower()})"


def missing_reason_label(tool: str) -> str:
    return f"No reason recorded in {TOOL_LABELS.get(tool, tool)}"


def _needs_reason(review: Review, stage: str) -> bool:
    return review.reason_required(stage)


def reasons_wanted(review: Review, transfer: dict) -> dict[str, set[str]]:
    """Each reason label the file's exclusions need, with the stages it is needed at."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for reason in transfer.get("reasons", []):
        wanted[reason["label"][:MAX_LABEL].strip()].add(reason["stage"])
    for stage, n in (transfer.get("without_reason") or {}).items():
        if n and _needs_reason(review, stage):
            wanted[missing_reason_label(transfer["tool"])].add(stage)
    return wanted


def _existing_reasons(review: Review) -> dict[str, ExclusionReason]:
    return {
        reason.label.strip().lower(): reason
        for reason in ExclusionReason.objects.in_review(review).filter(retired=False)
    }


def reasons_plan(review: Review, transfer: dict) -> list[dict]:
    """What confirming does to the review's reasons: for each label the file needs, whether an
    existing reason is used, made usable at another stage too, or created."""
    existing = _existing_reasons(review)
    plan = []
    for label, stages in sorted(reasons_wanted(review, transfer).items()):
        reason = existing.get(label.lower())
        if reason is None:
            action = "create"
        elif all(reason.usable_at(stage) for stage in stages):
            action = "use"
        else:
            action = "widen"
        names = [Stage(stage).label.lower() for stage in Stage.screened() if stage in stages]
        plan.append({"label": label, "stages": " and ".join(names), "action": action})
    return plan


# --- The mapping ----------------------------------------------------------------------------------


def mapping_problem(job: ImportJob) -> str:
    """Why confirming may not go ahead yet ("" when it may): a file with decisions needs each
    of its reviewers mapped to a member (or the records only), a Covidence file its list."""
    transfer, mapping = transfer_of(job), job.decision_mapping or {}
    if not transfer or mapping.get("records_only"):
        return ""
    if transfer.get("kinds") and not (mapping.get("kind") or transfer.get("kind")):
        return (
            f"Say which {transfer['tool_label']} list the file is an export of, or import the "
            "records only."
        )
    mapped = mapping.get("reviewers") or {}
    unmapped = [r["name"] for r in transfer.get("reviewers", []) if not mapped.get(r["name"])]
    if transfer.get("decisions") and unmapped:
        return (
            f"The file holds {transfer['decisions']} {transfer['tool_label']} decisions. Say "
            "which member's decisions those of "
            + ", ".join(f"'{name}'" for name in unmapped)
            + " are, or import the records only, before importing it."
        )
    return ""


def transfer_ready(job: ImportJob) -> None:
    """Refuse to queue an import whose file has decisions no one said what to do with."""
    problem = mapping_problem(job)
    if problem:
        raise ImportRefused(problem)


def shared_members(mapping: dict | None) -> list[list[str]]:
    """The file's reviewers mapped to one member, in groups: on a reference several of them
    decided, that member's later decision supersedes the earlier (all stay in the log)."""
    groups: dict[int, list[str]] = defaultdict(list)
    for name, user_id in ((mapping or {}).get("reviewers") or {}).items():
        groups[user_id].append(name)
    return [sorted(names) for names in groups.values() if len(names) > 1]


@transaction.atomic
def decision_mapping_save(*, job: ImportJob, mapping: dict) -> ImportJob:
    """Keep what the person said: `reviewers` (file reviewer -> user id), `records_only`,
    `kind` (Covidence's list). A new list reads the file's decisions again for the preview."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    transfer = transfer_of(job)
    if job.status != JobStatus.PREVIEWED:
        raise ImportRefused("The import has been confirmed already: its mapping is as it was.")
    if not transfer:
        raise ImportRefused("The file holds no other tool's decisions.")
    allowed = {user_id for user_id, _ in editor_choices(job.review)}
    reviewers = {
        name: user_id
        for name, user_id in (mapping.get("reviewers") or {}).items()
        if user_id in allowed
    }
    kind = mapping.get("kind", transfer.get("kind", ""))
    records_only = bool(mapping.get("records_only"))
    if transfer["tool"] == "covidence" and kind not in COVIDENCE_LISTS and not records_only:
        raise ImportRefused("Say which Covidence list the file is an export of.")
    if transfer["tool"] == "covidence" and kind in COVIDENCE_LISTS and kind != transfer.get("kind"):
        transfer = transfer_preview(
            path=job.file.path, file_format=job.format or "auto", file_name=job.file_name, kind=kind
        )
        job.preview = {**job.preview, "transfer": transfer}
    job.decision_mapping = {
        "reviewers": reviewers,
        "records_only": records_only,
        "kind": kind,
    }
    job.save(update_fields=["preview", "decision_mapping"])
    return job


# --- Landing -----------------------------------------------------------------------------------


def _members(review: Review, mapping: dict, reading: Reading) -> dict[str, Membership]:
    memberships = {
        m.user_id: m
        for m in Membership.objects.in_review(review)
        .filter(role__in=EDITOR_ROLES)
        .select_related("user")
    }
    members = {}
    for name in {vote.reviewer for vote in reading.votes}:
        membership = memberships.get((mapping.get("reviewers") or {}).get(name))
        if membership is None:
            raise ImportRefused(
                f"The file's reviewer '{name}' is not mapped to a member who screens in this "
                "review. Map them again on the import's page."
            )
        members[name] = membership
    return members


def _reasons(review: Review, reading: Reading, user, transfer: dict) -> dict[str, ExclusionReason]:
    """The review's reason of each label the decisions need, made or widened if need be."""
    existing = _existing_reasons(review)
    reasons = {}
    for label, stages in reasons_wanted(review, transfer).items():
        reason = existing.get(label.lower())
        try:
            if reason is None:
                scope = next(iter(stages)) if len(stages) == 1 else ReasonStages.BOTH
                reason = reason_create(review=review, user=user, label=label, stages=scope)
            elif not all(reason.usable_at(stage) for stage in stages):
                reason = reason_update(reason=reason, user=user, stages=ReasonStages.BOTH)
        except ValidationError as error:
            raise ImportRefused(
                f"The exclusion reason '{label}' the file's decisions need cannot be made "
                f"usable: {' '.join(error.messages)} Nothing was imported."
            ) from error
        reasons[label.lower()] = reason
    return reasons


def _reason_for(vote: FileVote, review: Review, tool: str, reasons: dict) -> ExclusionReason | None:
    if vote.verdict != Verdict.EXCLUDE:
        return None
    label = vote.reason[:MAX_LABEL].strip()
    if not label and _needs_reason(review, vote.stage):
        label = missing_reason_label(tool)
    return reasons.get(label.lower()) if label else None


def _note(vote: FileVote, reason: ExclusionReason | None, tool: str) -> str:
    """The vote's note, and the reason as the tool wrote it when the review's reads otherwise."""
    if reason is None or not vote.reason or vote.reason.strip() == reason.label:
        return vote.note
    return "\n".join(filter(None, [vote.note, f"{TOOL_LABELS[tool]} reason: {vote.reason}"]))


def _in_order(votes: list[FileVote]) -> list[FileVote]:
    """Title and abstract first (a full-text decision needs its reference there), then in file
    order: a reviewer's later decision on the same reference supersedes the earlier."""
    stage_order = {stage: n for n, stage in enumerate(Stage.screened())}
    return sorted(votes, key=lambda vote: stage_order[vote.stage])


@transaction.atomic
def transfer_land(*, job: ImportJob, search: Search) -> int | None:
    """Land the job's file's decisions as decisions of the review, inside the import's
    transaction; the number landed, or None when there were none to land (or the person chose
    the records only). Every decision read lands, or ImportRefused undoes the whole import."""
    transfer, mapping = transfer_of(job), job.decision_mapping or {}
    if not transfer.get("decisions") or mapping.get("records_only"):
        return None
    transfer_ready(job)
    review = job.review
    reading = transfer_read(
        path=job.file.path,
        file_format=job.format or "auto",
        file_name=job.file_name,
        kind=mapping.get("kind", transfer.get("kind")),
    )
    members = _members(review, mapping, reading)
    reasons = _reasons(review, reading, job.created_by, transfer)
    positions = dict(Record.objects.filter(search=search).values_list("position", "reference_id"))
    references = Reference.objects.in_bulk(set(positions.values()))
    required = 1 if reading.tool in SETTLING_TOOLS else None
    landed: Counter = Counter()
    for vote in _in_order(reading.votes):
        member = members[vote.reviewer]
        reason = _reason_for(vote, review, reading.tool, reasons)
        try:
            decision_record(
                review=review,
                reference=references[positions[vote.position]],
                stage=vote.stage,
                reviewer=member.user,
                verdict=vote.verdict,
                reason=reason,
                note=_note(vote, reason, reading.tool),
                membership=member,
                imported_from=search,
                reviewers_required=required,
            )
        except ScreeningRefused as error:
            raise ImportRefused(_why_not(vote, error)) from error
        landed[(vote.stage, vote.verdict)] += 1
    _audit(job, search, reading, members, landed)
    return sum(landed.values())


def _why_not(vote: FileVote, error: ScreeningRefused) -> str:
    return (
        f"Entry {vote.position}'s {Stage(vote.stage).label.lower()} decision by "
        f"'{vote.reviewer}' cannot land in this review: {error} Nothing was imported; "
        "import the file into a database or register source, or import the records only."
    )


def _audit(job, search, reading: Reading, members, landed: Counter) -> None:
    audit_record(
        review=job.review,
        actor=job.created_by,
        action=AuditAction.DECISIONS_IMPORT,
        obj=search,
        after={
            "file_name": search.file_name,
            "tool": reading.tool,
            "kind": reading.kind,
            "decisions": sum(landed.values()),
            "read": len(reading.votes),
            "counts": {
                stage: {verdict: landed[(stage, verdict)] for verdict in Verdict.values}
                for stage in Stage.screened()
            },
            "implied": sum(vote.implied for vote in reading.votes),
            "reviewers": {name: m.user.get_username() for name, m in sorted(members.items())},
        },
    )


def imported_count(search: Search | None) -> int:
    """How many decisions the search's file brought (the import page says it)."""
    if search is None:
        return 0
    return search.imported_decisions.count()
