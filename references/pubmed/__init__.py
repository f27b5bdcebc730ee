"""PubMed through NCBI's E-utilities: count a query, list every PMID it finds, fetch articles.

Plain Python, no ORM. The client makes the HTTP requests itself, to the base URL it is given (a
setting: tests and benchmarks point it at a local server), and hands the answers to Biopython
and lxml to read. Fetched articles are written to files as PubMed XML, which the same streaming
reader as file imports reads (`references.parsers`).

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

Modules: `client` (requests, retries, searches and fetches), `rate_limit` (pacing, local or
through Redis), `paging` (splitting a large search by publication date), `answers` (reading
esearch and efetch answers), `results`, `pmid_lists` (pasted PMIDs), `errors`. Import from
here: the names below are the package's interface.
"""

from references.pubmed.client import NCBI_EUTILS_URL, ClientConfig, ClientStats, PubmedClient
from references.pubmed.errors import PubmedError, PubmedUnavailable
from references.pubmed.paging import EARLIEST, ESEARCH_MAX_IDS, DateRange
from references.pubmed.pmid_lists import PMID, parse_pmid_list
from references.pubmed.rate_limit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from references.pubmed.results import QueryCount, QueryResult

__all__ = [
    "EARLIEST",
    "ESEARCH_MAX_IDS",
    "NCBI_EUTILS_URL",
    "PMID",
    "ClientConfig",
    "ClientStats",
    "DateRange",
    "LocalRateLimiter",
    "PubmedClient",
    "PubmedError",
    "PubmedUnavailable",
    "QueryCount",
    "QueryResult",
    "RateLimiter",
    "RedisRateLimiter",
    "parse_pmid_list",
]
