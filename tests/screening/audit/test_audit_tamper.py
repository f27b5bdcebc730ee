"""What an insider with write access to the database (but not the audit key) can try, and how
`audit_verify` catches each: deleted last events, a rewrite that recomputes the later hashes,
a verdict flipped in SQL, a rollback that only a receipt can see. Each tamper goes past the
PostgreSQL triggers as a superuser can (tests/screening/test_audit.py `_tamper`), so the same
tests hold on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from screening.audit.chain import event_payload
from screening.audit.signing import canonical, key_id
from screening.audit.verify import audit_receipt, audit_verify
from screening.constants import Role, Stage
from screening.decisions.services import decision_record
from screening.models import AuditEvent, AuditHead, Decision, Membership, ScreeningItem
from tests.factories import UserFactory
from tests.screening.audit.test_audit import _tamper
from tests.screening.decisions.test_screening import ris

pytestmark = pytest.mark.django_db
TA = Stage.TITLE_ABSTRACT


@pytest.fixture
def voted(review, owner, reviewer, import_text):
    """A review with three references, each voted on by both reviewers."""
    search = import_text(ris(3), name="embase.ris", source="Embase")
    for record in search.records.order_by("position"):
        for who, verdict in ((reviewer, "exclude"), (owner, "exclude")):
            decision_record(
                review=review, reference=record.reference, stage=TA, reviewer=who,
                verdict=verdict, note=f"note by {who.username}",
            )  # fmt: skip
    return review


def _verify_exit(review, capsys, *extra) -> tuple[int, str, str]:
    """Run `audit_verify`: (exit code, stdout, the error manage.py would print). A
    CommandError is what manage.py turns into "CommandError: ..." and exit 1, without a
    traceback (run_from_argv itself would close the test's database connection)."""
    code, err = 0, ""
    try:
        call_command("audit_verify", review.slug, *extra)
    except CommandError as error:
        code, err = error.returncode, str(error)
    out = capsys.readouterr().out
    return code, out, err


def _failed(review, **kwargs) -> dict[str, str]:
    return {check.name: check.detail for check in audit_verify(review, **kwargs).failed}


def test_an_untouched_log_passes_every_check(voted, capsys):
    code, out, err = _verify_exit(voted, capsys)
    assert code == 0, err
    for name in ("chain", "seal", "decisions"):
        assert f"{name:<10} ok" in out
    assert "6 decisions, each covered by its event" in out


def test_deleting_the_last_events_is_caught_by_the_seal(voted, capsys):
    last = AuditEvent.objects.filter(review=voted).order_by("-seq")[:2]
    ids = [event.pk for event in last]
    count = AuditEvent.objects.filter(review=voted).count()
    _tamper("DELETE FROM screening_auditevent WHERE id IN (%s, %s)", ids)

    code, out, err = _verify_exit(voted, capsys)
    assert code == 1
    assert "seal       FAILED" in out
    assert f"the seal counts {count} events but the log ends at event {count - 2}" in out
    assert "Traceback" not in out + err
    assert "fails verification (seal, decisions)" in err


def test_a_rewrite_that_recomputes_the_later_hashes_without_the_key_is_caught(voted, capsys):
    """The insider edits event 5 and recomputes every later link, and the seal, the way the
    log used to be hashed (sha256) and with a guessed key: neither matches the keyed hash."""
    for guess in (None, "guessed-key"):
        events = list(AuditEvent.objects.filter(review=voted).order_by("seq"))
        prev = events[3].hash
        for event in events[4:]:
            after = {"verdict": "include"} if event.seq == 5 else event.after
            payload = event_payload(
                review_id=voted.pk, seq=event.seq, prev_hash=prev, actor_id=event.actor_id,
                action=event.action, object_type=event.object_type,
                object_id=event.object_id, before=event.before, after=after,
                created_at=event.created_at,
            )  # fmt: skip
            text = canonical(payload).encode()
            new_hash = (
                hashlib.sha256(text).hexdigest()
                if guess is None
                else hmac.new(guess.encode(), text, hashlib.sha256).hexdigest()
            )
            _tamper(
                'UPDATE screening_auditevent SET "after" = %s, prev_hash = %s, hash = %s '
                "WHERE id = %s",
                [json.dumps(after), prev, new_hash, event.pk],
            )
            prev = new_hash
        _tamper("UPDATE screening_audithead SET head = %s WHERE review_id = %s", [prev, voted.pk])

        code, out, _ = _verify_exit(voted, capsys)
        assert code == 1
        assert "chain      FAILED" in out and "the chain breaks at event 5" in out
        assert "recomputed without the audit key" in out
        assert "seal       FAILED" in out  # the head was re-pointed without re-signing


def test_a_verdict_flipped_in_sql_is_caught_and_not_laundered_into_the_cache(voted, capsys):
    decision = Decision.objects.filter(review=voted, verdict="exclude").order_by("id").first()
    _tamper(
        "UPDATE screening_decision SET verdict = 'include', note = 'changed' WHERE id = %s",
        [decision.pk],
    )

    code, out, _ = _verify_exit(voted, capsys)
    assert code == 1
    assert "chain      ok" in out and "seal       ok" in out
    assert f"decision {decision.pk}'s verdict is 'include' but its event" in out
    assert "recorded 'exclude'" in out

    # The cached state still says excluded; --fix must not rebuild it from the forged log.
    with pytest.raises(CommandError, match="fails audit_verify"):
        call_command("screening_state", voted.slug, "--fix")
    out = capsys.readouterr().out
    assert "not rebuilt" in out
    item = ScreeningItem.objects.get(review=voted, reference=decision.reference, stage=TA)
    assert item.state == "excluded"


def test_a_decision_deleted_or_added_outside_the_application_is_caught(voted, owner):
    decision = Decision.objects.filter(review=voted).order_by("id").last()
    _tamper("DELETE FROM screening_vote WHERE decision_id = %s", [decision.pk])
    _tamper("DELETE FROM screening_decision WHERE id = %s", [decision.pk])
    assert "which is no longer in the log: it was deleted" in _failed(voted)["decisions"]


def test_a_reviewer_swapped_in_sql_is_caught(voted, owner, reviewer):
    decision = Decision.objects.filter(review=voted, reviewer=reviewer).first()
    _tamper("UPDATE screening_decision SET reviewer_id = %s WHERE id = %s", [owner.pk, decision.pk])
    assert "reviewer is not the actor of its event" in _failed(voted)["decisions"]


def test_a_receipt_proves_the_prefix_and_fails_after_a_rollback_the_database_cannot_see(
    voted, reviewer, client_owner, import_text, tmp_path, capsys
):
    """The strongest insider without the key copies the seal row at one moment and later
    deletes what came after (decisions, their events) and puts the old seal back: every check
    inside the database passes then. A receipt downloaded in between does not."""
    snapshot = AuditHead.objects.filter(review=voted).values_list("events", "head", "seal").get()
    search = import_text(ris(2, start=40), name="late.ris", source="Embase")
    late = [
        decision_record(
            review=voted, reference=record.reference, stage=TA, reviewer=reviewer,
            verdict="include",
        )
        for record in search.records.order_by("position")
    ]  # fmt: skip
    response = client_owner.get(f"/r/{voted.slug}/audit/receipt/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    receipt_file = tmp_path / "receipt.json"
    receipt_file.write_bytes(response.content)
    receipt = json.loads(response.content)
    assert receipt["events"] == snapshot[0] + 3  # the import and two decisions

    code, out, _ = _verify_exit(voted, capsys, "--receipt", str(receipt_file))
    assert code == 0 and "receipt    ok" in out

    # The rollback: the two decisions and their events go, and the copied seal comes back
    # (the import's events go too, as the insider must delete everything after the copy).
    ids = [decision.pk for decision in late]
    _tamper(
        "DELETE FROM screening_auditevent WHERE review_id = %s AND seq > %s",
        [voted.pk, snapshot[0]],
    )
    _tamper("DELETE FROM screening_vote WHERE decision_id IN (%s, %s)", ids)
    _tamper("DELETE FROM screening_decision WHERE id IN (%s, %s)", ids)
    _tamper(
        "UPDATE screening_audithead SET events = %s, head = %s, seal = %s WHERE review_id = %s",
        [*snapshot, voted.pk],
    )
    assert audit_verify(voted).ok  # the limit the threat model states: only a receipt sees it

    code, out, _ = _verify_exit(voted, capsys, "--receipt", str(receipt_file))
    assert code == 1
    assert "receipt    FAILED" in out
    assert f"no longer holds event {receipt['events']}: events were deleted" in out


def test_a_receipt_edited_by_hand_is_refused(voted, tmp_path, capsys):
    receipt = audit_receipt(voted)
    receipt["events"] -= 1
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt))
    code, out, _ = _verify_exit(voted, capsys, "--receipt", str(path))
    assert code == 1 and "the receipt's signature does not match: it was altered" in out


def test_a_file_that_is_not_a_receipt_gets_a_clear_error(voted, tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"\x89PNG not json")
    code, _, err = _verify_exit(voted, capsys, "--receipt", str(path))
    assert code == 1
    assert "is not an audit receipt: it is not a JSON file" in err and "Traceback" not in err
    code, _, err = _verify_exit(voted, capsys, "--receipt", str(tmp_path / "missing.json"))
    assert code == 1 and "Cannot read the receipt" in err


def test_a_rotated_key_still_verifies_what_it_signed(voted, settings, reviewer, import_text):
    old = settings.AUDIT_KEY
    settings.AUDIT_KEY = "the-new-audit-key-after-rotation"
    settings.AUDIT_PREVIOUS_KEYS = [old]
    search = import_text(ris(1, start=40), name="more.ris", source="Embase")
    decision_record(
        review=voted, reference=search.records.get().reference, stage=TA, reviewer=reviewer,
        verdict="include",
    )  # fmt: skip
    key_ids = set(AuditEvent.objects.filter(review=voted).values_list("key_id", flat=True))
    assert key_ids == {key_id(old), key_id("the-new-audit-key-after-rotation")}
    assert audit_verify(voted).ok

    # A server that has lost the old key says which key it needs.
    settings.AUDIT_PREVIOUS_KEYS = []
    problem = _failed(voted)["chain"]
    assert f"signed with a key this server does not hold (key id {key_id(old)})" in problem


def test_the_audit_page_shows_the_failed_check(voted, client_owner):
    decision = Decision.objects.filter(review=voted).first()
    _tamper("UPDATE screening_decision SET note = 'rewritten' WHERE id = %s", [decision.pk])
    page = client_owner.get(f"/r/{voted.slug}/audit/?verify=1").content.decode()
    assert "The log fails verification" in page
    assert f"decision {decision.pk}&#x27;s note is &#x27;rewritten&#x27;" in page


def test_a_blind_reviewer_is_told_the_log_fails_but_not_the_hidden_vote_it_quotes(
    review, reviewer, owner, import_text
):
    search = import_text(ris(1), name="embase.ris", source="Embase")
    decision = decision_record(
        review=review, reference=search.records.get().reference, stage=TA, reviewer=reviewer,
        verdict="exclude", note="a hidden note",
    )  # fmt: skip
    _tamper("UPDATE screening_decision SET note = 'Zq-rewritten' WHERE id = %s", [decision.pk])
    second = UserFactory(username="blind-second")
    Membership.objects.create(review=review, user=second, role=Role.REVIEWER)
    client = Client()
    client.force_login(second)
    page = client.get(f"/r/{review.slug}/audit/?verify=1").content.decode()
    assert "The log fails verification" in page and "decisions:" in page
    assert "Zq-rewritten" not in page and "a hidden note" not in page
