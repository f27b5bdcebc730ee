"""One reviewer of bench/load.py, in a process of its own: the standard library's HTTP client
only (no Django here), doing what the screening page does in a browser."""

from __future__ import annotations

import html
import http.cookiejar
import random
import re
import resource
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

REFERENCE = re.compile(r'data-reference="(\d+)"')
TOKEN = re.compile(r'name="token" value="([0-9a-f]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REASON = re.compile(r'name="reason"\s+value="(\d+)"')
NOTES = re.compile(r'hx-get="([^"]*/notes/[^"]*)"')
REFUSED = re.compile(r'<p class="error" role="alert">')
VERDICTS = ["exclude"] * 16 + ["include"] * 3 + ["maybe"]  # 80%, 15%, 5%
TIMEOUT = 120  # as gunicorn's own


class Browser:
    """Cookies, the CSRF token, and requests that answer (status, body)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=TIMEOUT) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def login(self, username: str, password: str) -> None:
        status, page = self.request("/accounts/login/")
        found = CSRF.search(page)
        if status != 200 or not found:
            raise RuntimeError(f"the login page answered {status}")
        fields = {"username": username, "password": password, "csrfmiddlewaretoken": found[1]}
        status, page = self.request("/accounts/login/", fields)  # redirected to the reviews
        if status != 200 or 'name="password"' in page:
            raise RuntimeError(f"{username} could not log in ({status})")


class Shown:
    """What the screening fragment shows: the reference, the form's token, CSRF and reasons."""

    def __init__(self, page: str) -> None:
        reference, token = REFERENCE.search(page), TOKEN.search(page)
        self.reference = int(reference[1]) if reference else None
        self.token = token[1] if token else None
        csrf = CSRF.search(page)
        self.csrf = csrf[1] if csrf else ""
        self.reasons = REASON.findall(page)
        notes = NOTES.search(page)
        self.notes = html.unescape(notes[1]) if notes else None
        self.refused = bool(REFUSED.search(page))


def reviewer_run(spec: dict, barrier, results) -> None:
    """Log in, warm up, wait for the others, decide spec["decisions"] times; put the report."""
    rng = random.Random(spec["seed"])
    browser = Browser(spec["base"])
    screen = f"/r/{spec['slug']}/screen/title-abstract/"
    report = {"times": [], "notes_times": [], "refused": 0, "queue_ended": 0, "errors": []}
    try:
        browser.login(spec["username"], spec["password"])
        shown = _load(browser, screen, report)
        for _ in range(spec["warm_up"]):
            shown = _decide(browser, screen, shown, rng, report, timed=False)
    except Exception as error:  # noqa: BLE001 - reported; the run fails on it
        report["errors"].append(f"{spec['username']}: {error}")
        barrier.abort()
        results.put(_finish(report))
        return
    try:
        barrier.wait(timeout=600)
    except threading.BrokenBarrierError:  # another reviewer failed: no run
        results.put(_finish(report))
        return
    while len(report["times"]) < spec["decisions"] and len(report["errors"]) < 20:
        if shown is None or shown.reference is None:
            report["queue_ended"] += 1  # nothing left for this reviewer
            break
        shown = _decide(browser, screen, shown, rng, report, timed=True)
    results.put(_finish(report))


def _finish(report: dict) -> dict:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    return report


def _load(browser: Browser, screen: str, report: dict) -> Shown | None:
    """The screening page, as a reload brings it (and its labels aside)."""
    try:
        status, page = browser.request(screen)
    except OSError as error:
        report["errors"].append(f"GET {screen}: {error}")
        return None
    if status != 200:
        report["errors"].append(f"GET {screen}: {status}")
        return None
    shown = Shown(page)
    _aside(browser, shown, report, timed=False)
    return shown


def _decide(browser, screen, shown: Shown, rng, report: dict, *, timed: bool) -> Shown | None:
    verdict = rng.choice(VERDICTS)
    fields = {
        "csrfmiddlewaretoken": shown.csrf,
        "reference": shown.reference,
        "token": shown.token,
        "verdict": verdict,
    }
    if verdict == "exclude" and shown.reasons:
        fields["reason"] = rng.choice(shown.reasons)
    headers = {
        "HX-Request": "true",
        "HX-Target": "screen",
        "HX-Current-URL": browser.base + screen,
        "X-CSRFToken": shown.csrf,
    }
    started = time.perf_counter()
    try:
        status, page = browser.request(screen + "decide/", fields, headers)
    except OSError as error:  # no answer: reset, refused, timed out
        report["errors"].append(f"POST decide: {error}")
        return _load(browser, screen, report)
    elapsed_ms = 1000 * (time.perf_counter() - started)
    if status != 200:
        report["errors"].append(f"POST decide: {status}")
        return _load(browser, screen, report)
    answer = Shown(page)
    if answer.refused:
        # Another reviewer's vote settled it meanwhile: the page says so; reload for the next.
        report["refused"] += 1
        return _load(browser, screen, report)
    if timed:
        report["times"].append(elapsed_ms)
    _aside(browser, answer, report, timed=timed)
    return answer


def _aside(browser: Browser, shown: Shown, report: dict, *, timed: bool) -> None:
    """The labels and discussion aside, which the fragment asks for once it is shown."""
    if shown.notes is None:
        return
    started = time.perf_counter()
    try:
        status, _ = browser.request(shown.notes, headers={"HX-Request": "true"})
    except OSError as error:
        report["errors"].append(f"GET notes: {error}")
        return
    if status != 200:
        report["errors"].append(f"GET notes: {status}")
    elif timed:
        report["notes_times"].append(1000 * (time.perf_counter() - started))
