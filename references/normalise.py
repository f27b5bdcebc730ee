"""Cleaning of the identifiers and names that literature files carry, the same way for every format.

Plain functions on strings, no I/O: DOIs, PMIDs, PMCIDs, trial-registry numbers, author names,
years, structured abstracts, whitespace, and the signs of text decoded with the wrong encoding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def clean_text(value: object) -> str:
    """Collapse runs of whitespace (newlines, tabs, non-breaking spaces) to one space."""
    if not value:
        return ""
    if not isinstance(value, str):
        value = str(value)
    # Most values need no more than a strip; testing for that first is much cheaper than
    # splitting every abstract into words.
    if "  " in value or "\n" in value or "\t" in value or "\r" in value or "\xa0" in value:
        return " ".join(value.split())
    return value.strip()


def unique(values: Iterable[str]) -> list[str]:
    """Non-empty values in first-seen order, without repeats."""
    return list(dict.fromkeys(value for value in values if value))


# --- DOIs -------------------------------------------------------------------------------------

_DOI_IN_TEXT = re.compile(r"10\.\d{4,9}/[^\s\"<>]+", re.IGNORECASE)
# A bare DOI that needs nothing but lower-casing (ends in a letter or digit, no brackets).
_PLAIN_DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>()\[\]{}]*[A-Za-z0-9]$")
_DOI_PREFIX = re.compile(
    r"^(?:(?:https?://)?(?:(?:dx|www)\.)?doi\.org/|doi\s*[:=]?\s*|urn:doi:)", re.IGNORECASE
)


def normalise_doi(value: object) -> str:
    """A DOI in lower case without URL or "doi:" prefix, or "" when the value holds none.

    Accepts "10.1/x", "doi:10.1/x", "DOI 10.1/x", "https://doi.org/10.1/x",
    "http://dx.doi.org/10.1/x" and a DOI inside a longer text (the first one found).
    """
    text = clean_text(value)
    if not text:
        return ""
    if _PLAIN_DOI.match(text):
        return text.lower()
    text = _DOI_PREFIX.sub("", text).replace("%2F", "/").replace("%2f", "/")
    match = _DOI_IN_TEXT.search(text)
    if not match:
        return ""
    doi = match.group(0).rstrip(".,;:)]}'")
    # A DOI cut where a bracket opened inside it (e.g. "...(76)90109-4") keeps its brackets.
    if doi.count("(") > doi.count(")") and match.group(0)[len(doi) :].startswith(")"):
        doi += ")"
    return doi.lower()


# --- PubMed identifiers -----------------------------------------------------------------------

_PMID = re.compile(r"^(?:pmid\s*:?\s*)?(\d{1,9})$", re.IGNORECASE)
_PMCID = re.compile(r"^(?:pmcid\s*:?\s*)?(?:pmc)?\s*(\d{1,9})$", re.IGNORECASE)


def clean_pmid(value: object) -> str:
    """The digits of a PubMed id ("PMID: 123" -> "123"), or "" when the value is not one."""
    if isinstance(value, str) and value.isdigit() and value.isascii() and len(value) <= 9:
        return value.lstrip("0")
    match = _PMID.match(clean_text(value))
    if not match:
        return ""
    return match.group(1).lstrip("0") or ""


def clean_pmcid(value: object) -> str:
    """A PubMed Central id as "PMC123" ("pmc123", "123", "PMCID: PMC123"), or ""."""
    text = clean_text(value)
    match = _PMCID.match(text)
    if not match:
        return ""
    digits = match.group(1).lstrip("0")
    return f"PMC{digits}" if digits else ""


# --- Trial registries -------------------------------------------------------------------------

# Numbers of the registries in the WHO network, as printed in abstracts. Each pattern is
# anchored on word boundaries so that e.g. "NCT0123456789" (too long) does not match.
_REGISTRY_PATTERNS = [
    r"NCT\d{8}",  # ClinicalTrials.gov
    r"ISRCTN\d{8}",  # ISRCTN
    r"ACTRN\d{14}",  # ANZCTR
    r"ChiCTR(?:-[A-Z]{2,4}-)?\d{8,10}",  # Chinese registry, old and new styles
    r"DRKS\d{8}",  # German registry
    r"EUCTR\d{4}-\d{6}-\d{2}(?:-[A-Z]{2})?",  # EU trials register
    r"CTRI/\d{4}/\d{2,3}/\d{6}",  # India
    r"jRCT(?:[a-z]\d{9}|\d{10})",  # Japan
    r"UMIN\d{9}",  # Japan (UMIN-CTR)
    r"IRCT\d{8,14}N\d{1,3}",  # Iran
    r"PACTR\d{15,16}",  # Pan-African
    r"KCT\d{7}",  # Korea (CRiS)
    r"TCTR\d{11}",  # Thailand
    r"NTR\d{3,5}",  # Netherlands (old)
    r"RBR-\w{6,8}",  # Brazil (ReBEC)
    r"CRD\d{11}",  # PROSPERO (a register of reviews, asked for by reviewers)
]
# No look-behind here: it would stop the regex engine from skipping ahead on the first
# letters, which makes the search ten times slower. The preceding character is checked after.
_REGISTRY_IN_TEXT = re.compile("(?:" + "|".join(_REGISTRY_PATTERNS) + r")(?!\w)")
_EUDRACT = re.compile(r"(?i:eudract)(?:\s*(?i:number|no\.?|nr\.?|id))?[\s:#]*(\d{4}-\d{6}-\d{2})\b")

# DataBank names in PubMed (DataBankList) and MEDLINE (SI) that are trial registries, as
# opposed to sequence or structure databanks (GENBANK, PDB, GEO, ...).
REGISTRY_DATABANKS = frozenset(
    name.lower()
    for name in (
        "ClinicalTrials.gov",
        "ISRCTN",
        "ANZCTR",
        "ChiCTR",
        "CRiS",
        "CTRI",
        "DRKS",
        "EudraCT",
        "IRCT",
        "JPRN",
        "NTR",
        "PACTR",
        "ReBec",
        "REPEC",
        "RPCEC",
        "SLCTR",
        "TCTR",
        "UMIN CTR",
        "PROSPERO",
    )
)


def find_registry_ids(text: str) -> list[str]:
    """Trial-registry numbers (NCT01234567, ISRCTN..., EudraCT ...) in a text, upper case."""
    if not text:
        return []
    found = [
        m.group(0).upper()
        for m in _REGISTRY_IN_TEXT.finditer(text)
        if m.start() == 0 or not (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_/-")
    ]
    if "udra" in text or "UDRA" in text:
        found += [m.group(1) for m in _EUDRACT.finditer(text)]
    return unique(found)


# A registry's page of one trial: clinicaltrials.gov/study/NCT..., /ct2/show/NCT..., the ISRCTN
# registry's /ISRCTN..., and the like: the id is the last part of the address.
_REGISTRY_HOSTS = ("clinicaltrials.gov", "isrctn.com", "anzctr.org.au", "trialsearch.who.int")


def registry_ids_in_urls(urls: list[str]) -> list[str]:
    """Registry numbers in the addresses of trial-registry pages (a website export's record of
    ClinicalTrials.gov has the NCT number only in its URL)."""
    found = []
    for url in urls:
        if any(host in url.lower() for host in _REGISTRY_HOSTS):
            found += [m.group(0).upper() for m in _REGISTRY_IN_TEXT.finditer(url)]
    return unique(found)


def registry_id_from_databank(bank: str, accession: str) -> str:
    """The registry number of a DataBank accession, or "" for a non-registry databank."""
    if clean_text(bank).lower() not in REGISTRY_DATABANKS:
        return ""
    return clean_text(accession).upper()


# --- Names ------------------------------------------------------------------------------------

# Initials as MEDLINE and Scopus write them after a surname: "JA", "E.", "A.-B.", "Ch.". A
# capital and a small letter are initials only with a full stop: "Wang Li" is two names.
_INITIALS = re.compile(r"^(?:[A-Z](?:[a-z]?\.)?-?){1,4}$")
# Initials before a surname ("P Nazzaro", "J.-P. Sartre"): capitals only, so that a short
# given name ("Li Wang") is not taken for initials.
_GIVEN_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")
# A word of a person's name: letters, joined by an apostrophe or a hyphen ("Nazzaro", "O'Brien",
# "McDonald", "Jean-Paul", "Müller"); callers check its capitals.
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*$")
# A parenthesised e-mail address after a name, as Web of Science and BIOSIS write them:
# "Stillman, Andrew N. (andrew.stillman@uconn.edu)"; also "<a@b.org>".
_EMAIL_NOTE = re.compile(r"\s*(?:\([^()]*@[^()]*\)|<[^<>]*@[^<>]*>)")
# Small words that belong to the surname that follows them: "Ludwig van Beethoven" ->
# "van Beethoven, Ludwig", "Juan de la Cruz" -> "de la Cruz, Juan".
_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "des", "la", "le"}
    | {"dos", "das", "do", "ter", "ten", "zu", "af", "av"}
)
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "2nd", "3rd"})
# Words that make a name a collective one (a group, a body, a trial): it is kept as written.
_COLLECTIVE = frozenset(
    {"group", "groups", "organization", "organisation", "society", "association"}
    | {"collaboration", "collaborative", "collaborators", "consortium", "committee"}
    | {"investigators", "team", "network", "council", "institute", "university"}
    | {"department", "center", "centre", "trial", "trials", "study", "foundation", "agency"}
    | {"panel", "board", "ministry", "office", "service", "services", "commission"}
    | {"federation", "alliance", "academy", "college", "hospital", "program", "programme"}
    | {"project", "initiative", "unit", "registry", "force", "coalition", "partnership"}
    | {"authors", "members", "writing", "working", "and", "for", "of", "the", "on", "in", "&"}
)


def format_person(surname: str, given: str = "", suffix: str = "") -> str:
    """ "Surname, Given Suffix" from parts; "Surname" alone when there is no given name."""
    surname, given, suffix = clean_text(surname), clean_text(given), clean_text(suffix)
    if not surname:
        return " ".join(part for part in (given, suffix) if part)
    given = " ".join(part for part in (given, suffix) if part)
    return f"{surname}, {given}" if given else surname


def format_author(name: str) -> str:
    """One author name written as "Surname, Given", whatever the file wrote.

    "Shannon,Claude E." -> "Shannon, Claude E."; "Casbon JA" (MEDLINE short form) ->
    "Casbon, JA"; "Fanning E." -> "Fanning, E."; given name first: "P Nazzaro" ->
    "Nazzaro, P", "Paolo Nazzaro" -> "Nazzaro, Paolo", "Ludwig van Beethoven" ->
    "van Beethoven, Ludwig". An e-mail address in brackets after the name is dropped. A name
    that is none of these (a collective name such as "Canadian Respiratory Research Network",
    or one in capitals only) is kept as written.
    """
    if name and "@" in name:
        name = _EMAIL_NOTE.sub("", name)
    name = " ".join(name.split()).strip(" ;") if name else ""
    if not name:
        return ""
    surname, comma, given = name.partition(",")
    if comma:
        surname, given = surname.rstrip(), given.strip(" ,")
        if not surname:
            return given
        return f"{surname}, {given}" if given else surname
    parts = name.split(" ")
    suffix = ""
    if len(parts) >= 2 and parts[-1].lower() in _SUFFIXES:
        suffix, parts = parts[-1], parts[:-1]
        if len(parts) == 1:
            return format_person(parts[0], "", suffix)  # "Smith Jr"
    if len(parts) >= 2 and _INITIALS.match(parts[-1]) and not _INITIALS.match(parts[0]):
        return format_person(" ".join(parts[:-1]), parts[-1], suffix)
    person = _given_name_first(parts)
    return format_person(*person, suffix) if person else name


def _given_name_first(parts: list[str]) -> tuple[str, str] | None:
    """(surname, given names) of a person's name written given name first, or None when the
    words do not read as one (a collective name, a name in capitals, one word)."""
    if not 2 <= len(parts) <= 5 or any(part.lower() in _COLLECTIVE for part in parts):
        return None
    last = parts[-1]
    if not _NAME_WORD.match(last) or not last[0].isupper():
        return None
    if last.isupper() and (len(last) < 3 or not all(_GIVEN_INITIALS.match(p) for p in parts[:-1])):
        return None  # "PAOLO NAZZARO": which word is the surname cannot be told
    start = len(parts) - 1
    while start > 1 and parts[start - 1].lower() in _PARTICLES:
        start -= 1
    given = parts[:start]
    for part in given:
        if not (_GIVEN_INITIALS.match(part) or (_NAME_WORD.match(part) and part[0].isupper())):
            return None
        if part.isupper() and not _GIVEN_INITIALS.match(part):
            return None
    return " ".join(parts[start:]), " ".join(given)


def author_surname(name: str) -> str:
    """The surname of an author however the name is written ("Nazzaro, P.", "Nazzaro P",
    "P Nazzaro", "Paolo Nazzaro" -> "Nazzaro"); the first word of a collective name."""
    formatted = format_author(name)
    surname, comma, _ = formatted.partition(",")
    if comma:
        return surname.strip()
    return formatted.split(" ")[0]


_SHORT_NAME = re.compile(r"^[^\W\d_][\w'’ -]*\s(?:[A-Z]\.?-?){1,4}$")
# "Nazzaro, P and Smith, J" (Rayyan, BibTeX-like) and "Jones, J//Shoe, S" (EndNote tables).
_AND_SEPARATOR = re.compile(r"\s+and\s+|\s*//\s*")


def split_author_list(value: str) -> list[str]:
    """Authors from one cell of a table: "A; B", "A and B", "A//B", PubMed's "Smith J, Doe A.",
    a Python list as ASReview writes it ("['Marx, Karl', 'Lindgren, Astrid']") or one name."""
    text = clean_text(value)
    if not text:
        return []
    listed = list_literal_items(text)
    if listed is not None:
        parts = listed
    elif ";" in text:
        parts = text.split(";")
    elif "|" in text:
        parts = text.split("|")
    elif "//" in text or " and " in text:
        parts = _AND_SEPARATOR.split(text)
        if not all("," in part for part in parts):
            parts = [text]  # "Society for Nutrition and Dietetics" is one name
    else:
        candidates = [part.strip() for part in text.split(",")]
        # PubMed ends the list with a full stop: "Cock PJ, Antao T." (not part of a name
        # when the other names have no full stops).
        if not any("." in candidate for candidate in candidates[:-1]):
            candidates[-1] = candidates[-1].rstrip(".")
        # PubMed's CSV: "Surname Initials, Surname Initials" (no comma inside a name).
        if len(candidates) > 1 and all(_SHORT_NAME.match(c) for c in candidates if c):
            parts = candidates
        else:
            parts = [text]
    return unique(format_author(part) for part in parts)


_LIST_ITEM = re.compile(r"""\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*(?:,|$)""")


def list_literal_items(text: str) -> list[str] | None:
    """The strings of a Python list literal ("['a', 'b']"), or None when `text` is not one."""
    if not (text.startswith("[") and text.endswith("]")):
        return None
    inner, items, pos = text[1:-1].strip(), [], 0
    while pos < len(inner):
        match = _LIST_ITEM.match(inner, pos)
        if not match:
            return None
        items.append((match.group(1) or match.group(2) or "").replace("\\'", "'"))
        pos = match.end()
    return items


# --- Years, pages -----------------------------------------------------------------------------

_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d|2100)(?!\d)")


def parse_year(value: object) -> int | None:
    """The first plausible four-digit year in a date ("2002 Sep", "1948/07//", "2019-03-18")."""
    if (
        isinstance(value, str)
        and value[:4].isdigit()
        and value[:4].isascii()
        and (len(value) == 4 or not value[4].isdigit())
    ):
        year = int(value[:4])
        if 1500 <= year <= 2100:
            return year
    match = _YEAR.search(clean_text(value))
    return int(match.group(1)) if match else None


def join_pages(start: object, end: object = "") -> str:
    """ "123-130" from a start and an end page; the start alone when there is no end."""
    start, end = clean_text(start), clean_text(end)
    start = start.replace("–", "-").replace("—", "-").replace("--", "-")
    if " -" in start or "- " in start:  # Scopus writes "101 - 115"
        start = re.sub(r"\s*-\s*", "-", start)
    if start and end and "-" not in start:
        return f"{start}-{end}"
    return start or end


# --- Structured abstracts ---------------------------------------------------------------------

_LABEL_START = re.compile(r"[A-Z][A-Z0-9 ,&/()'-]{2,60}: ")
_LABEL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,&/()'-")


def _labels(text: str) -> list[tuple[int, int]]:
    """(start, end) of each "LABEL" followed by ": " at the start or after a sentence's end."""
    found = []
    colon = text.find(": ")
    while colon >= 0:
        start = colon
        while start > 0 and colon - start < 61 and text[start - 1] in _LABEL_CHARS:
            start -= 1
        while start < colon and not text[start].isalpha():
            start += 1
        if colon - start >= 3 and (
            start == 0 or (start >= 2 and text[start - 1] == " " and text[start - 2] in ".?!)]")
        ):
            found.append((start, colon))
        colon = text.find(": ", colon + 2)
    return found


def _split_sections(text: str) -> list[tuple[str, str]]:
    if not text or not _LABEL_START.match(text):
        return []
    labels = _labels(text)
    if len(labels) < 2 or labels[0][0] != 0:
        return []
    sections = []
    for index, (start, colon) in enumerate(labels):
        end = labels[index + 1][0] if index + 1 < len(labels) else len(text)
        body = text[colon + 2 : end].strip()
        if not body:
            return []
        sections.append((text[start:colon].strip(), body))
    return sections


def join_abstract_sections(sections: Iterable[tuple[str, str]]) -> str:
    """The plain abstract: one "LABEL: text" paragraph per (label, text) section."""
    return "\n\n".join(
        f"{label}: {body}" if label else body for label, body in sections if body or label
    )


# --- Encoding damage --------------------------------------------------------------------------

# UTF-8 read as Windows-1252/Latin-1: "Ã©" for "é", "Â°" for "°", "â€™" for "’".
_MOJIBAKE = re.compile(
    "[\u00c2\u00c3][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
    "|\u00e2\u20ac[\u0080-\u00bf\u0153\u02dc\u2122\u201c\u201d\u2018\u2019\u00a6\u00a2\u00a1\u00a0]"
    "|\ufffd"
)


def mojibake_sample(text: str) -> str:
    """The first stretch of text that looks like wrongly decoded UTF-8, or ""."""
    if not text or not (
        "\u00c2" in text or "\u00c3" in text or "\u00e2" in text or "\ufffd" in text
    ):
        return ""
    match = _MOJIBAKE.search(text)
    return match.group(0) if match else ""


def structured_abstract(text: str) -> tuple[str, list[tuple[str, str]]]:
    """(plain abstract, sections) for an abstract given as one string.

    A structured abstract gets one "LABEL: text" paragraph per section, as PubMed XML's do;
    any other abstract is returned with its whitespace cleaned and no sections.
    """
    text = clean_text(text)
    sections = _split_sections(text)
    if sections:
        return join_abstract_sections(sections), sections
    return text, []
