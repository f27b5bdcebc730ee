"""Keyword highlighting for title and abstract screening.

A review keeps two lists of terms: "include" terms (shown green) and "exclude" terms (shown
red). A term may hold `*` wildcards (`immuno*`, `*mab`, `PD-1*`) and several words
(`non-small cell`). `compile_terms` turns the lists into a `Highlighter`, whose `html` method
returns the text HTML-escaped with every match wrapped in a `<mark>`.

The matching rules, chosen to be predictable for a person reading the output:

- Case does not matter; the text keeps its own case in the output.
- A "word" is a run of letters (any script), digits, `_` and `-`: "PD-1", "PD-L1" and
  "non-small" are single words. A term matches whole words only, so "lung" does not match
  "lungs" and "small" does not match inside "non-small"; add `*` for variants.
- `*` stands for any run of word characters, possibly none ("immuno*" also matches "immuno"),
  but a `*` standing alone as a word of a term stands for a whole word ("lung * cancer").
- Words of a multi-word term match across any whitespace, line breaks included.
- Where matches overlap, the longer one wins; on a tie, exclude wins over include (a reviewer
  should notice an exclusion word). Marks never nest or overlap.
- A term is taken literally apart from `*` and whitespace: "C++" or "(PD-1)" cannot inject
  regex syntax. A term that starts (ends) with something that is not a word character, like
  "(PD-1)", needs no word boundary on that side.

This module is plain Python (no Django) so that it can be tested and timed on its own; the
template filter in `screening.templatetags.screening_extras` marks its output safe.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from collections.abc import Iterable
from html import escape

from screening.models import Review

MAX_TERMS = 200
MAX_TERM_LENGTH = 100

_WORD = r"[\w-]"  # one word character: \w is Unicode-aware on str patterns
_NOT_AFTER_WORD = r"(?<![\w-])"
_NOT_BEFORE_WORD = r"(?![\w-])"
_WORDISH = re.compile(r"[\w*-]")  # characters that make a word boundary necessary at a term edge
_SEPARATORS = re.compile(r"[,;]")
_FLAGS = re.IGNORECASE  # str patterns are Unicode by default


def parse_terms(text: str) -> list[str]:
    """Split what a person typed into terms.

    Terms are separated by new lines, commas or semicolons. Whitespace around a term is
    dropped and runs of whitespace inside it become one space; empty terms go. A line whose
    first non-blank character is `#` is a comment. Duplicates (ignoring case) keep the first
    spelling, so the list reads back as the person wrote it.
    """
    terms: list[str] = []
    seen: set[str] = set()
    for line in (text or "").splitlines():
        if line.lstrip().startswith("#"):
            continue
        for raw in _SEPARATORS.split(line):
            term = " ".join(raw.split())
            key = term.casefold()
            if term and key not in seen:
                seen.add(key)
                terms.append(term)
    return terms


def _clean(terms: Iterable[str]) -> tuple[str, ...]:
    """Terms tidied as parse_terms does, for lists that did not necessarily come from it.

    Commas and semicolons are left alone here: a caller that passes a list has already said
    where each term ends ("1,2-dichloroethane").
    """
    seen: set[str] = set()
    out = []
    for raw in terms:
        term = " ".join((raw or "").split())
        if term and term.casefold() not in seen:
            seen.add(term.casefold())
            out.append(term)
    return tuple(out)


def compile_terms(include: Iterable[str], exclude: Iterable[str]) -> Highlighter | None:
    """A highlighter for the two lists, or None when both are empty.

    Raises ValueError, with a sentence meant for the person who typed the terms, when there
    are more than MAX_TERMS terms in all, a term is longer than MAX_TERM_LENGTH characters, or
    a term is made of `*` alone (it would mark every word). A settings form can call it just
    to validate.

    Highlighters are cached by their terms: a page that lists fifty references builds the
    review's highlighter once per process, not once per request (building one costs a few
    milliseconds, using it well under one).
    """
    include = _clean(include)
    exclude = _clean(exclude)
    total = len(include) + len(exclude)
    if total > MAX_TERMS:
        raise ValueError(
            f"There are {total} highlight terms; at most {MAX_TERMS} are allowed. "
            "Remove some, or use * to cover variants with one term."
        )
    for kind, terms in (("include", include), ("exclude", exclude)):
        for term in terms:
            if len(term) > MAX_TERM_LENGTH:
                raise ValueError(
                    f"The {kind} term “{term[:40]}…” is {len(term)} characters long; "
                    f"a term may have at most {MAX_TERM_LENGTH}."
                )
            if not term.replace("*", "").strip():
                raise ValueError(
                    f"The {kind} term “{term}” is only wildcards and would mark every word. "
                    "Add letters to it, as in “immuno*”."
                )
    if not include and not exclude:
        return None
    return _highlighter(include, exclude)


@functools.lru_cache(maxsize=64)
def _highlighter(include: tuple[str, ...], exclude: tuple[str, ...]) -> Highlighter:
    return Highlighter(include, exclude)


def _term_regex(term: str) -> str:
    """The regex for one term (see the module docstring for the rules), boundaries included."""
    body = r"\s+".join(_word_regex(word) for word in term.split())
    if _WORDISH.match(term[0]):
        body = _NOT_AFTER_WORD + body
    if _WORDISH.match(term[-1]):
        body += _NOT_BEFORE_WORD
    return body


def _word_regex(word: str) -> str:
    """The regex for one whitespace-free word of a term.

    Wildcards are translated so that a match costs linear time even for a term like
    `*a*a*a*a*` against a long word: the naive `[\\w-]*a[\\w-]*a...` backtracks
    polynomially (degree = number of stars). As in a classic glob matcher, each segment
    between two stars is matched at its earliest occurrence and that choice is committed (an
    atomic group): for segments made of word characters this finds a match whenever there is
    one. Only the last star may backtrack, and only to find where the last segment sits.
    """
    segments = re.split(r"\*+", word)
    if len(segments) == 1:
        return re.escape(word)
    first, *middle, last = segments
    if not first and not last and not any(middle):
        return _WORD + "+"  # a lone `*` word: a whole word, never nothing
    parts = [re.escape(first)]
    parts += [rf"(?>{_WORD}*?{re.escape(segment)})" for segment in middle]
    # A trailing star is followed by a boundary or whitespace, so it must take the whole rest
    # of the word anyway: possessive, nothing to backtrack into.
    parts.append(f"{_WORD}*{re.escape(last)}" if last else f"{_WORD}*+")
    return "".join(parts)


# The characters besides its two cases that `re.IGNORECASE` matches with an ASCII letter
# (tests/screening/decisions/test_highlight.py checks this against all of Unicode for the running
# Python). The scan tests a term's first letter case-sensitively (see _scan_regex), so it must
# know them: "\u212a" (Kelvin sign) matches "k".
_ASCII_CASE_EXTRAS = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}


def _scan_regex(terms: list[tuple[str, bool]], regexes: list[str]) -> str:
    """One regex that matches (empty) wherever at least one of the terms matches.

    The terms are inside a lookahead, so that a match starting inside another is found too.
    Terms that start at a word start share one lookbehind, which rules out most positions
    before any term is tried. They are then grouped by first letter behind a case-sensitive
    class of that letter's variants, e.g. `(?-i:[pP])`: `re` skips an alternative at once
    when its first character does not match, but only for a case-sensitive literal or
    class. This halves the time of a scan.
    """
    by_first: dict[str, list[str]] = {}
    at_word: list[str] = []
    elsewhere: list[str] = []
    for (term, _), regex in zip(terms, regexes, strict=True):
        if not regex.startswith(_NOT_AFTER_WORD):
            elsewhere.append(regex)
            continue
        regex = regex[len(_NOT_AFTER_WORD) :]
        first = term[0]
        if first.isascii() and first != "*":
            # re.escape works character by character, so the first character is a prefix.
            by_first.setdefault(first.lower(), []).append(regex[len(re.escape(first)) :])
        else:
            at_word.append(regex)
    for first, rests in by_first.items():
        if first.lower() == first.upper():
            head = re.escape(first)  # a digit, "_" or "-": case does not apply
        else:
            variants = first.lower() + first.upper() + _ASCII_CASE_EXTRAS.get(first, "")
            head = f"(?-i:[{re.escape(variants)}])"
        at_word.append(head + "(?:" + "|".join(rests) + ")")
    scan = []
    if at_word:
        scan.append(_NOT_AFTER_WORD + "(?=" + "|".join(at_word) + ")")
    if elsewhere:
        scan.append("(?=" + "|".join(elsewhere) + ")")
    return "|".join(scan)


class Highlighter:
    """Marks include and exclude terms in text. Build it with `compile_terms`.

    Python's `re` is leftmost-first, not leftmost-longest: one alternation of every term finds
    matches quickly but cannot say which of several overlapping matches is the longest. So
    the terms (longest first) are compiled into:

    - `_scan`, one regex that finds every position where some term matches. It is a
      lookahead, so overlapping matches that start at different positions are all found, and
      one cheap lookbehind rules out positions inside words before any term is tried;
    - probes, run at those positions only, that capture the match of every term there at
      once. So that a probe tries a handful of terms rather than all of them, there is one per
      ASCII first character (terms starting with `*` or a non-ASCII character are in every
      probe, and a non-ASCII character in the text gets the probe of all terms, because
      case-insensitive matching pairs e.g. "K" (Kelvin sign) with "k").

    The candidate matches are then chosen longest first (exclude first on a tie, then the
    earlier one), skipping any that overlaps one already chosen.
    """

    def __init__(self, include: Iterable[str], exclude: Iterable[str]):
        # Tuples: a Highlighter is cached and shared between requests (and threads).
        self.include = tuple(include)
        self.exclude = tuple(exclude)
        terms = [(term, False) for term in self.include] + [(term, True) for term in self.exclude]
        terms.sort(key=lambda item: -len(item[0]))  # stable: include before exclude on ties
        regexes = [_term_regex(term) for term, _ in terms]

        self._scan = re.compile(_scan_regex(terms, regexes), _FLAGS)

        everywhere = []  # (regex, is_exclude) of the terms that go into every probe
        by_first: dict[str, list[tuple[str, bool]]] = {}
        for (term, is_exclude), regex in zip(terms, regexes, strict=True):
            first = term[0]
            if first.isascii() and first != "*":
                by_first.setdefault(first.lower(), []).append((regex, is_exclude))
            else:
                everywhere.append((regex, is_exclude))
        self._probes = {first: _Probe(entries + everywhere) for first, entries in by_first.items()}
        self._probe_everywhere = _Probe(everywhere)
        self._probe_all = _Probe(list(zip(regexes, (e for _, e in terms), strict=True)))

    def __repr__(self) -> str:
        return f"Highlighter(include={self.include!r}, exclude={self.exclude!r})"

    def spans(self, text: str) -> list[tuple[int, int, bool]]:
        """The chosen matches as (start, end, is_exclude), in text order; no two overlap."""
        candidates = set()
        for hit in self._scan.finditer(text):
            at = hit.start()
            first = text[at]
            if first.isascii():
                probe = self._probes.get(first.lower(), self._probe_everywhere)
            else:
                probe = self._probe_all
            candidates.update(probe.matches(text, at))

        chosen: list[tuple[int, int, bool]] = []  # sorted by start, non-overlapping
        starts: list[int] = []
        # Longest first; on a tie exclude (False sorts first, hence `not`), then leftmost.
        for start, end, is_exclude in sorted(
            candidates, key=lambda c: (c[0] - c[1], not c[2], c[0])
        ):
            at = bisect_left(starts, start)
            if at > 0 and chosen[at - 1][1] > start:
                continue
            if at < len(chosen) and chosen[at][0] < end:
                continue
            chosen.insert(at, (start, end, is_exclude))
            starts.insert(at, start)
        return chosen

    def html(self, text: str) -> str:
        """`text` HTML-escaped, each match wrapped in `<mark class="hl-include|hl-exclude">`.

        Returns a plain str; the caller decides whether to mark it safe.
        """
        out = []
        done = 0
        for start, end, is_exclude in self.spans(text):
            kind = "hl-exclude" if is_exclude else "hl-include"
            out.append(escape(text[done:start]))
            out.append(f'<mark class="{kind}">{escape(text[start:end])}</mark>')
            done = end
        out.append(escape(text[done:]))
        return "".join(out)


class _Probe:
    """The matches of several terms at one position, found by a single regex call.

    Each term is an optional lookahead with its own group, `(?:(?=(term))|)`, so the regex
    always matches (empty) and leaves every term that matches at the position in its group.
    """

    def __init__(self, entries: list[tuple[str, bool]]):
        self._regex = re.compile("".join(f"(?:(?=({regex}))|)" for regex, _ in entries), _FLAGS)
        self._groups = [(group, is_exclude) for group, (_, is_exclude) in enumerate(entries, 1)]

    def matches(self, text: str, at: int) -> list[tuple[int, int, bool]]:
        """(start, end, is_exclude) of each term that matches at `at`."""
        found = self._regex.match(text, at)
        out = []
        for group, is_exclude in self._groups:
            start, end = found.span(group)
            if end > start:  # (-1, -1) when the term does not match here
                out.append((start, end, is_exclude))
        return out


def highlighter_for(review: Review):
    try:
        return compile_terms(
            parse_terms(review.highlight_include), parse_terms(review.highlight_exclude)
        )
    except ValueError:
        return None  # the settings form refuses such terms; old ones are shown plain
