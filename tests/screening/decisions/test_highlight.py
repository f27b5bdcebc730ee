"""Keyword highlighting (screening.highlight and the `highlight` template filter). No database."""

import html
import re
import sys
import time

import pytest
from django.template import Context, Template
from hypothesis import assume, given
from hypothesis import strategies as st

from screening.decisions.highlight import (
    _ASCII_CASE_EXTRAS,
    MAX_TERM_LENGTH,
    MAX_TERMS,
    Highlighter,
    _term_regex,
    _word_regex,
    compile_terms,
    parse_terms,
)

MARK = re.compile(r'<mark class="hl-(include|exclude)">(.*?)</mark>', re.DOTALL)


def marks(include=(), exclude=(), text=""):
    """[(kind, marked text)] of text highlighted with the terms, unescaped."""
    out = compile_terms(list(include), list(exclude)).html(text)
    return [(kind, html.unescape(inner)) for kind, inner in MARK.findall(out)]


def included(terms, text):
    return [inner for kind, inner in marks(include=terms, text=text) if kind == "include"]


# --- what matches -------------------------------------------------------------------------------


def test_a_term_without_wildcards_matches_whole_words_only():
    assert included(["lung"], "Lung, lungs, lung-cancer and lung.") == ["Lung", "lung"]


def test_matching_ignores_case_and_keeps_the_text_s_case():
    assert included(["nsclc", "PEMBROLIZUMAB"], "NSCLC treated with Pembrolizumab") == [
        "NSCLC",
        "Pembrolizumab",
    ]


@pytest.mark.parametrize(
    ("term", "text", "expected"),
    [
        (
            "immuno*",
            "immunotherapy, Immunology, immuno, immuno-oncology; not immune",
            ["immunotherapy", "Immunology", "immuno", "immuno-oncology"],
        ),
        ("*mab", "ivonescimab and pembrolizumab, not mabs", ["ivonescimab", "pembrolizumab"]),
        (
            "randomi*ed",
            "randomised randomized randomied randomly",
            ["randomised", "randomized", "randomied"],
        ),
        ("tumo*r", "tumour tumor tumors", ["tumour", "tumor"]),
        ("*cell*", "cells, subcellular, cell; not ce-ll", ["cells", "subcellular", "cell"]),
        ("a*b*c", "abc a-b-c axbyc abcd acb", ["abc", "a-b-c", "axbyc"]),
    ],
)
def test_a_star_stands_for_any_run_of_word_characters(term, text, expected):
    assert included([term], text) == expected


def test_a_lone_star_word_is_one_whole_word():
    text = "stage IV disease, stage disease, stage III-B disease"
    assert included(["stage * disease"], text) == ["stage IV disease", "stage III-B disease"]


def test_multi_word_terms_match_across_any_whitespace():
    text = "Non-Small  Cell lung cancer; non-small\ncell; non-small-cell"
    # "non-small-cell" is one word: the term's space asks for whitespace (add it as a term).
    assert included(["non-small cell"], text) == ["Non-Small  Cell", "non-small\ncell"]


def test_hyphenated_words_are_words():
    text = "PD-1 and PD-L1; PD-1-positive; PD; non-small"
    assert included(["PD-1"], text) == ["PD-1"]
    assert included(["PD-1*"], text) == ["PD-1", "PD-1-positive"]
    assert included(["PD"], text) == ["PD"]
    assert included(["small"], text) == []
    assert included(["non-small"], text) == ["non-small"]


def test_unicode_letters_are_word_characters():
    text = "Überleben bei Müller; NAÏVE patients; α-synuclein"
    assert included(["über*"], text) == ["Überleben"]
    assert included(["ller", "m"], text) == []
    assert included(["naïve"], text) == ["NAÏVE"]
    assert included(["α-syn*"], text) == ["α-synuclein"]


def test_case_insensitive_first_letters_beyond_ascii():
    # re.IGNORECASE pairs the Kelvin sign with "k" and the long s with "s"; the scan must too.
    assert included(["ki-67", "sepsis"], "\u212ai-67 and \u017fepsis") == [
        "\u212ai-67",
        "\u017fepsis",
    ]


def test_ascii_case_extras_are_exactly_what_re_ignorecase_pairs_with_ascii_letters():
    everything = "".join(chr(c) for c in range(128, sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    found: dict[str, str] = {}
    for letter in "abcdefghijklmnopqrstuvwxyz":
        hits = "".join(re.findall(letter, everything, re.IGNORECASE))
        if hits:
            found[letter] = hits
    assert found == _ASCII_CASE_EXTRAS


# --- overlaps -------------------------------------------------------------------------------------


def test_the_longer_match_wins():
    assert marks(
        include=["non-small cell lung cancer"],
        exclude=["cell lung"],
        text="non-small cell lung cancer",
    ) == [("include", "non-small cell lung cancer")]
    assert marks(
        include=["lung cancer"],
        exclude=["cancer screening in adults"],
        text="lung cancer screening in adults",
    ) == [("exclude", "cancer screening in adults")]


def test_a_shorter_term_still_marks_what_the_longer_winner_leaves_free():
    text = "lung cancer screening in adults"
    assert marks(
        include=["lung", "lung cancer"], exclude=["cancer screening in adults"], text=text
    ) == [("include", "lung"), ("exclude", "cancer screening in adults")]


def test_longer_means_the_match_not_the_term():
    # "l* c* r*" is the shorter term but the longer match: a plain alternation ordered by term
    # length would have let "lung cancer" win.
    assert marks(include=["l* c* r*"], exclude=["lung cancer"], text="lung cancer risk") == [
        ("include", "lung cancer risk")
    ]


def test_on_a_tie_exclude_wins():
    assert marks(include=["lung cancer"], exclude=["lung cancer"], text="lung cancer") == [
        ("exclude", "lung cancer")
    ]
    assert marks(include=["pembroli*"], exclude=["*mab"], text="pembrolizumab") == [
        ("exclude", "pembrolizumab")
    ]
    # Same length, different starts.
    assert marks(include=["lung cancer"], exclude=["cancer risk"], text="lung cancer risk") == [
        ("exclude", "cancer risk")
    ]


def test_matches_of_one_kind_never_nest():
    out = compile_terms(["immuno*", "immunotherapy", "immunotherapy trial*"], []).html(
        "immunotherapy trials"
    )
    assert out == '<mark class="hl-include">immunotherapy trials</mark>'


# --- escaping -------------------------------------------------------------------------------------


def test_the_text_is_escaped_inside_and_outside_marks():
    h = compile_terms(["script", "R&D"], [])
    out = h.html('<script>alert("x")</script> & R&D')
    assert out == (
        '&lt;<mark class="hl-include">script</mark>&gt;alert(&quot;x&quot;)&lt;/'
        '<mark class="hl-include">script</mark>&gt; &amp; <mark class="hl-include">R&amp;D</mark>'
    )


@pytest.mark.parametrize(
    ("term", "text", "expected"),
    [
        ("C++", "C++ and C and Cpp", ["C++"]),
        ("(PD-1)", "anti(PD-1) and PD-1", ["(PD-1)"]),
        ("a.b", "a.b axb", ["a.b"]),
        ("lung|cancer", "lung cancer lung|cancer", ["lung|cancer"]),
        ("[x]", "[x] x", ["[x]"]),
        (r"\d", r"\d 1", [r"\d"]),
        ("(?i)", "(?i) i", ["(?i)"]),
        ("x.*", "x.y x. xy", ["x.y", "x."]),
    ],
)
def test_regex_special_characters_in_terms_are_literal(term, text, expected):
    assert included([term], text) == expected


# --- parse_terms --------------------------------------------------------------------------------


def test_parse_terms_splits_on_lines_commas_and_semicolons():
    text = "immuno*\n  *mab , PD-1*; non-small   cell\n\n,;\r\nlung cancer"
    assert parse_terms(text) == ["immuno*", "*mab", "PD-1*", "non-small cell", "lung cancer"]


def test_parse_terms_skips_comment_lines_and_duplicates():
    text = "# drugs\nPembrolizumab\n  # also: nivolumab\npembrolizumab, PEMBROLIZUMAB\nNSCLC"
    assert parse_terms(text) == ["Pembrolizumab", "NSCLC"]


def test_parse_terms_of_nothing():
    assert parse_terms("") == []
    assert parse_terms(" \n # only a comment\n , ;") == []


def test_compile_terms_of_nothing_is_none():
    assert compile_terms([], []) is None
    assert compile_terms(["", "  "], []) is None


def test_compile_terms_keeps_commas_inside_a_term():
    assert included(["1,2-dichloroethane"], "1,2-dichloroethane") == ["1,2-dichloroethane"]


# --- limits -------------------------------------------------------------------------------------


def test_up_to_the_limits_is_fine():
    terms = [f"term{i}" for i in range(MAX_TERMS - 1)] + ["x" * MAX_TERM_LENGTH]
    assert isinstance(compile_terms(terms[:100], terms[100:]), Highlighter)


def test_too_many_terms_in_all_is_refused():
    with pytest.raises(ValueError, match=f"at most {MAX_TERMS} are allowed"):
        compile_terms([f"in{i}" for i in range(150)], [f"ex{i}" for i in range(51)])


def test_a_too_long_term_is_refused():
    with pytest.raises(ValueError, match=r"exclude term .* 101 characters long"):
        compile_terms([], ["x" * (MAX_TERM_LENGTH + 1)])


@pytest.mark.parametrize("term", ["*", "**", "* *"])
def test_a_term_of_wildcards_alone_is_refused(term):
    with pytest.raises(ValueError, match="would mark every word"):
        compile_terms([term], [])


def test_pathological_wildcards_stay_fast():
    h = compile_terms(["*a*a*a*a*a*a*a*a*a*b", "a* a* a* b"], [])
    text = "a" * 3000 + " " + "a " * 1500
    start = time.perf_counter()
    h.html(text)
    assert time.perf_counter() - start < 1.0  # the naive translation takes minutes


@given(
    word=st.text(alphabet="ab-", min_size=1, max_size=12),
    pattern=st.text(alphabet="ab-*", min_size=1, max_size=8).filter(lambda p: p.strip("*")),
)
def test_the_linear_wildcard_translation_matches_like_the_naive_one(word, pattern):
    naive = r"[\w-]*".join(re.escape(segment) for segment in pattern.split("*"))
    assert bool(re.fullmatch(_word_regex(pattern), word)) == bool(re.fullmatch(naive, word))


# --- properties ---------------------------------------------------------------------------------

TRICKY = list("abAB -<>&\"'\n\tüÜ*()Kk\u212aſsıİi.")
texts = st.text(alphabet=st.one_of(st.sampled_from(TRICKY), st.characters()), max_size=80)
term_lists = st.lists(st.text(alphabet=st.sampled_from(TRICKY), min_size=1, max_size=6), max_size=4)


def _highlighter_or_skip(include, exclude):
    try:
        h = compile_terms(include, exclude)
    except ValueError:  # a term of wildcards alone
        assume(False)
    assume(h is not None)
    return h


@given(text=texts, include=term_lists, exclude=term_lists)
def test_the_output_is_the_escaped_text_with_well_formed_marks(text, include, exclude):
    out = _highlighter_or_skip(include, exclude).html(text)
    # Marks never nest, and no other "<" gets through.
    assert re.fullmatch(r'(?:[^<]|<mark class="hl-(?:include|exclude)">[^<]+</mark>)*', out)
    assert html.unescape(MARK.sub(r"\2", out)) == text


def _reference_spans(include, exclude, text):
    """The overlap rules applied to every match of every term at every position, slowly."""
    candidates = set()
    for terms, is_exclude in ((include, False), (exclude, True)):
        for term in terms:
            regex = re.compile(_term_regex(term), re.IGNORECASE)
            for at in range(len(text)):
                found = regex.match(text, at)
                if found and found.end() > at:
                    candidates.add((at, found.end(), is_exclude))
    chosen = []
    for start, end, is_exclude in sorted(candidates, key=lambda c: (c[0] - c[1], not c[2], c[0])):
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, is_exclude))
    return sorted(chosen)


@given(text=texts, include=term_lists, exclude=term_lists)
def test_the_fast_scan_finds_what_trying_every_term_everywhere_finds(text, include, exclude):
    h = _highlighter_or_skip(include, exclude)
    assert h.spans(text) == _reference_spans(h.include, h.exclude, text)


# --- speed ----------------------------------------------------------------------------------------

ABSTRACT = (
    "Background: Immune checkpoint inhibitors targeting programmed cell death protein 1 (PD-1) "
    "and its ligand PD-L1 have changed the treatment of advanced non-small cell lung cancer "
    "(NSCLC). Ivonescimab, a bispecific antibody against PD-1 and vascular endothelial growth "
    "factor, showed activity in early-phase trials. We compared ivonescimab with pembrolizumab "
    "as first-line treatment in patients with PD-L1-positive advanced NSCLC. Methods: In this "
    "randomised, double-blind, phase 3 trial done at 55 hospitals in China, adults with "
    "previously untreated, locally advanced or metastatic NSCLC and a PD-L1 tumour proportion "
    "score of at least 1% were randomly assigned (1:1) to receive ivonescimab 20 mg/kg or "
    "pembrolizumab 200 mg intravenously every 3 weeks. The primary endpoint was progression-free "
    "survival assessed by an independent radiographic review committee. Findings: Between "
    "Nov 2022 and Aug 2023, 398 patients were randomly assigned. Median follow-up was 8.7 months. "
    "Progression-free survival was significantly longer with ivonescimab than with pembrolizumab "
    "(median 11.1 months vs 5.8 months; hazard ratio 0.51, 95% CI 0.38-0.69; p<0.0001). "
    "Mouse xenograft models and in vitro cell line studies were excluded. "
)
INCLUDE = (
    "immuno*, *mab, PD-1*, PD-L1*, non-small cell, NSCLC, randomi*ed, random*, phase 3, "
    "progression-free, overall survival, hazard ratio, first-line, checkpoint inhibitor*, "
    "bispecific, adults, metastatic, advanced, trial*, double-blind, placebo, chemotherapy, "
    "lung cancer, tumour*, tumor*"
)
EXCLUDE = (
    "mouse, mice, murine, xenograft*, in vitro, cell line*, rat, rats, case report*, review, "
    "meta-analys*, editorial, letter, protocol, animal*, pediatric, paediatric, child*, "
    "infant*, small cell lung cancer, SCLC, retrospective, cohort, preclinical, phase 1"
)


def test_a_3000_character_abstract_with_50_terms_is_fast():
    """A loose sanity bound, not a benchmark: on a quiet machine this takes about 0.5 ms."""
    h = compile_terms(parse_terms(INCLUDE), parse_terms(EXCLUDE))
    text = (ABSTRACT * 3)[:3000]
    assert len(h.include) + len(h.exclude) == 50
    assert text.count("<mark") == 0 and h.html(text).count("<mark") > 50
    runs = 200
    start = time.perf_counter()
    for _ in range(runs):
        h.html(text)
    assert (time.perf_counter() - start) / runs < 0.005


# --- the template filter --------------------------------------------------------------------------

TEMPLATE = "{% load screening_extras %}{{ t|highlight:h }}"


def render(t, **context):
    return Template(TEMPLATE).render(Context({"t": t, **context}))


def test_the_filter_marks_terms_and_escapes_the_rest():
    h = compile_terms(["lung"], ["mouse"])
    assert render("<b>Lung</b> & mouse", h=h) == (
        '&lt;b&gt;<mark class="hl-include">Lung</mark>&lt;/b&gt; &amp; '
        '<mark class="hl-exclude">mouse</mark>'
    )


def test_without_a_highlighter_the_filter_only_escapes():
    assert render("<b>lung</b> & co", h=None) == "&lt;b&gt;lung&lt;/b&gt; &amp; co"


def test_the_filter_renders_a_missing_text_as_nothing():
    assert render(None, h=compile_terms(["lung"], [])) == ""
