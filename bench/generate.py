"""Large PubMed XML and MEDLINE files built from real records, for the import benchmark.

The real records of a corpus directory (by default the repository's tests/data/biopython) are
repeated in turn. Each copy gets a PMID, DOI and PMCID of its own, a title of its own (words of
the corpus in a new order), a first author and a year, so that every record is a different work
and the duplicate blocks (same year and first author) stay as small as in a real search. The
rest of each record (abstract, the other authors, MeSH, affiliations, grants, references) is the
real text, so the files weigh what real exports weigh.

Planned duplicates, chosen by a seeded random generator so that a run can be repeated:
- `DUPLICATE_RATE` of the records repeat an earlier record byte for byte (same PMID): the
  import must attach them to the reference already made (rule "pmid");
- `NEAR_RATE` of the records are a near duplicate of an earlier one: another PMID and DOI, the
  same year and first author, and the title with one typo (two letters swapped).

Plain Python and lxml; Django is not needed here.
"""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from references.duplicates import NearItem, first_author_key, title_key

DUPLICATE_RATE = 0.05
NEAR_RATE = 0.01
FIRST_PMID = 50_000_000  # above the PMIDs PubMed has handed out so far
DOI_PREFIX = "10.5555/bench."
YEARS = (1975, 2024)

_SLOT = re.compile(r"@@([A-Z]+)@@")
_WORD = re.compile(r"[A-Za-z][a-z]{2,}")
_MEDLINE_START = re.compile(r"^PMID- *\d", re.MULTILINE)
_SYLLABLES = (
    "an ber ca del dor en fa gan ha ki ko la li lo ma mi mo na ne no o pa pe ra ri ro sa se "
    "shi so ta te to u va vi wa we ya yo za zu chen lin son sen berg man ski ez ov ic"
)


class CorpusError(Exception):
    """The corpus directory holds no usable PubMed XML or MEDLINE records."""


@dataclass
class Corpus:
    directory: Path
    xml_header: str = ""  # the XML declaration and DOCTYPE of the first PubMed XML file
    xml_templates: list[list[str]] = field(default_factory=list)
    xml_files: list[Path] = field(default_factory=list)
    medline_templates: list[list[str]] = field(default_factory=list)
    medline_files: list[Path] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    surnames: list[str] = field(default_factory=list)


@dataclass
class Spec:
    """What makes one generated record what it is; the rest comes from its template."""

    template: int
    pmid: int
    title: str
    year: int
    surname: str


@dataclass
class Plan:
    records: int = 0
    duplicates: int = 0  # records that repeat an earlier record's PMID
    near: int = 0  # records whose title is an earlier record's with a typo
    near_pairs: list[tuple[int, int]] = field(default_factory=list)  # (earlier pmid, pmid)

    @property
    def unique(self) -> int:
        return self.records - self.duplicates


# --- Reading the corpus -----------------------------------------------------------------------


def load_corpus(directory: str | Path) -> Corpus:
    """Every PubmedArticle and MEDLINE record under `directory` (searched recursively)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CorpusError(f"{directory} is not a directory")
    corpus = Corpus(directory=directory)
    texts: list[str] = []
    surnames: set[str] = set()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        with path.open("rb") as handle:
            head = handle.read(4096)
        if b"<PubmedArticleSet" in head:
            _read_xml(corpus, path, texts, surnames)
        elif _MEDLINE_START.search(head.decode("utf-8", "replace")):
            _read_medline(corpus, path, texts, surnames)
    if not corpus.xml_templates and not corpus.medline_templates:
        raise CorpusError(f"no PubMed XML or MEDLINE records under {directory}")
    corpus.words = sorted({w.lower() for text in texts for w in _WORD.findall(text)})
    corpus.surnames = sorted(s for s in surnames if s.isalpha())
    return corpus


def _read_xml(corpus: Corpus, path: Path, texts: list[str], surnames: set[str]) -> None:
    data = path.read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(data, parser)
    articles = list(root.iterfind("PubmedArticle"))
    if not articles:
        return
    if not corpus.xml_header:
        text = data.decode("utf-8")
        corpus.xml_header = text[: text.index("<PubmedArticleSet")].strip()
    corpus.xml_files.append(path)
    for article in articles:
        texts.extend(article.xpath(".//ArticleTitle//text() | .//AbstractText//text()"))
        surnames.update(article.xpath(".//AuthorList/Author/LastName/text()"))
        corpus.xml_templates.append(_xml_template(article))


def _xml_template(article: etree._Element) -> list[str]:
    """The article's XML split around its slots: [text, slot, text, slot, ..., text]."""
    article = copy.deepcopy(article)
    citation = article.find("MedlineCitation")
    citation.find("PMID").text = "@@PMID@@"
    body = citation.find("Article")
    title = body.find("ArticleTitle")
    for child in list(title):
        title.remove(child)
    title.text = "@@TITLE@@"
    first_author = body.find("AuthorList/Author/LastName")
    if first_author is not None:
        first_author.text = "@@SURNAME@@"
    date = body.find("Journal/JournalIssue/PubDate")
    if date is not None:
        year = date.find("Year")
        if year is None:
            year = date.find("MedlineDate")
        if year is not None:
            year.text = "@@YEAR@@"
    for article_id in article.iterfind("PubmedData/ArticleIdList/ArticleId"):
        kind = article_id.get("IdType")
        if kind in ("pubmed", "doi", "pmc"):
            article_id.text = {"pubmed": "@@PMID@@", "doi": "@@DOI@@", "pmc": "@@PMC@@"}[kind]
    for location in body.iterfind("ELocationID"):
        if location.get("EIdType") == "doi":
            location.text = "@@DOI@@"
    return _SLOT.split(etree.tostring(article, encoding="unicode", with_tail=False))


def _read_medline(corpus: Corpus, path: Path, texts: list[str], surnames: set[str]) -> None:
    text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
    records = [r.strip("\n") for r in re.split(r"\n\s*\n", text) if r.strip()]
    records = [r for r in records if r.startswith("PMID-")]
    if not records:
        return
    corpus.medline_files.append(path)
    for record in records:
        template, title, surname = _medline_template(record)
        texts.append(title)
        if surname:
            surnames.add(surname)
        corpus.medline_templates.append(template)


def _medline_template(record: str) -> tuple[list[str], str, str]:
    out: list[str] = []
    title_lines: list[str] = []
    surname = ""
    in_title = first_au = False
    for line in record.split("\n"):
        tag = line[:4].rstrip()
        if in_title and not tag:
            title_lines.append(line[6:])
            continue
        in_title = False
        if tag == "PMID":
            out.append("PMID- @@PMID@@")
        elif tag == "TI":
            in_title = True
            title_lines.append(line[6:])
            out.append("@@TITLE@@")
        elif tag == "DP":
            out.append("DP  - @@YEAR@@" + line[10:])
        elif tag == "FAU" and not surname:
            surname = line[6:].split(",")[0]
            out.append("FAU - @@SURNAME@@" + line[6 + len(surname) :])
        elif tag == "AU" and surname and not first_au and line[6:].startswith(surname + " "):
            first_au = True
            out.append("AU  - @@SURNAME@@" + line[6 + len(surname) :])
        elif tag in ("AID", "LID") and line.rstrip().endswith("[doi]"):
            out.append(line[:6] + "@@DOI@@ [doi]")
        elif tag == "PMC":
            out.append("PMC - @@PMC@@")
        else:
            out.append(line)
    return _SLOT.split("\n".join(out)), " ".join(title_lines), surname


# --- Synthetic values -------------------------------------------------------------------------


class Values:
    """Titles, surnames and years drawn from the corpus's own words and names."""

    def __init__(self, corpus: Corpus, rng: random.Random) -> None:
        self.rng = rng
        self.words = corpus.words or ["study"]
        self.real_surnames = corpus.surnames or ["Smith"]
        syllables = _SYLLABLES.split()
        self.made_surnames = sorted(
            {
                "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()
                for _ in range(6000)
            }
        )

    def title(self) -> str:
        words = self.rng.sample(self.words, min(len(self.words), self.rng.randint(6, 16)))
        return " ".join(words).capitalize() + "."

    def surname(self) -> str:
        # One in five from the corpus (a few common names, as in real searches), the rest made up.
        if self.rng.random() < 0.2:
            return self.rng.choice(self.real_surnames)
        return self.rng.choice(self.made_surnames)

    def year(self) -> int:
        return self.rng.randint(*YEARS)

    def typo(self, title: str) -> str:
        """The title with two neighbouring letters of one word swapped (a different title_key)."""
        words = title.split(" ")
        candidates = [
            (i, j)
            for i, word in enumerate(words)
            for j in range(len(word) - 1)
            if word[j].isalpha()
            and word[j + 1].isalpha()
            and word[j].lower() != word[j + 1].lower()
        ]
        i, j = self.rng.choice(candidates)
        word = words[i]
        words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        changed = " ".join(words)
        assert title_key(changed) != title_key(title)
        return changed


def plan_records(n: int, templates: int, values: Values) -> tuple[list[Spec], Plan]:
    """The specs of `n` records in file order, with the planned duplicates among them."""
    rng = values.rng
    specs: list[Spec] = []
    originals: list[Spec] = []
    plan = Plan(records=n)
    next_pmid = FIRST_PMID
    for index in range(n):
        roll = rng.random()
        if originals and roll < DUPLICATE_RATE:
            specs.append(rng.choice(originals))
            plan.duplicates += 1
            continue
        next_pmid += 1
        if originals and roll < DUPLICATE_RATE + NEAR_RATE:
            earlier = rng.choice(originals)
            spec = Spec(
                earlier.template,
                next_pmid,
                values.typo(earlier.title),
                earlier.year,
                earlier.surname,
            )
            plan.near += 1
            plan.near_pairs.append((earlier.pmid, spec.pmid))
        else:
            spec = Spec(
                index % templates, next_pmid, values.title(), values.year(), values.surname()
            )
        specs.append(spec)
        originals.append(spec)
    return specs, plan


# --- Writers ----------------------------------------------------------------------------------


def _fill(parts: list[str], values: dict[str, str]) -> str:
    return "".join(part if i % 2 == 0 else values[part] for i, part in enumerate(parts))


def _slot_values(spec: Spec) -> dict[str, str]:
    return {
        "PMID": str(spec.pmid),
        "DOI": f"{DOI_PREFIX}{spec.pmid}",
        "PMC": f"PMC{spec.pmid}",
        "YEAR": str(spec.year),
        "SURNAME": spec.surname,
        "TITLE": spec.title,
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pubmed_article_xml(corpus: Corpus, spec: Spec) -> str:
    """The `<PubmedArticle>` element of `spec`: its template with the slots filled (escaped)."""
    slots = {k: _escape(v) for k, v in _slot_values(spec).items()}
    return _fill(corpus.xml_templates[spec.template], slots)


def write_pubmed_xml(path: Path, corpus: Corpus, n: int, seed: int = 1) -> Plan:
    """A PubMed XML file of `n` PubmedArticle records (one PubmedArticleSet, the DOCTYPE kept)."""
    if not corpus.xml_templates:
        raise CorpusError(f"no PubMed XML records under {corpus.directory}")
    values = Values(corpus, random.Random(seed))
    specs, plan = plan_records(n, len(corpus.xml_templates), values)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(corpus.xml_header + "\n<PubmedArticleSet>\n")
        for spec in specs:
            slots = {k: _escape(v) for k, v in _slot_values(spec).items()}
            out.write(_fill(corpus.xml_templates[spec.template], slots))
            out.write("\n")
        out.write("</PubmedArticleSet>\n")
    return plan


def _medline_title(title: str) -> str:
    """A TI field wrapped as PubMed writes it: 'TI  - ' then continuation lines of six spaces."""
    lines, line = [], ""
    for word in title.split(" "):
        if line and len(line) + 1 + len(word) > 76:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "TI  - " + "\n      ".join(lines)


def write_medline(path: Path, corpus: Corpus, n: int, seed: int = 1) -> Plan:
    """A MEDLINE (.nbib) file of `n` records, each after a blank line as PubMed writes them."""
    if not corpus.medline_templates:
        raise CorpusError(f"no MEDLINE records under {corpus.directory}")
    values = Values(corpus, random.Random(seed))
    specs, plan = plan_records(n, len(corpus.medline_templates), values)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for spec in specs:
            slots = _slot_values(spec)
            slots["TITLE"] = _medline_title(spec.title)
            out.write("\n")
            out.write(_fill(corpus.medline_templates[spec.template], slots))
            out.write("\n")
    return plan


# --- Items for near-duplicate detection alone -------------------------------------------------


def near_items(
    corpus: Corpus, n: int, seed: int = 1, *, with_pmid: float = 0.5, with_doi: float = 0.3
) -> tuple[list[NearItem], set[tuple[int, int]]]:
    """`n` items as a mixed review holds them: some from PubMed (with a PMID), some without.

    `NEAR_RATE * 2` of them are planted near duplicates of an earlier item: one typo in the
    title, same year and first author, and no identifiers (as a record from another database).
    Returns the items and the planted pairs (lower id, higher id).
    """
    rng = random.Random(seed)
    values = Values(corpus, rng)
    items: list[NearItem] = []
    planted: set[tuple[int, int]] = set()
    for item_id in range(1, n + 1):
        if items and rng.random() < NEAR_RATE * 2:
            earlier = rng.choice(items)
            title = values.typo(earlier.title)
            items.append(NearItem(item_id, title, earlier.year, earlier.first_author))
            planted.add((earlier.id, item_id))
            continue
        items.append(
            NearItem(
                id=item_id,
                title=title_key(values.title()),
                year=values.year(),
                first_author=first_author_key([values.surname()]),
                pmid=str(FIRST_PMID + item_id) if rng.random() < with_pmid else "",
                doi=f"{DOI_PREFIX}{item_id}" if rng.random() < with_doi else "",
            )
        )
    return items, planted
