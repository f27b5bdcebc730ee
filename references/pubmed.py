"""PubMed through NCBI's E-utilities: count a query, list every PMID it finds, fetch articles.

Plain Python, no ORM. Biopython's `Bio.Entrez` hard-codes NCBI's host, so this module makes the
HTTP requests itself, to the base URL it is given (a setting: tests and benchmarks point it at a
local server), and hands the answers to Biopython to parse (`Entrez.read` for esearch). Fetched
articles are written to files as PubMed XML, which the same streaming reader as file imports
reads (`references.parsers`).

NCBI's rules, kept here for every caller:
- fewer than 3 requests a second without an API key, 10 with one, across every process that
  shares the key: callers pass one `RateLimiter` (a Redis one when several workers run);
- after a 429 or a 5xx, wait before trying again (exponential backoff with a ceiling, longer
  if NCBI says Retry-After), never at once; timeouts and truncated answers are retried the same
  way; an E-utilities error document (<ERROR>) becomes a `PubmedError` with a sentence;
- esearch pages through at most 9,999 PMIDs of a query: a larger result is split by publication
  date until each part fits, and the parts must add up to the whole.

Articles are fetched by PMID (efetch with `id=`, POSTed, a few hundred at a time) rather than
from the history server: a job resumed hours later, or a re-run that fetches only the PMIDs that
are new, asks for exactly the same thing, and a WebEnv expires.
"""

from __future__ import annotations

import http.client
import io
import os
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Protocol

from Bio import Entrez
from lxml import etree

from references.parsers.detect import xml_parser_options

NCBI_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
# PubMed lets esearch page through the first 9,999 PMIDs of a query (retstart <= 9998).
ESEARCH_MAX_IDS = 9999
# The widest publication-date range a split starts from: PubMed's oldest records are from the
# 1780s, and a few carry next year's date.
EARLIEST = date(1700, 1, 1)
PMID = re.compile(r"^[1-9]\d{0,9}$")
# "PMID: 123", "PMID 123", "pmid123": the label only where a number follows it.
_PMID_PREFIX = re.compile(r"(?i)(?<![\w-])pmid\s*[:=]?\s*(?=\d)")


class PubmedError(Exception):
    """PubMed could not answer the request; `str(error)` is a sentence for the user."""


class PubmedUnavailable(PubmedError):
    """PubMed did not answer properly, even after waiting and trying again: try later."""


class _Retry(Exception):
    """A transient failure: wait, then try again."""

    def __init__(self, reason: str, retry_after: float = 0.0):
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ClientConfig:
    base_url: str = NCBI_EUTILS_URL
    email: str = ""
    tool: str = "screening"
    api_key: str = ""
    timeout: float = 60.0  # seconds for one request
    max_tries: int = 6
    backoff: float = 1.0  # first wait after a failure; doubles each time
    backoff_ceiling: float = 30.0
    batch_size: int = 200  # PMIDs per efetch
    max_ids: int = ESEARCH_MAX_IDS

    @property
    def interval(self) -> float:
        """Seconds between requests: NCBI allows 10 a second with an API key, 3 without. A
        little more than a tenth (a third) keeps clear of the limit: requests spaced exactly at
        it meet 429s when network delays bunch them (Biopython found the same, and uses 0.37)."""
        return 0.11 if self.api_key else 0.37


# --- Pacing -----------------------------------------------------------------------------------


class RateLimiter(Protocol):
    def acquire(self) -> float:
        """Block until the caller may send a request; return the seconds waited."""

    def hold(self, seconds: float) -> None:
        """Let no one send a request for `seconds` (after a 429: everyone backs off)."""


class LocalRateLimiter:
    """Spacing for the threads of one process: each caller reserves the next free slot.

    `on_grant`, if given, is told every slot the limiter grants (a time on `clock`), in the
    order it grants them: what the limiter decided, whatever the scheduling of its callers and
    however late their requests then go out (tests check the pace on it)."""

    def __init__(
        self,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_grant: Callable[[float], None] | None = None,
    ):
        self.interval = interval
        self._next = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._on_grant = on_grant

    def acquire(self) -> float:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
            if self._on_grant is not None:
                self._on_grant(slot)  # under the lock: in the order granted
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return max(wait, 0.0)

    def hold(self, seconds: float) -> None:
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


# Reserves the next slot atomically on Redis's own clock, which every worker shares.
_REDIS_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, free)
redis.call('SET', KEYS[1], slot + tonumber(ARGV[1]), 'PX', 60000)
return slot - now
"""
_REDIS_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
redis.call('SET', KEYS[1], math.max(free, now + tonumber(ARGV[1])), 'PX', 120000)
return 0
"""


class RedisRateLimiter:
    """Spacing shared by every process that uses the same Redis key (one key per API key)."""

    def __init__(self, client, key: str, interval: float, *, sleep=time.sleep):
        self.client = client
        self.key = key
        self.interval = interval
        self._acquire = client.register_script(_REDIS_ACQUIRE)
        self._hold = client.register_script(_REDIS_HOLD)
        self._sleep = sleep

    def acquire(self) -> float:
        wait = int(self._acquire(keys=[self.key], args=[int(self.interval * 1_000_000)])) / 1e6
        if wait > 0:
            self._sleep(wait)
        return wait

    def hold(self, seconds: float) -> None:
        self._hold(keys=[self.key], args=[int(seconds * 1_000_000)])


# --- Results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    def split(self) -> tuple[DateRange, DateRange]:
        middle = self.start + (self.end - self.start) // 2
        return DateRange(self.start, middle), DateRange(middle + timedelta(days=1), self.end)

    @property
    def params(self) -> dict[str, str]:
        return {
            "datetype": "pdat",
            "mindate": self.start.strftime("%Y/%m/%d"),
            "maxdate": self.end.strftime("%Y/%m/%d"),
        }

    def __str__(self) -> str:
        return f"{self.start:%Y/%m/%d}-{self.end:%Y/%m/%d}"


@dataclass
class QueryCount:
    """What PubMed says of a query before anything is fetched."""

    query: str
    count: int
    translation: str
    warnings: list[str] = field(default_factory=list)  # phrases not found, ignored...


@dataclass
class QueryResult(QueryCount):
    pmids: list[str] = field(default_factory=list)  # in PubMed's order, each once
    # The publication-date parts the result was split into (empty when it came whole), with
    # their counts: [("1700/01/01-1987/06/05", 8123), ...].
    parts: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    waited_for_rate_limit: float = 0.0  # seconds spent waiting for a slot
    backed_off: float = 0.0  # seconds spent waiting after failures
    in_requests: float = 0.0  # seconds from sending a request to having its answer

    def as_dict(self) -> dict:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "waited_for_rate_limit": round(self.waited_for_rate_limit, 3),
            "backed_off": round(self.backed_off, 3),
            "in_requests": round(self.in_requests, 3),
        }


def parse_pmid_list(text: str) -> tuple[list[str], list[str]]:
    """PMIDs from pasted text or a file: one per line, or separated by commas or spaces;
    "PMID: 123" and "pmid123" forms are accepted. Returns (unique PMIDs in order, invalid
    tokens)."""
    pmids: list[str] = []
    seen: set[str] = set()
    invalid: list[str] = []
    text = _PMID_PREFIX.sub(" ", text)
    for token in re.split(r"[\s,;]+", text):
        token = token.strip().strip("\"'")
        if not token:
            continue
        if PMID.match(token):
            if token not in seen:
                seen.add(token)
                pmids.append(token)
        else:
            invalid.append(token)
    return pmids, invalid


# --- The client -------------------------------------------------------------------------------


class PubmedClient:
    """One caller's conversation with E-utilities. Not shared between threads; the limiter is."""

    def __init__(
        self,
        config: ClientConfig,
        limiter: RateLimiter | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        tick: Callable[[], None] | None = None,
    ):
        self.config = config
        self.limiter = limiter or LocalRateLimiter(config.interval)
        self.stats = ClientStats()
        self._sleep = sleep
        # Called after every answer (a heartbeat for the job that runs this client).
        self.tick = tick or (lambda: None)

    # Public operations ----------------------------------------------------------------------

    def count(self, query: str) -> QueryCount:
        """How many records a query finds, and how PubMed translated it. One request."""
        answer = self._esearch(query, retmax=0)
        return QueryCount(
            query=query,
            count=answer.count,
            translation=answer.translation,
            warnings=answer.warnings,
        )

    def search(self, query: str) -> QueryResult:
        """Every PMID a query finds, splitting it by publication date past 9,999."""
        first = self._esearch(query, retmax=self.config.max_ids)
        result = QueryResult(
            query=query, count=first.count, translation=first.translation, warnings=first.warnings
        )
        if first.count <= self.config.max_ids:
            result.pmids = _unique(first.pmids)
            if len(result.pmids) != first.count:
                raise PubmedError(
                    f"PubMed counted {first.count:,} records for the query but listed "
                    f"{len(result.pmids):,} PMIDs; run the search again."
                )
            return result
        pmids: list[str] = []
        pending = [DateRange(EARLIEST, date(date.today().year + 1, 12, 31))]
        while pending:
            part = pending.pop(0)
            answer = self._esearch(query, retmax=self.config.max_ids, dates=part)
            if answer.count > self.config.max_ids:
                if part.start == part.end:
                    raise PubmedError(
                        f"PubMed finds {answer.count:,} records published on {part.start:%d %b %Y} "
                        f"alone, more than the {self.config.max_ids:,} it lets a search list. "
                        "Narrow the query (by adding terms), or run it in pieces."
                    )
                pending[:0] = part.split()  # depth first, so the PMIDs stay in date order
                continue
            if answer.count:
                result.parts.append((str(part), answer.count))
                pmids.extend(answer.pmids)
        result.pmids = _unique(pmids)
        parts_total = sum(n for _, n in result.parts)
        if parts_total != result.count or len(result.pmids) != result.count:
            raise PubmedError(
                f"PubMed finds {result.count:,} records for the query, but the "
                f"{len(result.parts)} parts it was split into by publication date hold "
                f"{parts_total:,} ({len(result.pmids):,} different PMIDs). Records were added "
                "or changed while the search ran, or some have no publication date; run it "
                "again, or narrow the query."
            )
        return result

    def fetch(self, pmids: list[str], destination: Path) -> list[str]:
        """Fetch these PMIDs' articles as PubMed XML into `destination` (written whole or not
        at all); return the PMIDs PubMed returned, in its order. Unknown PMIDs are absent."""
        if not pmids:
            raise ValueError("fetch needs at least one PMID")
        params = {"db": "pubmed", "retmode": "xml", "id": ",".join(pmids)}
        body, returned = self._request("efetch", params, _read_articles, post=True)
        destination.parent.mkdir(parents=True, exist_ok=True)
        # Another runner may write the same batch at the same time: each writes its own file
        # and renames it into place, which replaces the file whole.
        temporary = destination.with_name(f".{destination.name}.{os.getpid()}.{id(self)}")
        temporary.write_bytes(body)
        os.replace(temporary, destination)
        return returned

    def batches(self, pmids: list[str]) -> Iterable[list[str]]:
        size = self.config.batch_size
        for start in range(0, len(pmids), size):
            yield pmids[start : start + size]

    # Requests ---------------------------------------------------------------------------------

    def _esearch(self, query: str, *, retmax: int, dates: DateRange | None = None):
        params = {"db": "pubmed", "term": query, "retmax": str(retmax), "retstart": "0"}
        if dates is not None:
            params.update(dates.params)
        _, answer = self._request("esearch", params, _read_esearch, post=len(query) > 1500)
        return answer

    def _request(self, endpoint: str, params: dict[str, str], read, *, post: bool = False):
        """Send one E-utilities request, paced and retried; `read(body)` checks the answer and
        returns what the caller wants (raising _Retry for a truncated one)."""
        params = {**params, "tool": self.config.tool}
        if self.config.email:
            params["email"] = self.config.email
        if self.config.api_key:
            params["api_key"] = self.config.api_key
        url = urllib.parse.urljoin(self.config.base_url.rstrip("/") + "/", f"{endpoint}.fcgi")
        encoded = urllib.parse.urlencode(params)
        problem = ""
        for attempt in range(1, self.config.max_tries + 1):
            self.stats.waited_for_rate_limit += self.limiter.acquire()
            self.stats.requests += 1
            started = time.monotonic()
            try:
                body = self._send(url, encoded, post)
                return body, read(body)
            except _Retry as retry:
                problem = str(retry)
                delay = self._backoff(attempt, retry.retry_after)
            finally:
                self.stats.in_requests += time.monotonic() - started
                self.tick()
            if attempt == self.config.max_tries:
                break
            self.stats.retries += 1
            self.stats.backed_off += delay
            self._sleep(delay)
        raise PubmedUnavailable(
            f"PubMed's E-utilities did not answer properly after {self.config.max_tries} tries "
            f"({problem}). Nothing was lost: try again later."
        )

    def _backoff(self, attempt: int, retry_after: float) -> float:
        delay = min(self.config.backoff_ceiling, self.config.backoff * 2 ** (attempt - 1))
        delay = max(delay, min(retry_after, self.config.backoff_ceiling))
        # A little jitter, so that workers refused together do not come back together.
        delay *= 1 + random.random() * 0.1  # noqa: S311 - not for security
        if retry_after:
            self.limiter.hold(delay)
        return delay

    def _send(self, url: str, encoded: str, post: bool) -> bytes:
        if post:
            request = urllib.request.Request(url, data=encoded.encode(), method="POST")
        else:
            request = urllib.request.Request(f"{url}?{encoded}", method="GET")
        request.add_header("User-Agent", f"{self.config.tool} (Biopython {_biopython()})")
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:  # noqa: S310
                body = response.read()
                kind = response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            if error.code == 429:
                raise _Retry("429 too many requests", _retry_after(error)) from None
            if error.code >= 500:
                raise _Retry(f"HTTP {error.code}", _retry_after(error)) from None
            detail = error.read(300).decode("utf-8", "replace").strip()
            raise PubmedError(
                f"PubMed's E-utilities refused the request (HTTP {error.code}"
                f"{': ' + detail if detail else ''})."
            ) from None
        except TimeoutError:
            raise _Retry(f"no answer within {self.config.timeout:g} s") from None
        except http.client.IncompleteRead:
            raise _Retry("the answer was cut off") from None
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise _Retry(f"connection failed: {reason}") from None
        if kind == "text/html":
            # NCBI answers with a web page during maintenance or when overloaded.
            raise _Retry("a web page came back instead of data")
        return body


def _biopython() -> str:
    import Bio

    return Bio.__version__


def _retry_after(error: urllib.error.HTTPError) -> float:
    try:
        return float(error.headers.get("Retry-After", 0))
    except (TypeError, ValueError):
        return 0.0


def _unique(pmids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(pmids))


# --- Reading answers --------------------------------------------------------------------------


@dataclass
class _Esearch:
    count: int
    translation: str
    pmids: list[str]
    warnings: list[str]


def _read_esearch(body: bytes) -> _Esearch:
    """An esearch answer, parsed by Biopython (validated against its bundled DTD)."""
    try:
        record = Entrez.read(io.BytesIO(body))
    except RuntimeError as error:  # Biopython raises this for an <ERROR> document
        raise PubmedError(f"PubMed's E-utilities answered with an error: {error}") from None
    except Exception as error:  # noqa: BLE001 - a cut or garbled answer is retried
        raise _Retry(f"the search answer could not be read ({error.__class__.__name__})") from None
    if "Count" not in record:
        raise _Retry("the search answer had no count")
    warnings = []
    errors = record.get("ErrorList") or {}
    for phrase in errors.get("PhraseNotFound", []):
        warnings.append(f"PubMed found nothing for “{phrase}”.")
    for name in errors.get("FieldNotFound", []):
        warnings.append(f"PubMed does not know the field [{name}].")
    for phrase in (record.get("WarningList") or {}).get("PhraseIgnored", []):
        warnings.append(f"PubMed ignored “{phrase}”.")
    for phrase in (record.get("WarningList") or {}).get("QuotedPhraseNotFound", []):
        warnings.append(f"PubMed found nothing for the quoted phrase “{phrase}”.")
    return _Esearch(
        count=int(record["Count"]),
        translation=str(record.get("QueryTranslation", "")),
        pmids=[str(pmid) for pmid in record.get("IdList", [])],
        warnings=warnings,
    )


_ARTICLE_PMIDS = etree.XPath(
    "/PubmedArticleSet/PubmedArticle/MedlineCitation/PMID/text()"
    " | /PubmedArticleSet/PubmedBookArticle/BookDocument/PMID/text()",
    smart_strings=False,
)


def _read_articles(body: bytes) -> list[str]:
    """The PMIDs of an efetch answer. A batch is a few MB: parsed whole, in C, far faster than
    event by event. A cut-off document is retried; an <ERROR> document is a PubmedError."""
    parser = etree.XMLParser(remove_comments=True, **xml_parser_options())
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        raise _Retry(f"the articles were cut off or garbled ({error.msg})") from None
    errors = [(e.text or "").strip() for e in root.iter("ERROR")]
    if errors:
        raise PubmedError(f"PubMed's E-utilities answered with an error: {'; '.join(errors)}")
    if root.tag != "PubmedArticleSet":
        raise _Retry(f"an unexpected answer came back ({root.tag})")
    return [pmid.strip() for pmid in _ARTICLE_PMIDS(root)]
