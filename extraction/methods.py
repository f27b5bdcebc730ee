"""The methods paragraph of PRISMA 2020 item 9 (data collection process), written from the audit
log: how many people extracted each study and whether independently (the entries' submissions,
the single entries of the consensus), and how disagreements were resolved (the consensus's
events: which rows the entries disagreed on, who took the values)."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.contrib.auth import get_user_model

from screening.constants import AuditAction
from screening.models import AuditEvent, Review

from .models import Study

NUMBERS = {1: "one", 2: "two", 3: "three"}


def _n(count: int, word: str, plural: str = "") -> str:
    return f"{NUMBERS.get(count, str(count))} {word if count == 1 else (plural or word + 's')}"


def _names(studies: list[Study]) -> str:
    """ "A", "A and B", "A, B and C"."""
    names = [str(study) for study in studies]
    return " and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else names[0]


def methods_paragraph(review: Review, studies: list[Study] | None = None) -> str:
    """The paragraph, or "" while no study has data. `studies`: the review's, if the caller
    has them already."""
    if studies is None:
        studies = list(Study.objects.in_review(review))
    studies = {study.pk: study for study in studies}
    events = AuditEvent.objects.in_review(review).filter(
        action__in=[
            AuditAction.ENTRY_SUBMIT,
            AuditAction.ENTRY_CONSENSUS,
            AuditAction.EXTRACTION_EDIT,
        ]
    )
    submitted: defaultdict[int, set] = defaultdict(set)  # study -> who submitted an entry
    entered: defaultdict[int, set] = defaultdict(set)  # study -> who wrote its consensus rows
    resolved_rows, resolved_values = Counter(), Counter()  # study -> disagreements settled
    resolvers: Counter = Counter()
    for action, actor, after in events.values_list("action", "actor_id", "after"):
        study = (after or {}).get("study")
        if study not in studies:
            continue
        if action == AuditAction.ENTRY_SUBMIT:
            submitted[study].add(actor)
        elif action == AuditAction.ENTRY_CONSENSUS:
            disagreed = after.get("disagreed") or []
            if disagreed:
                resolved_rows[study] += 1
                resolved_values[study] += len(disagreed)
                resolvers[actor] += 1
        else:
            entered[study].add(actor)
    double = [studies[pk] for pk in studies if len(submitted[pk]) >= 2]
    single = [
        studies[pk] for pk in studies if len(submitted[pk]) < 2 and (entered[pk] or submitted[pk])
    ]
    if not double and not single:
        return ""
    parts = []
    total = len(double) + len(single)
    parts.append(f"Data were extracted from {_n(total, 'study', 'studies')}.")
    if double:
        per_study = Counter(len(submitted[s.pk]) for s in double)
        how = " and ".join(
            f"{_n(count, 'study', 'studies')} by {_n(people, 'reviewer')}"
            for people, count in sorted(per_study.items())
        )
        rows = sum(resolved_rows[s.pk] for s in double)
        values = sum(resolved_values[s.pk] for s in double)
        names = dict(
            get_user_model().objects.filter(pk__in=resolvers).values_list("pk", "username")
        )
        who = ", ".join(names.get(pk, "the system") for pk in resolvers) or "no one"
        resolved = (
            f"The entries disagreed on {_n(values, 'value')} in {_n(rows, 'row')}, resolved by "
            f"consensus ({who}), each value taken from one of the entries"
            if rows
            else "The entries agreed throughout"
        )
        parts.append(
            f"{_names(double)} were extracted independently ({how}), each extractor blind to "
            "the others' entry until all were submitted, on a form with the same fields. "
            f"{resolved}; the consensus values are those reported, each linked to the entries "
            "it came from and to its report."
        )
    if single:
        people = Counter(len(entered[s.pk] | submitted[s.pk]) for s in single)
        how = ", ".join(
            f"{_n(count, 'study', 'studies')} by {_n(n, 'person', 'people')}"
            for n, count in sorted(people.items())
        )
        parts.append(
            f"{_names(single)} were extracted without independent entries ({how}), not "
            "checked by a second extractor."
        )
    parts.append(
        "Each entry's submission is in the review's audit log with a digest of its content."
        if double
        else "Every value's entry and change is in the review's audit log."
    )
    return " ".join(parts)
