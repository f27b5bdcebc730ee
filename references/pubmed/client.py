"""The E-utilities client: one caller's requests, paced by a shared limiter and retried.

Biopython's `Bio.Entrez` hard-codes NCBI's host, so the client makes the HTTP requests itself,
to the base URL it is given, and hands the answers to `answers` to read. After a 429 or a 5xx
it waits before trying again (exponential backoff with a ceiling, longer if NCBI says
Retry-After), never at once; timeouts and truncated answers are retried the same way.
"""

from __future__ import annotations

import http.client
import os
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import Bio

from references.pubmed.answers import EsearchAnswer, read_articles, read_esearch
from references.pubmed.errors import PubmedError, PubmedUnavailable, TransientFailure
from references.pubmed.paging import ESEARCH_MAX_IDS, DateRange, whole_range
from references.pubmed.pmid_lists import unique_pmids
from references.pubmed.rate_limit import LocalRateLimiter, RateLimiter
from references.pubmed.results import QueryCount, QueryResult

NCBI_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"


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
            result.pmids = unique_pmids(first.pmids)
            if len(result.pmids) != first.count:
                raise PubmedError(
                    f"PubMed counted {first.count:,} records for the query but listed "
                    f"{len(result.pmids):,} PMIDs; run the search again."
                )
            return result
        pmids: list[str] = []
        pending = [whole_range()]
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
        result.pmids = unique_pmids(pmids)
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
        body, returned = self._request("efetch", params, read_articles, post=True)
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

    def _esearch(self, query: str, *, retmax: int, dates: DateRange | None = None) -> EsearchAnswer:
        params = {"db": "pubmed", "term": query, "retmax": str(retmax), "retstart": "0"}
        if dates is not None:
            params.update(dates.params)
        _, answer = self._request("esearch", params, read_esearch, post=len(query) > 1500)
        return answer

    def _request(self, endpoint: str, params: dict[str, str], read, *, post: bool = False):
        """Send one E-utilities request, paced and retried; `read(body)` checks the answer and
        returns what the caller wants (raising TransientFailure for a truncated one)."""
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
            except TransientFailure as retry:
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
        request.add_header("User-Agent", f"{self.config.tool} (Biopython {Bio.__version__})")
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:  # noqa: S310
                body = response.read()
                kind = response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            if error.code == 429:
                raise TransientFailure("429 too many requests", _retry_after(error)) from None
            if error.code >= 500:
                raise TransientFailure(f"HTTP {error.code}", _retry_after(error)) from None
            detail = error.read(300).decode("utf-8", "replace").strip()
            raise PubmedError(
                f"PubMed's E-utilities refused the request (HTTP {error.code}"
                f"{': ' + detail if detail else ''})."
            ) from None
        except TimeoutError:
            raise TransientFailure(f"no answer within {self.config.timeout:g} s") from None
        except http.client.IncompleteRead:
            raise TransientFailure("the answer was cut off") from None
        except (urllib.error.URLError, http.client.HTTPException, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            raise TransientFailure(f"connection failed: {reason}") from None
        if kind == "text/html":
            # NCBI answers with a web page during maintenance or when overloaded.
            raise TransientFailure("a web page came back instead of data")
        return body


def _retry_after(error: urllib.error.HTTPError) -> float:
    try:
        return float(error.headers.get("Retry-After", 0))
    except (TypeError, ValueError):
        return 0.0
