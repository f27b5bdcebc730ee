"""The cache of screening states: ScreeningItem, Vote, StageCount and ReviewerCount, kept in
step with the log.

Every write adds to the log (Decision, Removal, FullText) and then calls `items_refresh` in the
same transaction: it recomputes the references' states with the pure functions of
decisions/states.py and brings the cache in line, counters included (through
counters.counters_add, as the import counts its records). `screening_state --check` recomputes
it all and reports any difference (`cache_differences`); `--fix` rebuilds it (`cache_rebuild`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

from django.db import transaction

from screening.constants import (
    ItemState,
    RemovalReason,
    SourceKind,
    Stage,
)
from screening.decisions.counters import (
    ItemKey,
    counter_differences,
    counters_add,
    counters_clear,
    item_key,
    records_from_log,
)
from screening.decisions.queue import rank_for
from screening.decisions.states import DecisionFact, Outcome, ReferenceFacts, reference_outcomes
from screening.models import (
    Decision,
    FullText,
    Record,
    Removal,
    Review,
    ScreeningItem,
    Vote,
)
from screening.prioritisation.bookkeeping import (
    ranking_request,
)

CHUNK = 2000


# --- The cache --------------------------------------------------------------------------------


def _chunks(values: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def reference_facts(review: Review, reference_ids: list[int]) -> dict[int, ReferenceFacts]:
    """What the log says of these references, as the state functions take it."""
    kinds: dict[int, set[str]] = defaultdict(set)
    for ref_id, kind in (
        Record.objects.in_review(review)
        .filter(reference_id__in=reference_ids)
        .values_list("reference_id", "search__source__kind")
        .distinct()
    ):
        kinds[ref_id].add(kind)
    removed: dict[int, tuple[bool, str]] = {}
    for ref_id, is_removed, reason in (
        Removal.objects.in_review(review)
        .filter(reference_id__in=reference_ids)
        .order_by("id")
        .values_list("reference_id", "removed", "reason")
    ):
        removed[ref_id] = (is_removed, reason)  # the latest holds
    full_text: dict[int, str] = {}
    for ref_id, status in (
        FullText.objects.in_review(review)
        .filter(reference_id__in=reference_ids)
        .order_by("id")
        .values_list("reference_id", "status")
    ):
        full_text[ref_id] = status
    decisions: dict[int, dict[str, list[DecisionFact]]] = defaultdict(lambda: defaultdict(list))
    for row in (
        Decision.objects.in_review(review)
        .filter(reference_id__in=reference_ids)
        .order_by("id")
        .values_list(
            "id",
            "reference_id",
            "stage",
            "kind",
            "reviewer_id",
            "verdict",
            "reason_id",
            "reviewers_required",
            "reasons_conflict",
        )
    ):
        decision_id, ref_id, stage, kind, reviewer, verdict, reason, required, conflict = row
        decisions[ref_id][stage].append(
            DecisionFact(decision_id, kind, reviewer, verdict, reason, required, conflict)
        )
    facts = {}
    for ref_id in reference_ids:
        found = kinds.get(ref_id, set())
        if found - SourceKind.other_methods():
            entry = Stage.TITLE_ABSTRACT
        elif found:
            entry = Stage.RETRIEVAL
        else:
            entry = None  # no record points at it any more (merged into another reference)
        facts[ref_id] = ReferenceFacts(
            entry=entry,
            removed=removed.get(ref_id, (False, ""))[0],
            automated=removed.get(ref_id, (False, ""))[1] == RemovalReason.AUTOMATION,
            decisions=dict(decisions.get(ref_id, {})),
            full_text=full_text.get(ref_id),
        )
    return facts


def items_refresh(*, review: Review, reference_ids: Iterable[int]) -> None:
    """Recompute these references' states and bring the cache in line. Call inside the
    transaction that changed the log."""
    ids = sorted(set(reference_ids))
    stage_delta: Counter = Counter()
    reviewer_delta: Counter = Counter()
    for chunk in _chunks(ids):
        _refresh_chunk(review, chunk, stage_delta, reviewer_delta)
    counters_add(review=review, items=stage_delta, reviewers=reviewer_delta)


def items_create_new(*, review: Review, reference_ids: list[int], source_kind: str) -> None:
    """Items for references an import has just made: they have no decision, removal or full
    text yet, and all their records come from one source, so their state is known without
    reading anything (the fast path of items_refresh, for imports of 100,000 records)."""
    if not reference_ids:
        return
    if source_kind in SourceKind.other_methods():
        stage, state = Stage.RETRIEVAL, ItemState.AWAITING_RETRIEVAL
    else:
        stage, state = Stage.TITLE_ABSTRACT, ItemState.AWAITING
    ScreeningItem.objects.bulk_create(
        [
            ScreeningItem(
                review=review,
                reference_id=ref_id,
                stage=stage,
                state=state,
                rank=rank_for(review.pk, ref_id),
                waiting=state in ItemState.pending(),
                entry=stage,
            )
            for ref_id in reference_ids
        ],
        batch_size=1000,
    )
    counters_add(review=review, items={ItemKey(stage, state, stage): len(reference_ids)})
    if stage == Stage.TITLE_ABSTRACT:
        # New records to rank: the retrain fits their text features once, off the request.
        ranking_request(review)


def _refresh_chunk(review, chunk, stage_delta: Counter, reviewer_delta: Counter) -> None:
    facts = reference_facts(review, chunk)
    existing = {
        (item.reference_id, item.stage): item
        for item in ScreeningItem.objects.in_review(review).filter(reference_id__in=chunk)
    }
    votes: dict[int, dict[int, Vote]] = defaultdict(dict)
    for vote in Vote.objects.filter(item__in=[item.pk for item in existing.values()]):
        votes[vote.item_id][vote.reviewer_id] = vote

    wanted: dict[tuple[int, str], Outcome] = {}
    entries: dict[int, str] = {}
    for ref_id in chunk:
        entries[ref_id] = facts[ref_id].entry or ""
        for stage, outcome in reference_outcomes(facts[ref_id]).items():
            wanted[(ref_id, stage)] = outcome

    items = _refresh_items(review, existing, votes, wanted, entries, stage_delta, reviewer_delta)
    _refresh_votes(review, items, votes, wanted, reviewer_delta)


def _refresh_items(review, existing, votes, wanted, entries, stage_delta, reviewer_delta) -> dict:
    """Make, update and delete the items so that they hold the wanted outcomes; the items
    that stay or were made, by (reference, stage)."""
    to_create, to_update = [], []
    for key, outcome in wanted.items():
        item = existing.get(key)
        fields = {
            "state": outcome.state,
            "verdict": outcome.verdict,
            "reason_id": outcome.reason,
            "resolved": outcome.resolved,
            "votes": outcome.vote_count,
            "waiting": outcome.state in ItemState.pending(),
            "entry": entries[key[0]],
        }
        if item is None:
            to_create.append(
                ScreeningItem(
                    review=review,
                    reference_id=key[0],
                    stage=key[1],
                    rank=rank_for(review.pk, key[0]),
                    **fields,
                )
            )
            stage_delta[ItemKey(key[1], outcome.state, entries[key[0]], outcome.reason)] += 1
        elif any(getattr(item, name) != value for name, value in fields.items()):
            stage_delta[item_key(item)] -= 1
            for name, value in fields.items():
                setattr(item, name, value)
            stage_delta[item_key(item)] += 1
            to_update.append(item)
    gone = [item for key, item in existing.items() if key not in wanted]
    for item in gone:
        stage_delta[item_key(item)] -= 1
        for reviewer_id in votes.get(item.pk, {}):
            reviewer_delta[(item.stage, reviewer_id)] -= 1
    if gone:
        ScreeningItem.objects.filter(pk__in=[item.pk for item in gone]).delete()  # votes go too
    ScreeningItem.objects.bulk_create(to_create, batch_size=1000)
    _update(
        ScreeningItem,
        to_update,
        ["state", "verdict", "reason_id", "resolved", "votes", "waiting", "entry"],
    )

    return {(i.reference_id, i.stage): i for i in [*to_create, *existing.values()] if i not in gone}


def _refresh_votes(review, items, votes, wanted, reviewer_delta) -> None:
    """The live votes of every item that stays or was made."""
    vote_create, vote_update, vote_delete = [], [], []
    for key, outcome in wanted.items():
        item = items[key]
        have = votes.get(item.pk, {})
        for reviewer_id, decision in outcome.votes.items():
            vote = have.get(reviewer_id)
            if vote is None:
                vote_create.append(
                    Vote(
                        item=item,
                        review=review,
                        stage=item.stage,
                        reviewer_id=reviewer_id,
                        decision_id=decision.id,
                        verdict=decision.verdict,
                    )
                )
                reviewer_delta[(item.stage, reviewer_id)] += 1
            elif vote.decision_id != decision.id:
                vote.decision_id, vote.verdict = decision.id, decision.verdict
                vote_update.append(vote)
        for reviewer_id, vote in have.items():
            if reviewer_id not in outcome.votes:
                vote_delete.append(vote.pk)
                reviewer_delta[(item.stage, reviewer_id)] -= 1
    Vote.objects.filter(pk__in=vote_delete).delete()
    Vote.objects.bulk_create(vote_create, batch_size=1000)
    _update(Vote, vote_update, ["decision_id", "verdict"])


def _update(model, objects: list, fields: list[str]) -> None:
    """Save these fields of these rows. A decision changes one or two: an UPDATE each is far
    cheaper to build than bulk_update's CASE per field, which pays off for many rows only."""
    if len(objects) > 5:
        model.objects.bulk_update(objects, fields, batch_size=1000)
        return
    for obj in objects:
        model.objects.filter(pk=obj.pk).update(**{name: getattr(obj, name) for name in fields})


# --- Checking the cache ------------------------------------------------------------------------


def cache_differences(review: Review) -> list[str]:
    """Recompute every reference's states from the log and compare them with the cache (items,
    live votes, counters). Returns one sentence per difference; none when all agree."""
    differences: list[str] = []
    reference_ids = sorted(
        set(Record.objects.in_review(review).values_list("reference_id", flat=True))
        | set(ScreeningItem.objects.in_review(review).values_list("reference_id", flat=True))
    )
    stage_counts: Counter = Counter()
    reviewer_counts: Counter = Counter()
    for chunk in _chunks(reference_ids):
        facts = reference_facts(review, chunk)
        cached = {
            (item.reference_id, item.stage): item
            for item in ScreeningItem.objects.in_review(review).filter(reference_id__in=chunk)
        }
        cached_votes: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
        for ref_id, stage, reviewer_id, decision_id in Vote.objects.filter(
            item__review=review, item__reference_id__in=chunk
        ).values_list("item__reference_id", "stage", "reviewer_id", "decision_id"):
            cached_votes[(ref_id, stage)][reviewer_id] = decision_id
        for ref_id in chunk:
            wanted = reference_outcomes(facts[ref_id])
            for stage, outcome in wanted.items():
                stage_counts[
                    ItemKey(stage, outcome.state, facts[ref_id].entry or "", outcome.reason)
                ] += 1
                for reviewer_id in outcome.votes:
                    reviewer_counts[(stage, reviewer_id)] += 1
                item = cached.get((ref_id, stage))
                where = f"reference {ref_id} at {stage}"
                if item is None:
                    differences.append(f"{where}: no cached state; it should be {outcome.state}")
                    continue
                got = (item.state, item.verdict, item.reason_id, item.resolved, item.votes)
                if item.entry != (facts[ref_id].entry or ""):
                    differences.append(f"{where}: cached entry {item.entry!r}")
                if item.waiting != (item.state in ItemState.pending()):
                    differences.append(f"{where}: its waiting flag disagrees with its state")
                want = (
                    outcome.state,
                    outcome.verdict,
                    outcome.reason,
                    outcome.resolved,
                    outcome.vote_count,
                )
                if got != want:
                    differences.append(f"{where}: cached {_plain(got)}, computed {_plain(want)}")
                want_votes = {r: d.id for r, d in outcome.votes.items()}
                if cached_votes.get((ref_id, stage), {}) != want_votes:
                    differences.append(
                        f"{where}: cached votes {cached_votes.get((ref_id, stage), {})}, "
                        f"computed {want_votes}"
                    )
            for ref_stage in cached:
                if ref_stage[0] == ref_id and ref_stage[1] not in wanted:
                    differences.append(
                        f"reference {ref_id} at {ref_stage[1]}: cached, but it has not reached "
                        "that stage"
                    )
    differences += counter_differences(
        review, items=stage_counts, reviewers=reviewer_counts, records=records_from_log(review)
    )
    return differences


def _plain(values: tuple) -> tuple:
    """Choices as their plain values, for a message."""
    return tuple(str(v) if isinstance(v, str) else v for v in values)


@transaction.atomic
def cache_rebuild(review: Review) -> None:
    """Throw the cache away and compute it again from the log."""
    ScreeningItem.objects.in_review(review).delete()
    counters_clear(review)
    counters_add(review=review, records=records_from_log(review))
    reference_ids = Record.objects.in_review(review).values_list("reference_id", flat=True)
    items_refresh(review=review, reference_ids=reference_ids)
