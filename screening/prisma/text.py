"""Text for the paper, from the review's settings and data: the methods paragraph of PRISMA item 8
(selection process) and the table of PRISMA item 16b (reports excluded at full text, each with
its reason)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count

from references.models import Reference
from screening.constants import DecisionKind, ItemState, SearchMethod, Stage
from screening.models import Decision, Ranking, Review, ScreeningItem, Search
from screening.prioritisation.config import MIN_EXCLUDES, MIN_INCLUDES, WARM_UP, described
from screening.prisma.counts import PrismaReport
from screening.stopping.rule import describe
from screening.stopping.services import applied_sample, stopping_status

TA, FT = Stage.TITLE_ABSTRACT, Stage.FULL_TEXT


def _reviewers_sentence(review: Review, stage: str, noun: str, done: str, count: int) -> str:
    """E.g. "4 records were screened on title and abstract by two reviewers, ..." """
    decisions = Decision.objects.in_review(review).filter(stage=stage, kind=DecisionKind.VOTE)
    reviewers = decisions.values("reviewer").distinct().count()
    required = dict(decisions.values_list("reviewers_required").annotate(n=Count("id")).order_by())
    if not decisions.exists():
        return f"No {noun} has been {done} yet."
    if set(required) == {2}:
        how = "by two reviewers, independently" + (
            ", each blind to the other's decision" if review.blind else ""
        )
    elif set(required) == {1}:
        how = "by one reviewer"
    else:
        how = (
            f"by two reviewers independently for {required.get(2, 0):,} decisions and by one "
            f"reviewer for {required.get(1, 0):,} (the review's setting changed during screening)"
        )
    return (
        f"{_plural(count, noun)} {_were(count)} {done} {how}; {reviewers} reviewer"
        f"{'s' if reviewers != 1 else ''} took part."
    )


def _plural(n: int, word: str, plural: str = "") -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _were(n: int) -> str:
    return "was" if n == 1 else "were"


def methods_paragraph(review: Review, report: PrismaReport) -> str:
    """A draft of the selection process (PRISMA item 8), every number from the data."""
    databases = [name for name, _ in report.database_specific_results]
    registers = [name for name, _ in report.register_specific_results]
    other = report.website_results + report.organisation_results + report.citations_results
    identified = f"Records were identified from {_plural(len(databases), 'database')}"
    if databases:
        identified += f" ({', '.join(databases)})"
    if registers:
        identified += f" and {_plural(len(registers), 'register')} ({', '.join(registers)})"
    if other:
        identified += f", and {_plural(other, 'record')} by other methods"
    deduplicated = (
        f"{_plural(report.duplicates, 'duplicate record')} {_were(report.duplicates)} removed: "
        "records with the same PMID, the same DOI, or the same title, year and first author "
        "were merged on import, and near duplicates (titles at least 92% alike) were checked "
        "by a person"
    )
    if report.excluded_other:
        deduplicated += (
            f"; {_plural(report.excluded_other, 'record')} {_were(report.excluded_other)} removed "
            "before screening, each "
            "with its reason"
        )
    parts = [
        identified + ".",
        deduplicated + ".",
        _reviewers_sentence(
            review, TA, "record", "screened on title and abstract", report.records_screened
        ),
        _reviewers_sentence(
            review,
            FT,
            "report",
            "assessed in full text",
            report.dbr_assessed + report.other_assessed,
        ),
    ]
    resolved = Decision.objects.in_review(review).filter(kind=DecisionKind.RESOLUTION)
    if resolved.exists():
        resolvers = resolved.values("reviewer").distinct().count()
        who = "a third person" if resolvers == 1 else f"{resolvers} designated resolvers"
        parts.append(
            f"Disagreements ({resolved.count():,}) were resolved by {who}, whose decision was "
            "recorded alongside both original decisions."
        )
    else:
        parts.append(
            "Disagreements were to be resolved by the review's owner or a designated resolver; "
            "none has been resolved yet."
        )
    if report.new_reports:
        parts.append(
            f"{_plural(report.new_reports, 'report')} {_were(report.new_reports)} included, "
            f"describing {_plural(report.new_studies, 'study', 'studies')}"
            "; reports of the same study were linked to it by a person."
        )
    tools = (
        "Screening was done in this application (independent screening, exclusion reasons, "
        "and an append-only, hash-chained audit log)"
    )
    if (
        Search.objects.in_review(review)
        .filter(method__in=[SearchMethod.PUBMED_QUERY, SearchMethod.PUBMED_PMIDS])
        .exists()
    ):
        tools += "; PubMed was searched through NCBI's E-utilities (Biopython)"
    stopped = _stopping_sentence(review)
    parts.append(tools + ("." if stopped else "; no automation tool excluded records."))
    parts.extend(sentence for sentence in (_order_sentence(review), stopped) if sentence)
    return " ".join(parts)


def _rankers_used(review: Review) -> list[str]:
    """The rankers of the review's latest order (chooser.py), TF-IDF alone before them."""
    ranking = Ranking.objects.filter(review=review, stage=TA).first()
    picks = (ranking.ranker_record or {}).get("picks") if ranking else None
    return [name for name in ("tfidf", "lsa", "embedding") if picks and name in picks] or ["tfidf"]


def _order_sentence(review: Review) -> str:
    """Which order titles and abstracts were screened in, from what each decision recorded."""
    votes = Decision.objects.in_review(review).filter(stage=TA, kind=DecisionKind.VOTE)
    total = votes.count()
    if not total:
        return ""
    ranked = votes.exclude(ranking_version=None)
    count = ranked.count()
    if not count:
        return "Titles and abstracts were screened in a random order."
    versions = ranked.values("ranking_version").distinct().count()
    sentence = (
        "Titles and abstracts were screened in order of predicted relevance (active learning: "
        f"{described(rankers=_rankers_used(review))}, retrained in the background after "
        "every decision for the first "
        f"{WARM_UP} records, then every {settings.RANKING_RETRAIN_EVERY} decisions or "
        f"{settings.RANKING_RETRAIN_SECONDS} seconds; {_plural(versions, 'model version')} "
        "served records): "
        f"{count:,} of {total:,} decisions were made on records the model had ranked"
    )
    if count < total:
        sentence += (
            ", the others in a random order (before the model had at least "
            f"{_plural(MIN_INCLUDES, 'relevant')} and "
            f"{_plural(MIN_EXCLUDES, 'irrelevant')} record to learn from"
            + ("" if review.prioritise else ", or with prioritisation switched off")
            + ")"
        )
    return sentence + "."


def _stopping_sentence(review: Review) -> str:
    sample = applied_sample(review)
    if sample is None:
        return ""
    test = stopping_status(sample).test
    return (
        "Screening stopped before every record had been screened, under the hypergeometric "
        "stopping rule of Callaghan & Müller-Hansen (2020), with a recall target of "
        f"{sample.target:.0%} at {sample.confidence:.0%} confidence. {describe(test)} The "
        f"{_plural(sample.marked or 0, 'record')} left unscreened {_were(sample.marked or 0)} "
        "reported as marked ineligible by automation tools."
    )


def excluded_reports(review: Review):
    """PRISMA item 16b: each report excluded at full text, with the reason that counts and the
    column it came from; in citation order."""
    items = (
        ScreeningItem.objects.in_review(review)
        .filter(stage=FT, state=ItemState.EXCLUDED)
        .select_related("reason")
        .order_by("reference_id")
    )
    reasons = {item.reference_id: item for item in items}
    for reference in Reference.objects.filter(pk__in=reasons).order_by("authors", "year"):
        item = reasons[reference.pk]
        yield {
            "reference_id": reference.pk,
            "citation": reference.citation,
            "doi": reference.doi,
            "pmid": reference.pmid,
            "reason": item.reason.label if item.reason else "",
            "resolved": item.resolved,
            "column": "databases and registers" if item.entry == TA else "other methods",
        }
