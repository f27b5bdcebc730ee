"""The fake E-utilities server (tests/fake_eutils.py): its answers, faults, limits and log.

No database: these talk HTTP to a server in a thread, with urllib, Biopython and lxml.
"""

from __future__ import annotations

import http.client
import io
import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date

import pytest
from Bio import Entrez
from lxml import etree

from tests.fake_eutils import DATA_DIR, ArticleStore, serve

REAL_PMIDS = [
    "12091962",
    "9997",
    "11748933",
    "11700088",
    "27797938",
    "28775130",
    "30108519",
    "29963580",
]
TOPIC = "ivonescimab"


@pytest.fixture(scope="module")
def store() -> ArticleStore:
    store = ArticleStore.real()
    store.add_synthetic(200, seed=3)
    store.add_synthetic(120, seed=4, topic=TOPIC)
    return store


@pytest.fixture
def server(store):
    with serve(store, max_ids=50, slow_seconds=0.3) as server:
        yield server


def get(server, endpoint: str, timeout: float = 5, **params) -> bytes:
    url = f"{server.url}{endpoint}.fcgi?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def post(server, endpoint: str, **params) -> bytes:
    data = urllib.parse.urlencode(params).encode()
    with urllib.request.urlopen(f"{server.url}{endpoint}.fcgi", data=data, timeout=5) as response:
        return response.read()


def esearch(server, term: str, **params):
    return Entrez.read(io.BytesIO(get(server, "esearch", db="pubmed", term=term, **params)))


def pmids_of(body: bytes) -> list[str]:
    root = etree.fromstring(body, etree.XMLParser(load_dtd=False, no_network=True))
    assert root.tag == "PubmedArticleSet"
    return root.xpath("PubmedArticle/MedlineCitation/PMID/text()")


def most_recent_first(store, pmids) -> list[str]:
    return sorted(pmids, key=lambda p: (store[p].pdat, int(p)), reverse=True)


# --- The store --------------------------------------------------------------------------------


def test_real_store_holds_the_eight_articles_with_their_publication_dates():
    store = ArticleStore.real()
    assert sorted(store.real_pmids) == sorted(REAL_PMIDS)
    assert len(store) == 8
    assert store["9997"].pdat == date(1976, 9, 28)  # Year, Month "Sep", Day
    assert store["12091962"].pdat == date(1990, 1, 1)  # Year and Season only
    assert store["27797938"].pdat == date(2017, 6, 1)  # Month "06", no day
    assert store["9997"].xml.startswith("<PubmedArticle>")
    assert store["9997"].xml.endswith("</PubmedArticle>")
    text = store["12091962"].text
    for part in ("correctional", "jurisprudence", "legal approach", "social justice"):
        assert part in text  # title, MeSH, keyword, journal title


def test_synthetic_articles_carry_the_topic_and_consecutive_free_pmids():
    store = ArticleStore.real()
    added = store.add_synthetic(3, topic=TOPIC, first_pmid=9996, years=(2020, 2020))
    assert added == ["9996", "9998", "9999"]  # 9997 is a real article's
    for pmid in added:
        article = store[pmid]
        assert article.title.startswith(TOPIC)
        assert article.pdat.year == 2020
        root = etree.fromstring(article.xml)
        assert root.findtext("MedlineCitation/PMID") == pmid
        assert root.findtext("MedlineCitation/Article/ArticleTitle").startswith("Ivonescimab ")
        assert root.findtext(".//PubDate/Year") == "2020"
        # The DOI of the template's own, if it has one (the first real article has none).
        assert root.xpath(".//ArticleId[@IdType='doi']/text()") in ([], [f"10.5555/bench.{pmid}"])
    assert "10.5555/bench.9998" in store["9998"].xml
    assert store.search(TOPIC) == most_recent_first(store, added)


def test_building_many_synthetic_articles_is_cheap():
    started = time.monotonic()
    store = ArticleStore.real()
    store.add_synthetic(10_000)
    assert len(store) == 10_008
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("jurisprudence", {"12091962"}),
        ("magnetic", {"9997", "11700088", "29963580"}),  # 'paramagnetic' too: substrings
        ('"Chemical shift"[tiab]', {"11700088"}),  # quotes dropped: both words, anywhere
        ("chemical AND shift[All Fields]", {"11700088"}),
        ("magnetic and chromatium", {"9997"}),
        ("cryobiology OR jurisprudence", {"11748933", "12091962"}),
        ("(cryobiology OR jurisprudence) AND prisoners", {"12091962"}),
        ("all[sb]", set(REAL_PMIDS)),
        ("", set(REAL_PMIDS)),
        ("jurisprudence AND hasabstract[sb]", {"12091962"}),
        ("xyzzy", set()),
    ],
)
def test_search_terms(term, expected):
    store = ArticleStore.real()
    found = store.search(term)
    assert set(found) == expected
    assert found == most_recent_first(store, found)


# --- esearch ----------------------------------------------------------------------------------


def test_esearch_answer_parses_with_biopython_in_most_recent_order(server, store):
    record = esearch(server, TOPIC, retmax=30)
    expected = most_recent_first(store, [p for p in store.articles if TOPIC in store[p].title])
    assert record["Count"] == "120"
    assert record["RetMax"] == "30"
    assert record["RetStart"] == "0"
    assert list(record["IdList"]) == expected[:30]
    assert record["QueryTranslation"] == '"ivonescimab"[All Fields]'
    assert "WebEnv" not in record


def test_esearch_finding_nothing_says_so_as_pubmed_does(server):
    record = esearch(server, "xyzzy[tiab]")
    assert record["Count"] == "0"
    assert list(record["IdList"]) == []
    assert list(record["ErrorList"]["PhraseNotFound"]) == ["xyzzy[tiab]"]
    assert list(record["WarningList"]["OutputMessage"]) == ["No items found."]


def test_esearch_pages_through_at_most_max_ids(server, store):
    everything = store.search(TOPIC)
    record = esearch(server, TOPIC, retstart=40, retmax=20)
    assert record["Count"] == "120"  # always the full count
    assert list(record["IdList"]) == everything[40:50]  # max_ids=50
    assert record["RetMax"] == "10"
    with pytest.raises(RuntimeError, match="'retstart' cannot be larger than 49"):
        esearch(server, TOPIC, retstart=50)
    body = get(server, "esearch", term=TOPIC, retstart=50)
    assert b"<eSearchResult><ERROR>Search Backend failed: Exception:\n" in body
    assert b"only retrieve the first 50 records" in body


def test_esearch_clamps_retmax_to_10000():
    store = ArticleStore()
    store.add_synthetic(10_010)
    with serve(store, max_ids=20_000) as server:
        record = esearch(server, "all[sb]", retmax=20_000)
    assert record["Count"] == "10010"
    assert len(record["IdList"]) == 10_000


def test_esearch_date_filter_is_inclusive():
    with serve(ArticleStore.real()) as server:
        record = esearch(server, "all[sb]", datetype="pdat", mindate="2018/02", maxdate="2018/04")
        assert list(record["IdList"]) == ["29963580", "28775130"]  # 1 Apr, 1 Feb 2018
        assert record["QueryTranslation"] == "all[sb] AND 2018/02:2018/04[Date - Publication]"
        record = esearch(server, "all[sb]", mindate="2018/02/02", maxdate="2018/04/01")
        assert list(record["IdList"]) == ["29963580"]
        record = esearch(server, "all[sb]", mindate="1900", maxdate="2001")
        assert list(record["IdList"]) == ["11700088", "11748933", "12091962", "9997"]
        record = esearch(server, "chemical", mindate="2002", maxdate="2030")
        assert record["Count"] == "0"


def test_recorded_answer_is_served_verbatim(server):
    recorded = (DATA_DIR / "esearch1.xml").read_bytes()
    assert get(server, "esearch", db="pubmed", term="biopython", retmax=5) == recorded


# --- History and efetch -----------------------------------------------------------------------


def test_usehistory_then_efetch_through_the_webenv(server, store):
    record = esearch(server, TOPIC, usehistory="y", retmax=0)
    assert record["QueryKey"] == "1"
    assert record["WebEnv"].startswith("MCID_")
    assert list(record["IdList"]) == []
    everything = store.search(TOPIC)
    # The history holds the whole result, past max_ids too.
    body = get(server, "efetch", db="pubmed", WebEnv=record["WebEnv"], query_key=1, retstart=100)
    assert pmids_of(body) == everything[100:120]
    body = get(server, "efetch", db="pubmed", WebEnv=record["WebEnv"], query_key=1)
    assert pmids_of(body) == everything[:20]  # retmax 20 by default


def test_efetch_by_id_keeps_the_order_and_leaves_out_unknown_pmids(server, store):
    asked = ["9997", "1", "29963580", "abc", "60000005", "12091962"]
    body = get(server, "efetch", db="pubmed", retmode="xml", id=",".join(asked))
    assert body.startswith(b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC')
    assert pmids_of(body) == ["9997", "29963580", "60000005", "12091962"]
    # Real and synthetic articles alike pass Biopython's validating parser.
    record = Entrez.read(io.BytesIO(body))
    assert [str(a["MedlineCitation"]["PMID"]) for a in record["PubmedArticle"]] == [
        "9997",
        "29963580",
        "60000005",
        "12091962",
    ]


def test_efetch_by_post_with_300_ids(server, store):
    known = random.Random(5).sample(sorted(store.articles), 290)
    asked = known[:100] + [str(70_000_000 + i) for i in range(10)] + known[100:]
    body = post(server, "efetch", db="pubmed", retmode="xml", id=",".join(asked))
    assert pmids_of(body) == known
    (logged,) = server.requests
    assert logged.method == "POST"
    assert logged.ids == asked


def test_efetch_without_ids_or_with_an_unknown_webenv_answers_an_error_document(server):
    body = get(server, "efetch", db="pubmed")
    assert b"<eFetchResult>\n\t<ERROR>Empty id list - nothing todo</ERROR>\n</eFetchResult>" in body
    body = get(server, "efetch", db="pubmed", WebEnv="MCID_nope", query_key=1)
    assert b"<ERROR>Unable to obtain query #1</ERROR>" in body


def test_other_paths_are_not_found(server):
    with pytest.raises(urllib.error.HTTPError) as raised:
        get(server, "epost", db="pubmed", id="9997")
    assert raised.value.code == 404
    assert server.requests[-1].endpoint == "/entrez/eutils/epost.fcgi"


# --- Faults -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_server_errors(server, kind):
    server.fail_next(kind)
    with pytest.raises(urllib.error.HTTPError) as raised:
        get(server, "efetch", id="9997")
    assert raised.value.code == int(kind)
    assert raised.value.headers.get_content_type() == "text/plain"
    assert pmids_of(get(server, "efetch", id="9997")) == ["9997"]  # once only


def test_429_says_when_to_come_back(server):
    server.fail_next("429")
    with pytest.raises(urllib.error.HTTPError) as raised:
        get(server, "esearch", term=TOPIC)
    assert raised.value.code == 429
    assert raised.value.headers["Retry-After"] == "1"
    assert json.loads(raised.value.read())["error"] == "API rate limit exceeded"


def test_faults_apply_to_their_endpoint_only_and_are_logged(server):
    server.fail_next("500", times=2, endpoint="efetch")
    assert esearch(server, TOPIC)["Count"] == "120"
    for _ in range(2):
        with pytest.raises(urllib.error.HTTPError):
            get(server, "efetch", id="9997")
    assert pmids_of(get(server, "efetch", id="9997")) == ["9997"]
    assert [(r.endpoint, r.status, r.fault) for r in server.requests] == [
        ("esearch", 200, None),
        ("efetch", 500, "500"),
        ("efetch", 500, "500"),
        ("efetch", 200, None),
    ]
    with pytest.raises(ValueError):
        server.fail_next("teapot")


def test_slow_answers_late_but_whole(server):
    server.fail_next("slow", times=2)
    started = time.monotonic()
    assert pmids_of(get(server, "efetch", id="9997")) == ["9997"]
    assert time.monotonic() - started >= 0.3
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        get(server, "efetch", id="9997", timeout=0.1)


def test_truncated_promises_more_than_it_sends(server):
    server.fail_next("truncated")
    with pytest.raises(http.client.IncompleteRead):
        get(server, "efetch", id="9997,29963580")
    assert pmids_of(get(server, "efetch", id="9997,29963580")) == ["9997", "29963580"]


def test_cut_xml_is_delivered_whole_but_cut_in_an_article(server):
    server.fail_next("cut-xml", endpoint="efetch")
    url = f"{server.url}efetch.fcgi?id=9997,29963580,60000001"
    with urllib.request.urlopen(url, timeout=5) as response:
        body = response.read()
        assert int(response.headers["Content-Length"]) == len(body)
    assert body.rfind(b"<PubmedArticle>") > body.rfind(b"</PubmedArticle>")
    with pytest.raises(etree.XMLSyntaxError):
        pmids_of(body)
    server.fail_next("cut-xml", endpoint="esearch")
    with pytest.raises(Exception):  # noqa: B017 - expat's error, whatever Biopython makes of it
        esearch(server, TOPIC)


def test_error_documents_per_endpoint(server):
    server.fail_next("error-doc", endpoint="efetch")
    body = get(server, "efetch", id="9997")
    assert b"<eFetchResult>" in body
    assert b"<ERROR>Search Backend failed: Database is not available</ERROR>" in body
    server.fail_next("error-doc", endpoint="esearch", message="Temporary failure")
    with pytest.raises(RuntimeError, match="Temporary failure"):
        esearch(server, TOPIC)


def test_html_maintenance_page(server):
    server.fail_next("html")
    with urllib.request.urlopen(f"{server.url}efetch.fcgi?id=9997", timeout=5) as response:
        assert response.status == 200
        assert response.headers.get_content_type() == "text/html"
        assert b"<html" in response.read()


# --- Rate limit and log -----------------------------------------------------------------------


def test_enforced_rate_refuses_the_fourth_request_in_a_second_without_a_key(store):
    with serve(store, enforce_rate=True) as server:

        def status(**params) -> int:
            try:
                get(server, "esearch", term="xyzzy", **params)
            except urllib.error.HTTPError as error:
                return error.code
            return 200

        assert [status() for _ in range(4)] == [200, 200, 200, 429]
        assert [status(api_key="k") for _ in range(10)] == [200] * 10
        assert server.requests[3].fault == "rate-limit"


def test_request_log_records_params_merged_and_ids(server):
    data = urllib.parse.urlencode({"db": "pubmed", "id": "9997,29963580"}).encode()
    url = f"{server.url}efetch.fcgi?tool=screening&email=a%40b.org"
    urllib.request.urlopen(url, data=data, timeout=5).read()
    get(server, "esearch", db="pubmed", term=TOPIC, retmax=5)
    first, second = server.requests
    assert first.endpoint == "efetch"
    assert first.params == {
        "tool": "screening",
        "email": "a@b.org",
        "db": "pubmed",
        "id": "9997,29963580",
    }
    assert first.ids == ["9997", "29963580"]
    assert (first.status, first.fault) == (200, None)
    assert second.endpoint == "esearch"
    assert second.method == "GET"
    assert second.params["retmax"] == "5"
    assert second.ids == []
    assert first.at <= second.at
    server.reset_log()
    assert server.requests == []


def test_serve_closes_the_socket_on_exit(store):
    with serve(store) as server:
        url = server.url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}efetch.fcgi?id=9997", timeout=1)
