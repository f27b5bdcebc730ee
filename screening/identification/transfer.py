"""Decisions moved in from another screening tool with its export: Rayyan, Covidence, ASReview.

This module reads them (no ORM): which tool's decisions a file carries, each reviewer's vote on
each entry, and what the person importing sees before anything lands. transfer_land.py maps
the file's reviewers to members and lands the votes through the decision service.

What each tool writes, and where (the sources: docs/reviews-and-importing.md):

- Rayyan (articles.csv of its export, or RIS): the notes field (CSV `notes`, RIS N1) ends with
  `RAYYAN-INCLUSION: {"Alice"=>"Included", "Bob"=>"Excluded"} | RAYYAN-LABELS: RCT,Hospital |
  RAYYAN-EXCLUSION-REASONS: wrong population | USER-NOTES: {"Alice"=>["check"]}`: each
  member's decision (Included, Excluded, Maybe), the article's labels and exclusion reasons
  (not per member), each member's notes. The file does not say at which stage: title and
  abstract.
- Covidence (CSV of one of its lists, named review_<id>_<list>_csv_<time>.csv): columns Title,
  Authors, ..., Covidence #, Study, Notes, Tags. The list is the team's settled decision:
  irrelevant (excluded at title and abstract), select (full text review: included at title
  and abstract), excluded (excluded at full text, Notes "Exclusion reason: <reason>; "),
  included (included at full text). One reviewer: the team.
- ASReview (CSV of its export): the label column (`included` or `label_included` in ASReview
  LAB 1, `asreview_label` in 2, or whatever the dataset called it), 1 relevant, 0 irrelevant,
  empty not seen; `asreview_note`, `asreview_user_name` when there are several users. RIS: an
  N1 note ASReview_relevant or ASReview_irrelevant (ASReview_not_seen: no decision). One
  reviewer, title and abstract.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from references.parsers import read_file
from references.parsers.base import ParsedReference
from screening.constants import Stage, Verdict

RAYYAN, COVIDENCE, ASREVIEW = "rayyan", "covidence", "asreview"
TOOL_LABELS = {RAYYAN: "Rayyan", COVIDENCE: "Covidence", ASREVIEW: "ASReview"}
# Tools whose file holds one settled decision per reference (the team's, or one reviewer's):
# each lands settling its reference, as it did in the tool, whatever this review's settings.
SETTLING_TOOLS = frozenset({COVIDENCE, ASREVIEW})
TEAM = {COVIDENCE: "Covidence (the team's decisions)", ASREVIEW: "ASReview"}

# Covidence's lists, as its export names them in the file name.
COVIDENCE_LISTS = {
    "irrelevant": "Irrelevant: excluded at title and abstract",
    "select": "Full text review: included at title and abstract",
    "excluded": "Excluded: excluded at full text, with its reason",
    "included": "Included: included at full text",
    "screen": "Title and abstract screening: no decision yet",
}
# What each list means: (stage, verdict) decisions, in order.
_COVIDENCE_VOTES = {
    "irrelevant": [(Stage.TITLE_ABSTRACT, Verdict.EXCLUDE)],
    "select": [(Stage.TITLE_ABSTRACT, Verdict.INCLUDE)],
    "excluded": [(Stage.TITLE_ABSTRACT, Verdict.INCLUDE), (Stage.FULL_TEXT, Verdict.EXCLUDE)],
    "included": [(Stage.TITLE_ABSTRACT, Verdict.INCLUDE), (Stage.FULL_TEXT, Verdict.INCLUDE)],
    "screen": [],
}
_COVIDENCE_FILE = re.compile(r"_(irrelevant|select|excluded|included|screen)_csv", re.I)
_COVIDENCE_REASON = re.compile(r"exclusion reason:\s*([^;\n]+)", re.I)

_RAYYAN_VERDICTS = {
    "included": Verdict.INCLUDE,
    "excluded": Verdict.EXCLUDE,
    "maybe": Verdict.MAYBE,
}
_RAYYAN_FIELD = r"{name}:\s*(.*?)\s*(?=\|\s*(?:RAYYAN-[A-Z-]+|USER-NOTES):|\n|$)"
_RAYYAN_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=>\s*"((?:[^"\\]|\\.)*)"')
_RAYYAN_NOTES = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=>\s*\[(.*?)\]')
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')

# ASReview's label column, best first (ASReview's own list of names for it, less the vaguest).
ASREVIEW_COLUMNS = (
    "asreview_label",
    "included",
    "label_included",
    "final_included",
    "included_label",
    "included_final",
)
_ASREVIEW_VALUES = {"1": Verdict.INCLUDE, "1.0": Verdict.INCLUDE, "0": Verdict.EXCLUDE,
                    "0.0": Verdict.EXCLUDE}  # fmt: skip
_ASREVIEW_RIS = re.compile(r"ASReview_(relevant|irrelevant)")

LISTED = 50  # conflicts and unread decisions listed in full on the preview


@dataclass(frozen=True)
class FileVote:
    """One decision of the file: entry `position`, by the file's `reviewer`."""

    position: int
    reviewer: str
    stage: str
    verdict: str
    reason: str = ""  # the exclusion reason's label, as the tool wrote it
    note: str = ""  # labels, notes and reasons beyond the first, as the tool wrote them
    implied: bool = False  # Covidence: the title and abstract inclusion a full-text list implies


@dataclass
class Reading:
    """What a file says of decisions."""

    tool: str = ""
    kind: str = ""  # Covidence's list
    votes: list[FileVote] = field(default_factory=list)
    titles: dict[int, str] = field(default_factory=dict)  # of the entries with a decision
    unread: list[str] = field(default_factory=list)  # decisions the file has but we cannot read
    labels: Counter = field(default_factory=Counter)


def _norm(name: str) -> str:
    return " ".join(name.strip().lower().split())


def _extra(entry: ParsedReference) -> dict[str, str]:
    return {_norm(k): (v or "").strip() for k, v in (entry.extra or {}).items()}


def tool_of(entry: ParsedReference) -> str:
    """The tool whose decisions this entry carries, or ""."""
    notes = entry.notes or ""
    if "RAYYAN-INCLUSION" in notes or "RAYYAN-EXCLUSION-REASONS" in notes:
        return RAYYAN
    extra = _extra(entry)
    if "covidence #" in extra:
        return COVIDENCE
    if any(column in extra for column in ASREVIEW_COLUMNS) or _ASREVIEW_RIS.search(notes):
        return ASREVIEW
    return ""


def covidence_list(file_name: str, entries_notes: str = "") -> str:
    """The Covidence list a file is an export of: from its name, else "excluded" if its notes
    give exclusion reasons, else "" (the person says)."""
    found = _COVIDENCE_FILE.search(file_name or "")
    if found:
        return found.group(1).lower()
    return "excluded" if _COVIDENCE_REASON.search(entries_notes) else ""


# --- Each tool's votes of one entry -------------------------------------------------------------


def _rayyan_field(notes: str, name: str) -> str:
    found = re.search(_RAYYAN_FIELD.format(name=re.escape(name)), notes, re.S)
    return found.group(1).strip() if found else ""


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


def _rayyan_votes(entry: ParsedReference, reading: Reading) -> list[FileVote]:
    notes = entry.notes or ""
    decisions = _rayyan_field(notes, "RAYYAN-INCLUSION")
    labels = [p.strip() for p in _rayyan_field(notes, "RAYYAN-LABELS").split(",") if p.strip()]
    reasons = [
        p.strip() for p in _rayyan_field(notes, "RAYYAN-EXCLUSION-REASONS").split(",") if p.strip()
    ]
    reading.labels.update(labels)
    user_notes = {
        _unescape(name): [_unescape(t) for t in _QUOTED.findall(texts)]
        for name, texts in _RAYYAN_NOTES.findall(_rayyan_field(notes, "USER-NOTES"))
    }
    shared = []
    if labels:
        shared.append("Rayyan labels: " + ", ".join(labels))
    if len(reasons) > 1:
        shared.append("Rayyan exclusion reasons: " + ", ".join(reasons))
    votes = []
    for name, value in _RAYYAN_PAIR.findall(decisions):
        name, verdict = _unescape(name), _RAYYAN_VERDICTS.get(value.strip().lower())
        if verdict is None:
            reading.unread.append(f"entry {entry.position}: {name}'s decision {value!r}")
            continue
        note = [*shared, *(f"Rayyan note: {text}" for text in user_notes.get(name, []))]
        votes.append(
            FileVote(
                position=entry.position,
                reviewer=name,
                stage=Stage.TITLE_ABSTRACT,
                verdict=verdict,
                reason=reasons[0] if verdict == Verdict.EXCLUDE and reasons else "",
                note="\n".join(note),
            )
        )
    return votes


def _covidence_votes(entry: ParsedReference, kind: str) -> list[FileVote]:
    extra = _extra(entry)
    notes = entry.notes or extra.get("notes", "")
    found = _COVIDENCE_REASON.search(notes)
    reason = found.group(1).strip() if found else ""
    rest = _COVIDENCE_REASON.sub("", notes).strip(" ;\n")
    note = [f"Covidence tags: {extra['tags']}"] if extra.get("tags") else []
    if rest:
        note.append(f"Covidence notes: {rest}")
    planned = _COVIDENCE_VOTES.get(kind, [])
    return [
        FileVote(
            position=entry.position,
            reviewer=TEAM[COVIDENCE],
            stage=stage,
            verdict=verdict,
            reason=reason if stage == Stage.FULL_TEXT and verdict == Verdict.EXCLUDE else "",
            note="\n".join(note),
            implied=stage == Stage.TITLE_ABSTRACT and len(planned) > 1,
        )
        for stage, verdict in planned
    ]


def _asreview_votes(entry: ParsedReference, reading: Reading) -> list[FileVote]:
    extra = _extra(entry)
    column = next((c for c in ASREVIEW_COLUMNS if c in extra), "")
    if column:
        value = extra[column]
        verdict = _ASREVIEW_VALUES.get(value)
        if verdict is None and value and value not in ("-1", "nan", "NaN"):
            reading.unread.append(f"entry {entry.position}: {column} {value!r}")
    else:
        found = _ASREVIEW_RIS.search(entry.notes or "")
        verdict = None
        if found:
            verdict = Verdict.INCLUDE if found.group(1) == "relevant" else Verdict.EXCLUDE
    if verdict is None:
        return []
    reviewer = extra.get("asreview_user_name") or extra.get("asreview_user_email") or TEAM[ASREVIEW]
    note = f"ASReview note: {extra['asreview_note']}" if extra.get("asreview_note") else ""
    return [FileVote(entry.position, reviewer, Stage.TITLE_ABSTRACT, verdict, note=note)]


def entry_votes(entry: ParsedReference, tool: str, kind: str, reading: Reading) -> list[FileVote]:
    if tool == RAYYAN:
        return _rayyan_votes(entry, reading)
    if tool == COVIDENCE:
        return _covidence_votes(entry, kind)
    if tool == ASREVIEW:
        return _asreview_votes(entry, reading)
    return []


# --- The whole file ---------------------------------------------------------------------------


class Collector:
    """Reads the decisions of a file's entries as they stream past (the import preview's own
    pass over the file, or transfer_read's), then says what it found (`finish`)."""

    def __init__(self, *, file_name: str = "", kind: str | None = None) -> None:
        self.file_name = file_name
        self.kind = kind  # Covidence's list, if the person said which
        self.reading = Reading()
        self._covidence: list[ParsedReference] = []

    def add(self, entry: ParsedReference) -> None:
        if not self.reading.tool:
            self.reading.tool = tool_of(entry)
        if self.reading.tool == COVIDENCE:
            # Which list it is may show only in a later entry's notes: read them at the end.
            self._covidence.append(_light(entry))
        elif self.reading.tool:
            _add(self.reading, entry, "")

    def finish(self) -> Reading:
        if self.reading.tool == COVIDENCE:
            kind = self.kind
            if kind is None:
                notes = "\n".join(e.notes or _extra(e).get("notes", "") for e in self._covidence)
                kind = covidence_list(self.file_name, notes)
            self.reading.kind = kind
            for entry in self._covidence:
                _add(self.reading, entry, kind)
            self._covidence = []
        return self.reading


def _light(entry: ParsedReference) -> ParsedReference:
    """What a Covidence vote needs of an entry, without its raw text and abstract."""
    return ParsedReference(
        title=entry.title, notes=entry.notes, extra=dict(entry.extra), position=entry.position
    )


def _add(reading: Reading, entry: ParsedReference, kind: str) -> None:
    votes = entry_votes(entry, reading.tool, kind, reading)
    if votes:
        reading.titles[entry.position] = entry.title
        reading.votes.extend(votes)


def transfer_read(
    *, path: str | Path, file_format: str = "auto", file_name: str = "", kind: str | None = None
) -> Reading:
    """Every decision the file carries, in file order. `kind`: Covidence's list, if the person
    said which (else from the file name, or its notes)."""
    collector = Collector(file_name=file_name, kind=kind)
    for entry in read_file(path, format=file_format).entries():
        if isinstance(entry, ParsedReference):
            collector.add(entry)
    return collector.finish()


def file_conflicts(reading: Reading) -> list[dict]:
    """The entries on which the file's reviewers disagree (include or maybe against exclude)."""
    by_entry: dict[tuple[int, str], dict[str, str]] = defaultdict(dict)
    for vote in reading.votes:
        by_entry[(vote.position, vote.stage)][vote.reviewer] = vote.verdict
    conflicts = []
    for (position, stage), verdicts in sorted(by_entry.items()):
        if len({v == Verdict.EXCLUDE for v in verdicts.values()}) > 1:
            conflicts.append(
                {
                    "position": position,
                    "stage": stage,
                    "title": reading.titles.get(position, ""),
                    "votes": [list(pair) for pair in sorted(verdicts.items())],
                }
            )
    return conflicts


def transfer_summary(reading: Reading) -> dict:
    """What the preview shows, as JSON: the counts per stage and verdict, the reviewers, the
    reasons and labels, the conflicts. {} when the file carries no tool's decisions."""
    if not reading.tool:
        return {}
    per_stage: dict[str, Counter] = {stage: Counter() for stage in Stage.screened()}
    reviewers: Counter = Counter()
    reasons: Counter = Counter()
    missing_reason: Counter = Counter()
    for vote in reading.votes:
        per_stage[vote.stage][vote.verdict] += 1
        per_stage[vote.stage]["implied"] += vote.implied
        reviewers[vote.reviewer] += 1
        if vote.verdict == Verdict.EXCLUDE:
            if vote.reason:
                reasons[(vote.reason, vote.stage)] += 1
            else:
                missing_reason[vote.stage] += 1
    conflicts = file_conflicts(reading)
    return {
        "tool": reading.tool,
        "tool_label": TOOL_LABELS[reading.tool],
        "kind": reading.kind,
        "kinds": list(COVIDENCE_LISTS.items()) if reading.tool == COVIDENCE else [],
        "settles": reading.tool in SETTLING_TOOLS,
        "decisions": len(reading.votes),
        "entries_with_decisions": len(reading.titles),
        "stages": [
            {
                "stage": stage,
                "label": Stage(stage).label,
                **{v: per_stage[stage][v] for v in Verdict.values},
                "implied": per_stage[stage]["implied"],
                "total": sum(per_stage[stage][v] for v in Verdict.values),
            }
            for stage in Stage.screened()
        ],
        "reviewers": [{"name": name, "decisions": n} for name, n in sorted(reviewers.items())],
        "reasons": [
            {"label": label, "stage": stage, "n": n}
            for (label, stage), n in sorted(reasons.items())
        ],
        "without_reason": dict(missing_reason),
        "labels": sorted(reading.labels),
        "conflicts": len(conflicts),
        "conflict_list": conflicts[:LISTED],
        "unread": len(reading.unread),
        "unread_list": reading.unread[:LISTED],
    }


def transfer_preview(
    *, path: str | Path, file_format: str = "auto", file_name: str = "", kind: str | None = None
) -> dict:
    """The preview of a file's decisions ({} when it carries none), reading it again."""
    return transfer_summary(
        transfer_read(path=path, file_format=file_format, file_name=file_name, kind=kind)
    )
