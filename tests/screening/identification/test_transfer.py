"""Reading another tool's decisions from its export (screening/identification/transfer.py):
which tool, whose votes, at which stage, with which reason; what the preview counts. The files
are in tests/data/transfer (MANIFEST.tsv says what each is built from)."""

from __future__ import annotations

import pytest

from references.parsers.base import ParsedReference
from screening.constants import Stage, Verdict
from screening.identification.transfer import (
    ASREVIEW,
    COVIDENCE,
    RAYYAN,
    Collector,
    Reading,
    covidence_list,
    entry_votes,
    tool_of,
    transfer_preview,
    transfer_read,
)
from tests.conftest import DATA_DIR

TA, FT = Stage.TITLE_ABSTRACT, Stage.FULL_TEXT
DATA = DATA_DIR / "transfer"
RAYYAN_NOTES = (
    'Imported from Embase | RAYYAN-INCLUSION: {"Alice"=>"Included", "Bob"=>"Excluded", '
    '"Chen Wei"=>"Maybe"} | RAYYAN-LABELS: RCT,phase 3 | RAYYAN-EXCLUSION-REASONS: wrong '
    'population,foreign language | USER-NOTES: {"Bob"=>["adults only?", "check the protocol"]}'
)


def _votes(entry: ParsedReference, tool: str, kind: str = "") -> tuple[list, Reading]:
    reading = Reading(tool=tool)
    return entry_votes(entry, tool, kind, reading), reading


def test_rayyan_notes_give_each_members_vote_with_the_reason_labels_and_notes():
    entry = ParsedReference(title="A trial", notes=RAYYAN_NOTES, position=7)
    assert tool_of(entry) == RAYYAN
    votes, reading = _votes(entry, RAYYAN)
    by_name = {vote.reviewer: vote for vote in votes}
    assert {name: (v.stage, v.verdict) for name, v in by_name.items()} == {
        "Alice": (TA, Verdict.INCLUDE),
        "Bob": (TA, Verdict.EXCLUDE),
        "Chen Wei": (TA, Verdict.MAYBE),
    }
    assert all(vote.position == 7 for vote in votes)
    # The article's reasons go with the exclusion: the first is its reason, all are noted.
    assert by_name["Bob"].reason == "wrong population"
    assert by_name["Alice"].reason == by_name["Chen Wei"].reason == ""
    assert "Rayyan exclusion reasons: wrong population, foreign language" in by_name["Bob"].note
    assert "Rayyan labels: RCT, phase 3" in by_name["Alice"].note
    assert "Rayyan note: adults only?" in by_name["Bob"].note
    assert "Rayyan note: check the protocol" in by_name["Bob"].note
    assert "Rayyan note" not in by_name["Alice"].note
    assert reading.labels == {"RCT": 1, "phase 3": 1}


def test_a_rayyan_decision_it_does_not_write_is_listed_not_dropped():
    entry = ParsedReference(
        title="x", notes='RAYYAN-INCLUSION: {"Alice"=>"Undecided", "Bob"=>"Included"}'
    )
    votes, reading = _votes(entry, RAYYAN)
    assert [vote.reviewer for vote in votes] == ["Bob"]
    assert reading.unread == ["entry 0: Alice's decision 'Undecided'"]


def test_rayyan_notes_on_several_ris_n1_lines_keep_to_their_own_line():
    notes = 'RAYYAN-INCLUSION: {"Alice"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: wrong outcome\n'
    notes += "Our own note, later"
    votes, _ = _votes(ParsedReference(title="x", notes=notes), RAYYAN)
    assert [(v.verdict, v.reason) for v in votes] == [(Verdict.EXCLUDE, "wrong outcome")]


@pytest.mark.parametrize("column", ["included", "label_included", "asreview_label", "Included"])
@pytest.mark.parametrize(
    ("value", "verdict"),
    [("1", Verdict.INCLUDE), ("1.0", Verdict.INCLUDE), ("0", Verdict.EXCLUDE), ("", None)],
)
def test_asreview_label_column_one_is_include_zero_exclude_empty_not_seen(column, value, verdict):
    entry = ParsedReference(title="x", extra={column: value, "record_id": "4"})
    assert tool_of(entry) == ASREVIEW
    votes, _ = _votes(entry, ASREVIEW)
    assert [(v.reviewer, v.stage, v.verdict) for v in votes] == (
        [("ASReview", TA, verdict)] if verdict else []
    )


def test_asreview_ris_notes_relevant_irrelevant_not_seen():
    def verdicts(note):
        return [v.verdict for v in _votes(ParsedReference(title="x", notes=note), ASREVIEW)[0]]

    assert tool_of(ParsedReference(title="x", notes="ASReview_relevant")) == ASREVIEW
    assert verdicts("Additional notes. ASReview_relevant") == [Verdict.INCLUDE]
    assert verdicts("ASReview_irrelevant\nAdditional notes") == [Verdict.EXCLUDE]
    assert verdicts("ASReview_not_seen") == []


def test_asreview_two_users_and_a_note():
    entry = ParsedReference(
        title="x",
        extra={"asreview_label": "1", "asreview_note": "phase 3", "asreview_user_name": "Dana"},
    )
    votes, _ = _votes(entry, ASREVIEW)
    assert [(v.reviewer, v.note) for v in votes] == [("Dana", "ASReview note: phase 3")]


def test_a_covidence_list_comes_from_its_file_name_or_its_exclusion_reasons():
    assert covidence_list("review_123456_irrelevant_csv_20250301101500.csv") == "irrelevant"
    assert covidence_list("review_9_EXCLUDED_csv_1.csv") == "excluded"
    assert covidence_list("my export.csv", "Exclusion reason: Wrong setting; ") == "excluded"
    assert covidence_list("my export.csv", "") == ""


def test_covidence_excluded_list_is_a_full_text_exclusion_after_an_implied_inclusion():
    entry = ParsedReference(
        title="x",
        notes="Exclusion reason: Wrong comparator; ",
        extra={"Covidence #": "#31", "Study": "Smith 2021", "Tags": "Phase 1"},
        position=2,
    )
    assert tool_of(entry) == COVIDENCE
    votes, _ = _votes(entry, COVIDENCE, "excluded")
    assert [(v.stage, v.verdict, v.reason, v.implied) for v in votes] == [
        (TA, Verdict.INCLUDE, "", True),
        (FT, Verdict.EXCLUDE, "Wrong comparator", False),
    ]
    assert votes[1].note == "Covidence tags: Phase 1"
    assert [v.stage for v in _votes(entry, COVIDENCE, "irrelevant")[0]] == [TA]
    assert _votes(entry, COVIDENCE, "screen")[0] == []


def test_a_literature_export_without_a_tools_decisions_has_none():
    collector = Collector(file_name="pubmed.csv")
    collector.add(ParsedReference(title="x", notes="Some note", extra={"Source": "PubMed"}))
    assert collector.finish().tool == ""


# --- Whole files (the parsers fill notes and extra) -------------------------------------------


def test_the_rayyan_csv_export_previews_two_reviewers_a_conflict_reasons_and_labels():
    summary = transfer_preview(path=DATA / "rayyan/articles.csv", file_name="articles.csv")
    assert (summary["tool"], summary["decisions"], summary["entries_with_decisions"]) == (
        RAYYAN,
        9,
        5,
    )
    ta = summary["stages"][0]
    assert (ta["stage"], ta["include"], ta["maybe"], ta["exclude"], ta["total"]) == (TA, 4, 1, 4, 9)
    assert summary["stages"][1]["total"] == 0
    assert summary["reviewers"] == [
        {"name": "Alice", "decisions": 5},
        {"name": "Bob", "decisions": 4},
    ]
    assert summary["conflicts"] == 1
    assert summary["conflict_list"][0]["votes"] == [["Alice", "include"], ["Bob", "exclude"]]
    assert {(r["label"], r["n"]) for r in summary["reasons"]} == {
        ("wrong population", 2),
        ("wrong study design", 1),
        ("wrong publication type", 1),
    }
    assert summary["labels"] == ["RCT", "phase 3", "to discuss"]
    assert not summary["settles"]


def test_the_rayyan_ris_export_reads_like_its_csv():
    reading = transfer_read(path=DATA / "rayyan/articles.ris")
    assert reading.tool == RAYYAN
    assert sorted((v.position, v.reviewer, v.verdict) for v in reading.votes) == [
        (1, "Alice", Verdict.INCLUDE),
        (1, "Bob", Verdict.INCLUDE),
        (2, "Alice", Verdict.INCLUDE),
        (2, "Bob", Verdict.EXCLUDE),
    ]


@pytest.mark.parametrize(
    ("name", "include", "exclude"),
    [
        ("asreview_result_nsclc.csv", 2, 2),
        ("asreview_relevant+not_seen+irrelevant_nsclc.csv", 1, 1),
    ],
)
def test_asreview_exports_of_lab_1_and_2(name, include, exclude):
    summary = transfer_preview(path=DATA / "asreview" / name, file_name=name)
    ta = summary["stages"][0]
    assert (summary["tool"], ta["include"], ta["exclude"], ta["maybe"]) == (
        ASREVIEW,
        include,
        exclude,
        0,
    )
    assert summary["reviewers"] == [{"name": "ASReview", "decisions": include + exclude}]
    assert summary["settles"] and summary["conflicts"] == 0


def test_covidence_excluded_export_previews_full_text_exclusions_with_their_reasons():
    name = "review_123456_excluded_csv_20250301101500.csv"
    summary = transfer_preview(path=DATA / "covidence" / name, file_name=name)
    assert (summary["tool"], summary["kind"]) == (COVIDENCE, "excluded")
    ta, ft = summary["stages"]
    assert (ta["include"], ta["implied"], ft["exclude"]) == (3, 3, 3)
    assert {(r["label"], r["stage"]) for r in summary["reasons"]} == {
        ("Wrong patient population", FT),
        ("Wrong study design", FT),
        ("Trial registration only", FT),
    }


def test_a_covidence_export_renamed_says_its_list_only_when_the_person_does():
    path = DATA / "covidence/review_123456_irrelevant_csv_20250301101500.csv"
    assert transfer_preview(path=path, file_name="export.csv")["decisions"] == 0
    summary = transfer_preview(path=path, file_name="export.csv", kind="irrelevant")
    assert summary["stages"][0]["exclude"] == 2
