"""The PubMed client against a local E-utilities server (tests/fake_eutils.py). What the client
sends (parameters, batching, waits after failures) is checked on the server's side; its pace on
the slots its rate limiter grants (see the pacing section), never on when requests arrive."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from references.parsers import ParsedReference, read_file
from references.pubmed import (
    ClientConfig,
    LocalRateLimiter,
    PubmedClient,
    PubmedError,
    PubmedUnavailable,
    parse_pmid_list,
)
from tests.conftest import TOPIC, TOPIC_ARTICLES
from tests.fake_eutils import serve

FAST = {"backoff": 0.05, "backoff_ceiling": 0.5, "max_tries": 4, "timeout": 2.0}


def client_for(server, **options) -> PubmedClient:
    config = ClientConfig(
        base_url=server.url, email="tests@example.org", tool="screening-tests", **options
    )
    return PubmedClient(config, LocalRateLimiter(config.interval))


def gaps(requests) -> list[float]:
    return [later.at - earlier.at for earlier, later in zip(requests, requests[1:], strict=False)]


# --- esearch ---------------------------------------------------------------------------------


def test_count_parses_a_recorded_esearch_answer_and_sends_who_is_asking(fake_eutils):
    client = client_for(fake_eutils, api_key="secret-key")

    answer = client.count("biopython")  # served verbatim from tests/data/.../esearch1.xml

    assert (answer.count, answer.translation) == (63, '"biopython"[All Fields]')
    (request,) = fake_eutils.requests
    assert request.endpoint == "esearch"
    assert request.params == {
        "db": "pubmed",
        "term": "biopython",
        "retmax": "0",
        "retstart": "0",
        "tool": "screening-tests",
        "email": "tests@example.org",
        "api_key": "secret-key",
    }


def test_no_api_key_is_sent_when_none_is_configured(fake_eutils):
    client_for(fake_eutils).count(TOPIC)
    assert "api_key" not in fake_eutils.requests[0].params


def test_a_query_that_finds_nothing_says_which_phrase(fake_eutils):
    answer = client_for(fake_eutils).count("zzxqv")
    assert answer.count == 0
    assert answer.warnings == ["PubMed found nothing for “zzxqv”."]


def test_search_lists_every_pmid_in_pubmeds_order_in_one_request(fake_eutils, eutils_store):
    result = client_for(fake_eutils).search(TOPIC)

    assert result.count == TOPIC_ARTICLES
    assert result.pmids == eutils_store.search(TOPIC)
    assert result.parts == []
    assert [r.params["retmax"] for r in fake_eutils.requests] == ["9999"]


def test_a_result_past_the_esearch_limit_is_split_by_publication_date(eutils_store):
    eutils_store.add_synthetic(100, topic="harmoni", first_pmid=61_000_000)
    with serve(eutils_store, max_ids=30) as server:
        result = client_for(server, max_ids=30, api_key="k").search("harmoni")

    assert result.count == 100
    assert sorted(result.pmids) == sorted(eutils_store.search("harmoni"))
    assert sum(n for _, n in result.parts) == 100
    assert all(0 < n <= 30 for _, n in result.parts)
    dated = [r for r in server.requests if "mindate" in r.params]
    assert dated, "no request was limited by date"
    assert {r.params["datetype"] for r in dated} == {"pdat"}
    assert all(r.status == 200 for r in server.requests)  # never asked past the limit


def test_parts_that_do_not_add_up_to_the_whole_are_refused(eutils_store, monkeypatch):
    eutils_store.add_synthetic(60, topic="harmoni", first_pmid=61_000_000)
    whole = eutils_store.search

    def one_short_per_part(term, mindate=None, maxdate=None):
        found = whole(term, mindate, maxdate)
        return found[:-1] if mindate and found else found

    monkeypatch.setattr(eutils_store, "search", one_short_per_part)
    with serve(eutils_store, max_ids=30) as server, pytest.raises(PubmedError) as error:
        client_for(server, max_ids=30, api_key="k").search("harmoni")
    assert "PubMed finds 60 records for the query, but the" in str(error.value)
    assert "parts it was split into by publication date hold" in str(error.value)


def test_more_records_on_one_day_than_esearch_lists_is_refused_with_a_sentence(eutils_store):
    pmids = eutils_store.add_synthetic(5, topic="harmoni", first_pmid=61_000_000)
    for pmid in pmids:
        eutils_store[pmid].pdat = date(2024, 9, 7)
    eutils_store._ordered = None
    with serve(eutils_store, max_ids=3) as server, pytest.raises(PubmedError) as error:
        client_for(server, max_ids=3, api_key="k").search("harmoni")
    assert str(error.value).startswith("PubMed finds 5 records published on 07 Sep 2024 alone")


def test_an_error_document_becomes_a_sentence_and_is_not_retried(fake_eutils):
    fake_eutils.fail_next("error-doc", endpoint="esearch", message="Invalid query syntax")
    client = client_for(fake_eutils, **FAST)

    with pytest.raises(PubmedError) as error:
        client.count(TOPIC)

    assert str(error.value) == ("PubMed's E-utilities answered with an error: Invalid query syntax")
    assert len(fake_eutils.requests) == 1


# --- efetch ----------------------------------------------------------------------------------


def test_fetch_posts_the_pmids_and_writes_what_pubmed_returned(fake_eutils, eutils_store, tmp_path):
    wanted = [*eutils_store.search(TOPIC)[:15], "999999991", *eutils_store.real_pmids[:2]]
    target = tmp_path / "batch.xml"

    returned = client_for(fake_eutils).fetch(wanted, target)

    assert returned == [pmid for pmid in wanted if pmid != "999999991"]
    (request,) = fake_eutils.requests
    assert (request.endpoint, request.method) == ("efetch", "POST")
    assert request.ids == wanted
    assert request.params["retmode"] == "xml"
    parsed = list(read_file(target, format="pubmed-xml").entries())
    assert all(isinstance(e, ParsedReference) for e in parsed)
    assert [e.pmid for e in parsed] == returned


def test_batches_are_a_few_hundred_pmids(fake_eutils):
    client = client_for(fake_eutils, batch_size=200)
    sizes = [len(batch) for batch in client.batches([str(n) for n in range(1, 451)])]
    assert sizes == [200, 200, 50]


def test_a_refused_fetch_writes_no_file(fake_eutils, tmp_path):
    fake_eutils.fail_next("error-doc", endpoint="efetch", message="Database is not available")
    folder = tmp_path / "staging"
    with pytest.raises(PubmedError, match="Database is not available"):
        client_for(fake_eutils, **FAST).fetch(["12091962"], folder / "batch.xml")
    assert not folder.exists() or list(folder.iterdir()) == []


# --- failures, retries and waits -------------------------------------------------------------


@pytest.mark.parametrize("status", ["500", "502", "503"])
def test_a_5xx_is_retried_after_a_wait_never_at_once(fake_eutils, tmp_path, status):
    fake_eutils.fail_next(status, times=2, endpoint="efetch")
    client = client_for(fake_eutils, **FAST)

    returned = client.fetch(["12091962", "9997"], tmp_path / "b.xml")

    assert returned == ["12091962", "9997"]
    statuses = [r.status for r in fake_eutils.requests]
    assert statuses == [int(status), int(status), 200]
    first, second = gaps(fake_eutils.requests)
    assert first >= FAST["backoff"] * 0.95  # 0.05 s, then doubling
    assert second >= 2 * FAST["backoff"] * 0.95
    assert client.stats.retries == 2


def test_a_429_holds_back_until_its_retry_after(fake_eutils, tmp_path):
    fake_eutils.fail_next("429", endpoint="efetch")  # Retry-After: 1 (capped by the ceiling)
    client = client_for(fake_eutils, **FAST)

    client.fetch(["12091962"], tmp_path / "b.xml")

    (gap,) = gaps(fake_eutils.requests)
    assert gap >= FAST["backoff_ceiling"] * 0.95


@pytest.mark.parametrize("fault", ["truncated", "cut-xml", "html", "slow"])
def test_cut_garbled_or_late_answers_are_retried(fake_eutils, tmp_path, fault):
    fake_eutils.slow_seconds = 3.0  # over the client's 2 s timeout
    fake_eutils.fail_next(fault, endpoint="efetch")
    client = client_for(fake_eutils, **FAST)

    returned = client.fetch(["12091962", "9997"], tmp_path / "b.xml")

    assert returned == ["12091962", "9997"]
    assert [r.fault for r in fake_eutils.requests] == [fault, None]
    assert client.stats.retries == 1
    assert len(list(read_file(tmp_path / "b.xml", format="pubmed-xml").entries())) == 2


def test_a_cut_search_answer_is_retried(fake_eutils):
    fake_eutils.fail_next("truncated", endpoint="esearch")
    answer = client_for(fake_eutils, **FAST).count(TOPIC)
    assert answer.count == TOPIC_ARTICLES
    assert len(fake_eutils.requests) == 2


def test_after_its_last_try_the_client_gives_up_with_a_sentence(fake_eutils):
    fake_eutils.fail_next("503", times=10)
    with pytest.raises(PubmedUnavailable) as error:
        client_for(fake_eutils, **FAST).count(TOPIC)
    assert str(error.value) == (
        "PubMed's E-utilities did not answer properly after 4 tries (HTTP 503). "
        "Nothing was lost: try again later."
    )
    assert len(fake_eutils.requests) == 4


def test_a_4xx_other_than_429_is_not_retried(fake_eutils):
    config = ClientConfig(base_url=fake_eutils.url + "wrong/", **FAST)
    with pytest.raises(PubmedError, match=r"refused the request \(HTTP 404"):
        PubmedClient(config).count(TOPIC)
    assert len(fake_eutils.requests) == 1


def test_a_server_that_is_not_there_is_retried_then_reported(unused_port):
    config = ClientConfig(base_url=f"http://127.0.0.1:{unused_port}/entrez/eutils/", **FAST)
    with pytest.raises(PubmedUnavailable, match="connection failed"):
        PubmedClient(config).count(TOPIC)


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- pacing ----------------------------------------------------------------------------------
#
# The pace is checked on the limiter's own decisions: the slots it grants, which it reports
# (on_grant) in the order it grants them, on a clock the test holds still. When a request then
# reaches the fake server depends on how busy the machine is; which slot it was given does not.
# The server only counts what was sent: one request for each slot granted.

FROZEN = 1000.0  # the limiter's clock: the slots are FROZEN + k * interval exactly


def paced_limiter(interval: float) -> tuple[LocalRateLimiter, list[float]]:
    """A limiter on a clock that stands still, and the list of the slots it grants. Nobody
    actually waits (its sleep does nothing): the slots are what it decided."""
    grants: list[float] = []
    limiter = LocalRateLimiter(
        interval, clock=lambda: FROZEN, sleep=lambda seconds: None, on_grant=grants.append
    )
    return limiter, grants


def paced_client(server, **options) -> tuple[PubmedClient, list[float]]:
    config = ClientConfig(
        base_url=server.url, email="tests@example.org", tool="screening-tests", **options
    )
    limiter, grants = paced_limiter(config.interval)
    return PubmedClient(config, limiter), grants


def steps(grants: list[float]) -> list[float]:
    """From each slot granted to the next, in the order they were granted."""
    return [later - earlier for earlier, later in zip(grants, grants[1:], strict=False)]


def most_in_a_second(grants: list[float]) -> int:
    """The most slots in any second: the window NCBI (and the fake server's enforce_rate)
    counts requests in, past 3 (10 with a key) answering 429."""
    return max(sum(1 for t in grants if end - 1.0 < t <= end) for end in grants)


def assert_one_pace(grants: list[float], interval: float, count: int) -> None:
    """`count` slots granted one after another, each `interval` after the one before: never
    two closer, and none left empty between them."""
    assert len(grants) == count
    assert steps(grants) == pytest.approx([interval] * (count - 1)), grants


def test_without_a_key_requests_are_a_third_of_a_second_apart(fake_eutils):
    client, grants = paced_client(fake_eutils)
    for _ in range(5):
        client.count(TOPIC)
    assert len(fake_eutils.requests) == 5  # one request for each slot
    assert_one_pace(grants, 0.37, 5)  # a little more than a third of a second
    assert most_in_a_second(grants) == 3  # NCBI's 3 a second: never a 429


def test_with_a_key_requests_are_a_tenth_of_a_second_apart(fake_eutils):
    client, grants = paced_client(fake_eutils, api_key="k")
    for _ in range(12):
        client.count(TOPIC)
    assert len(fake_eutils.requests) == 12
    assert_one_pace(grants, 0.11, 12)  # a little more than a tenth: and no slower
    assert most_in_a_second(grants) <= 10


def _three_clients_search(server, limiter_for) -> None:
    """Three clients in threads, five counts each; `limiter_for(i)` is client i's limiter."""

    def search(i: int):
        client = PubmedClient(ClientConfig(base_url=server.url, api_key="k"), limiter_for(i))
        for _ in range(5):
            client.count(TOPIC)

    threads = [threading.Thread(target=search, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert len(server.requests) == 15


def test_clients_that_share_a_limiter_share_the_pace(fake_eutils):
    limiter, grants = paced_limiter(0.11)
    _three_clients_search(fake_eutils, lambda i: limiter)
    # One pace for the three: 15 slots in turn, a tenth of a second and a bit apart, none
    # shared, and never more than NCBI allows a key in any second.
    assert_one_pace(grants, 0.11, 15)
    assert most_in_a_second(grants) <= 10


def test_the_shared_pace_check_fails_for_clients_with_a_limiter_each(fake_eutils):
    """The control: were the clients not sharing the pace, the check above would say so."""
    grants: list[float] = []
    limiters = [
        LocalRateLimiter(0.11, clock=lambda: FROZEN, sleep=lambda s: None, on_grant=grants.append)
        for _ in range(3)
    ]
    _three_clients_search(fake_eutils, lambda i: limiters[i])
    assert len(grants) == 15
    assert most_in_a_second(grants) > 10  # three requests in each slot
    with pytest.raises(AssertionError):
        assert_one_pace(grants, 0.11, 15)


def test_the_local_limiter_reserves_slots_in_turn():
    now = [100.0]
    slept = []
    limiter = LocalRateLimiter(0.25, clock=lambda: now[0], sleep=slept.append)
    waits = [limiter.acquire() for _ in range(3)]
    assert waits == [0.0, 0.25, 0.5]
    limiter.hold(2.0)
    assert limiter.acquire() == pytest.approx(2.0)
    assert slept == [0.25, 0.5, pytest.approx(2.0)]


def test_the_local_limiter_reports_each_slot_it_grants_in_order():
    now = [100.0]
    grants = []
    limiter = LocalRateLimiter(0.25, clock=lambda: now[0], sleep=lambda s: None,
                               on_grant=grants.append)  # fmt: skip
    for _ in range(3):
        limiter.acquire()
    now[0] = 101.0  # idle for a while: the next slot is now, not the one after the last
    limiter.acquire()
    limiter.hold(2.0)
    limiter.acquire()
    assert grants == pytest.approx([100.0, 100.25, 100.5, 101.0, 103.0])


# --- PMID lists --------------------------------------------------------------------------------


def test_pmid_lists_take_lines_commas_spaces_and_pmid_prefixes():
    pmids, invalid = parse_pmid_list(
        "PMID: 12091962\n9997, 11748933;11700088\n\npmid27797938 12091962\n10.1000/xyz 0123 abc"
        "\nnot-a-pmid PMID"
    )
    assert pmids == ["12091962", "9997", "11748933", "11700088", "27797938"]
    assert invalid == ["10.1000/xyz", "0123", "abc", "not-a-pmid", "PMID"]


@given(st.text())
def test_parsing_any_text_gives_valid_unique_pmids(text):
    pmids, invalid = parse_pmid_list(text)
    assert len(set(pmids)) == len(pmids)
    assert all(p.isdigit() and not p.startswith("0") and len(p) <= 10 for p in pmids)
    assert all(token.strip() for token in invalid)


def test_the_base_url_is_honoured_for_every_request(fake_eutils, tmp_path: Path):
    client = client_for(fake_eutils, **FAST)
    client.search(TOPIC)
    client.fetch(["9997"], tmp_path / "b.xml")
    assert [r.endpoint for r in fake_eutils.requests] == ["esearch", "efetch"]
