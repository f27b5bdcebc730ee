"""A local stand-in for NCBI's E-utilities (PubMed only), for tests, benchmarks and demos.

It answers `esearch.fcgi` and `efetch.fcgi` under `/entrez/eutils/` the way NCBI does: the same
XML shapes (copied from the recorded answers in tests/data/biopython/Entrez), the 9,999-PMID
paging limit of esearch, the history server (usehistory=y, WebEnv + query_key), unknown PMIDs
silently left out by efetch, and <ERROR> documents sent with HTTP 200. On request it also
misbehaves like NCBI on a bad day (429, 5xx, slow, cut-off or garbled answers, a maintenance
page) and can enforce NCBI's rate limit (3 requests a second, 10 with an api_key); every request
is logged so that a test can check what the client sent.

The articles are the 8 real PubMed records of tests/data/biopython/Entrez plus, if asked,
synthetic ones made from them by bench.generate (new PMID, DOI, title, first author and date).

Run it from the repository root:

    python -m tests.fake_eutils [--port 8765] [--synthetic 2000] [--topic ivonescimab]

and point the application at it with PUBMED_EUTILS_URL=http://127.0.0.1:8765/entrez/eutils/.
In tests:

    from tests.fake_eutils import ArticleStore, serve

    store = ArticleStore.real()
    store.add_synthetic(120, topic="ivonescimab")
    with serve(store, max_ids=50) as server:
        server.url  # "http://127.0.0.1:PORT/entrez/eutils/"
        server.fail_next("500", times=2, endpoint="efetch")
        ...
        server.requests  # what arrived, in order

Plain Python and lxml: no Django, nothing of the application (bench.generate imports only
references.duplicates, which is plain Python too).
"""

from __future__ import annotations

import argparse
import calendar
import random
import re
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from lxml import etree

from bench.generate import Corpus, Spec, Values, load_corpus, pubmed_article_xml

DATA_DIR = Path(__file__).resolve().parent / "data" / "biopython" / "Entrez"
BASE_PATH = "/entrez/eutils/"
ENDPOINTS = {BASE_PATH + "esearch.fcgi": "esearch", BASE_PATH + "efetch.fcgi": "efetch"}
FAULT_KINDS = ("429", "500", "502", "503", "slow", "truncated", "cut-xml", "error-doc", "html")
DEFAULT_ERROR_MESSAGE = "Search Backend failed: Database is not available"
ESEARCH_RETMAX_LIMIT = 10_000  # NCBI silently clamps a larger retmax to this

# The prologs of NCBI's answers, copied from the recorded ones (esearch2.xml, pubmed1.xml).
ESEARCH_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
EFETCH_HEAD = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)
# What NCBI puts before an efetch <ERROR>. Biopython bundles no efetch.dtd: Entrez.read on this
# would try to download it (as with the real thing); read it with lxml.
EFETCH_ERROR_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eFetchResult PUBLIC "-//NLM//DTD efetch 20131226//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20131226/efetch.dtd">\n'
)
XML_TYPE = "text/xml; charset=UTF-8"
TEXT_TYPE = "text/plain; charset=UTF-8"
RATE_LIMIT_BODY = b'{"error":"API rate limit exceeded","count":"4","limit":"3"}'
MAINTENANCE_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>NCBI - Maintenance</title></head>
<body><h1>NCBI E-utilities are temporarily unavailable</h1>
<p>We're sorry, but the service is undergoing scheduled maintenance. Please try again later.</p>
<p>National Center for Biotechnology Information, U.S. National Library of Medicine</p>
</body></html>
"""
STATUS_TEXT = {
    "500": b"500 Internal Server Error\n",
    "502": b"502 Bad Gateway\n",
    "503": b"503 Service Temporarily Unavailable\n",
}

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_YEAR = re.compile(r"\d{4}")
_PUB_DATE = re.compile(r"<PubDate>.*?</PubDate>", re.DOTALL)


# --- The articles -----------------------------------------------------------------------------


@dataclass(eq=False)
class Article:
    pmid: str
    pdat: date
    title: str  # lower case
    # Lower case: abstract, MeSH descriptors, keywords and journal title. Synthetic copies of
    # one real article share this string, so 25,000 of them cost little memory.
    body: str
    xml_text: str | None = None  # a real article's XML; a synthetic one is made when asked
    source: tuple[Corpus, Spec] | None = None

    @property
    def xml(self) -> str:
        """The article as one `<PubmedArticle>…</PubmedArticle>` element."""
        if self.xml_text is not None:
            return self.xml_text
        return self.render()

    def render(self) -> str:
        """Build a synthetic article's XML from its template."""
        corpus, spec = self.source
        xml = pubmed_article_xml(corpus, spec)
        # The template keeps its original month and day; give the XML the article's own date.
        pub_date = (
            f"<PubDate><Year>{self.pdat.year}</Year><Month>{calendar.month_abbr[self.pdat.month]}"
            f"</Month><Day>{self.pdat.day:02d}</Day></PubDate>"
        )
        return _PUB_DATE.sub(pub_date, xml, count=1)

    @property
    def text(self) -> str:
        """Everything a search looks in: title, abstract, MeSH, keywords, journal title."""
        return f"{self.title} {self.body}"

    def contains(self, word: str) -> bool:
        return word in self.title or word in self.body


class ArticleStore:
    """The PubMed the fake server knows: PMID -> Article (XML, publication date, search text)."""

    def __init__(self, data_dir: str | Path = DATA_DIR) -> None:
        self.data_dir = Path(data_dir)
        self.articles: dict[str, Article] = {}
        self.real_pmids: list[str] = []
        self._corpus: Corpus | None = None
        self._template_bodies: list[str] = []
        self._ordered: list[Article] | None = None

    @classmethod
    def real(cls, data_dir: str | Path = DATA_DIR) -> ArticleStore:
        """The real articles of the `pubmed*.xml` files of `data_dir` (8 in the default one)."""
        store = cls(data_dir)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        for path in sorted(store.data_dir.glob("pubmed*.xml")):
            root = etree.parse(str(path), parser).getroot()
            for element in root.iterfind("PubmedArticle"):
                pmid = element.findtext("MedlineCitation/PMID").strip()
                title, body = _search_texts(element)
                xml = etree.tostring(element, encoding="unicode", with_tail=False)
                store._add(Article(pmid, _pub_date(element), title, body, xml_text=xml))
                store.real_pmids.append(pmid)
        return store

    def add_synthetic(
        self,
        n: int,
        *,
        seed: int = 1,
        topic: str | None = None,
        first_pmid: int = 60_000_000,
        years: tuple[int, int] = (2000, 2026),
    ) -> list[str]:
        """Add `n` articles made from the real ones; return their PMIDs.

        Each has a PMID of its own (consecutive from `first_pmid`, skipping those in use), a DOI,
        a title of corpus words, a first author and a publication date in `years` (inclusive).
        With `topic`, the word starts every title, so that searching for it (a word the corpus
        does not hold) finds exactly these `n`.
        """
        corpus = self._load_corpus()
        rng = random.Random(seed)
        values = Values(corpus, rng)
        pmid = first_pmid
        added: list[str] = []
        for index in range(n):
            while str(pmid) in self.articles:
                pmid += 1
            title = values.title()
            if topic:
                title = f"{topic.capitalize()} {title[0].lower()}{title[1:]}"
            year = rng.randint(*years)
            start = date(year, 1, 1)
            pdat = start + timedelta(days=rng.randrange((date(year + 1, 1, 1) - start).days))
            template = index % len(corpus.xml_templates)
            spec = Spec(template, pmid, title, year, values.surname())
            body = self._template_bodies[template]
            self._add(Article(str(pmid), pdat, title.lower(), body, source=(corpus, spec)))
            added.append(str(pmid))
            pmid += 1
        return added

    def prebuild(self) -> None:
        """Render every synthetic article's XML now and keep it, so that the server answers
        at once (for benchmarks; 20,000 articles take about 350 MB)."""
        for article in self.articles.values():
            if article.xml_text is None:
                article.xml_text = article.render()

    def _load_corpus(self) -> Corpus:
        if self._corpus is None:
            self._corpus = load_corpus(self.data_dir)
            # The search text of each template, read once from a copy with dummy values.
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            for template in range(len(self._corpus.xml_templates)):
                xml = pubmed_article_xml(self._corpus, Spec(template, 1, "", 2000, "X"))
                self._template_bodies.append(_search_texts(etree.fromstring(xml, parser))[1])
        return self._corpus

    def _add(self, article: Article) -> None:
        self.articles[article.pmid] = article
        self._ordered = None

    def __len__(self) -> int:
        return len(self.articles)

    def __contains__(self, pmid: object) -> bool:
        return pmid in self.articles

    def __getitem__(self, pmid: str) -> Article:
        return self.articles[pmid]

    def get(self, pmid: str) -> Article | None:
        return self.articles.get(pmid)

    def ordered(self) -> list[Article]:
        """Every article, most recent first (PubMed's default order): pdat, then PMID."""
        ordered = self._ordered
        if ordered is None:
            ordered = sorted(
                self.articles.values(), key=lambda a: (a.pdat, int(a.pmid)), reverse=True
            )
            self._ordered = ordered
        return ordered

    def search(
        self, term: str, mindate: str | None = None, maxdate: str | None = None
    ) -> list[str]:
        """The PMIDs `term` finds within the publication dates, most recent first."""
        query = parse_term(term)
        low = _parse_date(mindate, end=False) if mindate else date.min
        high = _parse_date(maxdate, end=True) if maxdate else date.max
        return [
            article.pmid
            for article in self.ordered()
            if low <= article.pdat <= high and _matches(query, article)
        ]


def _search_texts(article: etree._Element) -> tuple[str, str]:
    """(title, the rest) of what a search looks in, in lower case."""
    citation = article.find("MedlineCitation")
    title = " ".join(citation.xpath("Article/ArticleTitle//text()"))
    rest = citation.xpath(
        "Article/Abstract/AbstractText//text()"
        " | MeshHeadingList/MeshHeading/DescriptorName/text()"
        " | KeywordList/Keyword//text()"
        " | Article/Journal/Title/text()"
    )
    return title.lower(), " ".join(rest).lower()


def _pub_date(article: etree._Element) -> date:
    """The journal issue's publication date; a missing month or day counts as the first."""
    pub = article.find("MedlineCitation/Article/Journal/JournalIssue/PubDate")
    if pub is None:
        return date(1900, 1, 1)
    year = (pub.findtext("Year") or "").strip()
    if not year:
        found = _YEAR.search(pub.findtext("MedlineDate") or "")
        return date(int(found.group()), 1, 1) if found else date(1900, 1, 1)
    month_text = (pub.findtext("Month") or "1").strip()
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text[:3].lower(), 1)
    day = (pub.findtext("Day") or "1").strip()
    try:
        return date(int(year), month, int(day))
    except ValueError:
        return date(int(year), month, 1)


def _parse_date(text: str, *, end: bool) -> date:
    """YYYY, YYYY/MM or YYYY/MM/DD; a range's end takes the last day of its year or month."""
    parts = [int(part) for part in text.strip().replace("-", "/").split("/")]
    if len(parts) == 1:
        return date(parts[0], 12, 31) if end else date(parts[0], 1, 1)
    if len(parts) == 2:
        year, month = parts
        return date(year, month, calendar.monthrange(year, month)[1] if end else 1)
    if len(parts) == 3:
        return date(*parts)
    raise ValueError(text)


# --- Queries ----------------------------------------------------------------------------------
# A small part of PubMed's syntax: words (each must occur in the article's text, as a
# substring), AND (also implied between words), OR, and parentheses. Field tags are ignored,
# quotes dropped (a phrase is its words), and subset filters such as all[sb] match everything.

_SUBSET_FILTER = re.compile(r"[^\s()\[\]]+\[sb\]", re.IGNORECASE)
_FIELD_TAG = re.compile(r"\[[^\]]*\]")
_TOKEN = re.compile(r"[()]|[^\s()]+")


@dataclass
class Node:
    op: str  # "and" or "or"
    children: list[Node | str] = field(default_factory=list)  # words are lower-case str


def parse_term(term: str) -> Node:
    """The query tree of an esearch term: Node("and", ["ivonescimab", Node("or", [...])])."""
    text = _SUBSET_FILTER.sub(" ", term)
    text = _FIELD_TAG.sub(" ", text).replace('"', " ")
    tokens = _TOKEN.findall(text)
    parts: list[Node | str] = []
    position = 0
    while position < len(tokens):
        node, position = _parse_or(tokens, position)
        parts.append(node)
        position += 1  # past a ")" that closes nothing
    return parts[0] if len(parts) == 1 and isinstance(parts[0], Node) else Node("and", parts)


def _parse_or(tokens: list[str], position: int) -> tuple[Node, int]:
    parts = []
    while True:
        node, position = _parse_and(tokens, position)
        parts.append(node)
        if position < len(tokens) and tokens[position] == "OR":
            position += 1
            continue
        return (parts[0] if len(parts) == 1 else Node("or", parts)), position


def _parse_and(tokens: list[str], position: int) -> tuple[Node, int]:
    node = Node("and")
    while position < len(tokens) and tokens[position] not in ("OR", ")"):
        token = tokens[position]
        position += 1
        if token == "(":
            inner, position = _parse_or(tokens, position)
            if position < len(tokens) and tokens[position] == ")":
                position += 1
            node.children.append(inner)
        elif token.upper() != "AND":
            node.children.append(token.lower())
    return node, position


def _matches(node: Node | str, article: Article) -> bool:
    if isinstance(node, str):
        return article.contains(node)
    if node.op == "and":
        return all(_matches(child, article) for child in node.children)
    return any(_matches(child, article) for child in node.children)


def translate(node: Node | str, *, top: bool = True) -> str:
    """A QueryTranslation in PubMed's manner: '"a"[All Fields] AND ("b"[All Fields] OR …)'."""
    if isinstance(node, str):
        return f'"{node}"[All Fields]'
    parts = [translate(child, top=False) for child in node.children]
    if not parts:
        return "all[sb]"
    joined = f" {node.op.upper()} ".join(parts)
    return joined if top or len(parts) == 1 else f"({joined})"


# --- The server -------------------------------------------------------------------------------


@dataclass
class RequestLog:
    endpoint: str  # "esearch", "efetch", or the path asked for
    method: str
    params: dict[str, str]  # query string and form body merged
    at: float  # time.monotonic() when the request arrived
    ids: list[str]  # the id= list of an efetch, as sent
    status: int
    fault: str | None  # the fault kind served, "rate-limit" for enforce_rate, or None


@dataclass
class _Fault:
    kind: str
    remaining: int
    endpoint: str | None
    message: str


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = XML_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    cut_at: int | None = None  # send only this many bytes of the body, then close


class FakeEutils(ThreadingHTTPServer):
    """The HTTP server; `serve()` runs one in a thread. See the module docstring."""

    daemon_threads = True
    # Leave in-flight requests (a "slow" one sleeps for seconds) to their daemon threads
    # instead of waiting for them on close.
    block_on_close = False

    def __init__(
        self,
        store: ArticleStore,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_ids: int = 9999,
        enforce_rate: bool = False,
        verbose: bool = False,
        slow_seconds: float = 3.0,
        recorded_esearch: dict[str, Path] | None = None,
    ) -> None:
        self.store = store
        self.max_ids = max_ids
        self.enforce_rate = enforce_rate
        self.verbose = verbose
        self.slow_seconds = slow_seconds
        if recorded_esearch is None:
            recorded_esearch = {"biopython": DATA_DIR / "esearch1.xml"}
        self.recorded_esearch = recorded_esearch
        self.history: dict[str, list[str]] = {}  # WebEnv -> every PMID of its query #1
        self._lock = threading.Lock()
        self._log: list[RequestLog] = []
        self._faults: list[_Fault] = []
        self._arrivals: dict[str, deque[float]] = {}  # api_key ("" for none) -> arrival times
        store.ordered()  # sort once now rather than in the first request
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{BASE_PATH}"

    @property
    def requests(self) -> list[RequestLog]:
        """The requests so far, in the order they arrived (a copy)."""
        with self._lock:
            return list(self._log)

    def reset_log(self) -> None:
        with self._lock:
            self._log.clear()

    def fail_next(
        self,
        kind: str,
        times: int = 1,
        endpoint: str | None = None,
        message: str = DEFAULT_ERROR_MESSAGE,
    ) -> None:
        """Serve the fault `kind` to the next `times` requests to `endpoint` (None: any)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        if endpoint not in (None, "esearch", "efetch"):
            raise ValueError(f"unknown endpoint {endpoint!r}: 'esearch', 'efetch' or None")
        with self._lock:
            self._faults.append(_Fault(kind, times, endpoint, message))

    def handle_error(self, request, client_address) -> None:
        # A client that hangs up (a timeout, a test that is done) is not worth a traceback.
        if not self.verbose and isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    # Answers ----------------------------------------------------------------------------------

    def answer(self, method: str, path: str, params: dict[str, str], at: float) -> Reply:
        """The reply to one request, logged before it is sent (so a client that has its
        answer always finds its request in the log)."""
        endpoint = ENDPOINTS.get(path, path)
        ids = _split_ids(params.get("id", "")) if endpoint == "efetch" else []
        reply, fault = self._answer(endpoint, params, at)
        with self._lock:
            self._log.append(RequestLog(endpoint, method, params, at, ids, reply.status, fault))
        return reply

    def _answer(self, endpoint: str, params: dict[str, str], at: float) -> tuple[Reply, str | None]:
        if self.enforce_rate and self._over_rate(params.get("api_key", ""), at):
            return _rate_limited(), "rate-limit"
        fault = self._take_fault(endpoint)
        if fault is None:
            return self._normal(endpoint, params), None
        kind = fault.kind
        if kind == "429":
            return _rate_limited(), kind
        if kind in STATUS_TEXT:
            return Reply(int(kind), STATUS_TEXT[kind], TEXT_TYPE), kind
        if kind == "html":
            return Reply(200, MAINTENANCE_PAGE, "text/html; charset=UTF-8"), kind
        if kind == "error-doc":
            return _error_doc(endpoint, fault.message), kind
        reply = self._normal(endpoint, params)
        if kind == "slow":
            reply.delay = self.slow_seconds
        elif kind == "truncated":
            reply.cut_at = len(reply.body) // 2
        elif kind == "cut-xml":
            # A complete delivery of an incomplete document: cut (on a character, not a
            # byte) half-way, which falls inside an article, and announce the cut length.
            text = reply.body.decode("utf-8")
            reply.body = text[: len(text) // 2].encode("utf-8")
        return reply, kind

    def _over_rate(self, key: str, at: float) -> bool:
        limit = 10 if key else 3
        with self._lock:
            window = self._arrivals.setdefault(key, deque())
            window.append(at)  # refused requests count too, as they do at NCBI
            while window and window[0] <= at - 1.0:
                window.popleft()
            return len(window) > limit

    def _take_fault(self, endpoint: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.endpoint in (None, endpoint):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _normal(self, endpoint: str, params: dict[str, str]) -> Reply:
        if endpoint == "esearch":
            return self._esearch(params)
        if endpoint == "efetch":
            return self._efetch(params)
        return Reply(404, f"404 Not Found: {endpoint}\n".encode(), TEXT_TYPE)

    def _esearch(self, params: dict[str, str]) -> Reply:
        term = params.get("term", "")
        if term in self.recorded_esearch:
            return Reply(200, Path(self.recorded_esearch[term]).read_bytes())
        db = params.get("db", "pubmed")
        if db != "pubmed":
            return _error_doc("esearch", f"Invalid db name specified: {db}")
        retstart = max(_int(params.get("retstart"), 0), 0)
        retmax = min(_int(params.get("retmax"), 20), ESEARCH_RETMAX_LIMIT)
        if retstart >= self.max_ids:
            return _error_doc(
                "esearch",
                "Search Backend failed: Exception:\n"
                f"'retstart' cannot be larger than {self.max_ids - 1}. For PubMed, ESearch can "
                f"only retrieve the first {self.max_ids:,} records matching the query. To obtain "
                f"more than {self.max_ids:,} PubMed records, consider using EDirect that contains "
                "additional logic to batch PubMed search results automatically so that an "
                "arbitrary number can be retrieved. For details see "
                "https://www.ncbi.nlm.nih.gov/books/NBK25499/",
            )
        mindate, maxdate = params.get("mindate"), params.get("maxdate")
        try:
            pmids = self.store.search(term, mindate, maxdate)
        except ValueError:
            return _error_doc("esearch", f"Invalid date: {mindate or ''} - {maxdate or ''}")
        query = parse_term(term)
        dated = bool(mindate or maxdate)
        translation = translate(query, top=not dated)
        if dated:
            translation += f" AND {mindate or '1000'}:{maxdate or '3000'}[Date - Publication]"
        out = [ESEARCH_HEAD, "<eSearchResult>"]
        page = pmids[retstart : min(retstart + max(retmax, 0), self.max_ids)]
        out.append(
            f"<Count>{len(pmids)}</Count><RetMax>{len(page)}</RetMax>"
            f"<RetStart>{retstart}</RetStart>"
        )
        if params.get("usehistory", "").lower() == "y":
            webenv = f"MCID_{secrets.token_hex(12)}"
            with self._lock:
                self.history[webenv] = pmids
            out.append(f"<QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv>")
        if page:
            out.append("<IdList>\n" + "".join(f"<Id>{pmid}</Id>\n" for pmid in page) + "</IdList>")
        else:
            out.append("<IdList/>")
        out.append(f"<TranslationSet/><QueryTranslation>{escape(translation)}</QueryTranslation>")
        if not pmids:
            out.append(
                f"<ErrorList><PhraseNotFound>{escape(term)}</PhraseNotFound></ErrorList>"
                "<WarningList><OutputMessage>No items found.</OutputMessage></WarningList>"
            )
        out.append("</eSearchResult>\n")
        return Reply(200, "".join(out).encode("utf-8"))

    def _efetch(self, params: dict[str, str]) -> Reply:
        # retmode and rettype are ignored: the answer is always PubMed XML.
        wanted = [pmid for pmid in _split_ids(params.get("id", "")) if pmid.isdigit()]
        webenv = params.get("WebEnv") or params.get("webenv")
        if not wanted and webenv:
            query_key = params.get("query_key", "1")
            with self._lock:
                found = self.history.get(webenv) if query_key == "1" else None
            if found is None:
                return _error_doc("efetch", f"Unable to obtain query #{query_key}")
            retstart = max(_int(params.get("retstart"), 0), 0)
            wanted = found[retstart : retstart + max(_int(params.get("retmax"), 20), 0)]
        elif not wanted:
            return _error_doc("efetch", "Empty id list - nothing todo")
        out = [EFETCH_HEAD, "<PubmedArticleSet>\n"]
        for pmid in wanted:
            article = self.store.get(pmid)
            if article is not None:  # NCBI leaves unknown PMIDs out without a word
                out.append(article.xml)
                out.append("\n")
        out.append("</PubmedArticleSet>\n")
        return Reply(200, "".join(out).encode("utf-8"))


def _split_ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text not in (None, "") else default
    except ValueError:
        return default


def _rate_limited() -> Reply:
    return Reply(429, RATE_LIMIT_BODY, "application/json", {"Retry-After": "1"})


def _error_doc(endpoint: str, message: str) -> Reply:
    """An E-utilities <ERROR> document, sent with HTTP 200 as NCBI does."""
    if endpoint == "efetch":
        body = (
            f"{EFETCH_ERROR_HEAD}<eFetchResult>\n\t<ERROR>{escape(message)}</ERROR>\n"
            "</eFetchResult>\n"
        )
    else:
        body = f"{ESEARCH_HEAD}<eSearchResult><ERROR>{escape(message)}</ERROR></eSearchResult>\n"
    return Reply(200, body.encode("utf-8"))


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive for clients that can; every reply has a Content-Length.
    protocol_version = "HTTP/1.1"
    timeout = 60  # drop an idle kept-alive connection after a minute
    server: FakeEutils

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        at = time.monotonic()
        url = urlsplit(self.path)
        pairs = parse_qsl(url.query, keep_blank_values=True)
        if method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            pairs += parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True)
        params: dict[str, str] = {}
        for key, value in pairs:
            # A repeated parameter (id=1&id=2) is read as a comma-separated list.
            params[key] = f"{params[key]},{value}" if key in params else value
        reply = self.server.answer(method, url.path, params, at)
        if reply.delay:
            time.sleep(reply.delay)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if reply.cut_at is None:
            self.wfile.write(reply.body)
        else:
            # Promise the whole body, send half, hang up: the client sees an incomplete read.
            self.wfile.write(reply.body[: reply.cut_at])
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


@contextmanager
def serve(store: ArticleStore | None = None, **options) -> Iterator[FakeEutils]:
    """Run a FakeEutils (options as its constructor's) in a daemon thread while in the block."""
    server = FakeEutils(store if store is not None else ArticleStore.real(), **options)
    # A short poll interval so that leaving the block takes milliseconds, not half a second.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- Command line -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_eutils", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--synthetic", type=int, default=2000, help="articles without the topic")
    parser.add_argument("--topic", default="ivonescimab", help="a word only some titles hold")
    parser.add_argument("--topic-count", type=int, default=120, help="articles with the topic")
    parser.add_argument("--max-ids", type=int, default=9999, help="PMIDs esearch pages through")
    parser.add_argument("--enforce-rate", action="store_true", help="429 past 3 (10) a second")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    started = time.monotonic()
    store = ArticleStore.real()
    store.add_synthetic(args.synthetic, seed=1)
    if args.topic_count:
        store.add_synthetic(args.topic_count, seed=2, topic=args.topic)
    server = FakeEutils(
        store,
        host=args.host,
        port=args.port,
        max_ids=args.max_ids,
        enforce_rate=args.enforce_rate,
        verbose=args.verbose,
    )
    real_word = max(re.findall(r"[a-z]+", store[store.real_pmids[0]].title), key=len)
    print(f"Fake E-utilities (PubMed) at {server.url}")
    print(f"  export PUBMED_EUTILS_URL={server.url}")
    print(
        f"  {len(store):,} articles ({len(store.real_pmids)} real, "
        f"{len(store) - len(store.real_pmids):,} synthetic), built in "
        f"{time.monotonic() - started:.1f} s; max_ids {args.max_ids:,}, "
        f"rate limit {'enforced' if args.enforce_rate else 'not enforced'}"
    )
    print("  example queries:")
    for term in (args.topic, real_word, "all[sb]"):
        print(f"    {term!r}: {len(store.search(term)):,} articles")
    print("  the real PMIDs (for a --pmids file):")
    for pmid in store.real_pmids:
        print(f"    {pmid}")
    print("Ctrl-C to stop.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
