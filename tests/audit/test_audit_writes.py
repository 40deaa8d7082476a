"""Redaction, durability and concurrent writers."""

from __future__ import annotations

import json
import threading

from pydantic import SecretStr

from rasa_project.audit.redaction import MASK, redact
from rasa_project.settings import Settings


def test_secret_keys_are_masked_at_any_depth():
    details = {
        "password": "hunter2",
        "headers": {
            "Authorization": "Bearer abc",
            "x-acs-dingtalk-access-token": "tok",
            "Cookie": "kdservice=1",
        },
        "calls": [{"sign": "c2lnbg==", "timestamp": 1743469200000}, {"appSecret": "s3"}],
        "kdservice-sessionid": "sid",
        "assigned_to": "pmc0001",
        "design": "BOM-2050",
        "signed_off": True,
    }
    cleaned = redact(details)
    assert cleaned["password"] == MASK
    assert cleaned["headers"] == {"Authorization": MASK, "x-acs-dingtalk-access-token": MASK, "Cookie": MASK}
    assert cleaned["calls"] == [{"sign": MASK, "timestamp": 1743469200000}, {"appSecret": MASK}]
    assert cleaned["kdservice-sessionid"] == MASK
    assert (cleaned["assigned_to"], cleaned["design"], cleaned["signed_off"]) == ("pmc0001", "BOM-2050", True)
    assert details["password"] == "hunter2"  # the caller's dict is not modified


def test_configured_secret_values_are_masked_under_any_key():
    cleaned = redact(
        {
            "note": "s3cret-value-1",
            "url": "http://x/?k=s3cret-value-1",
            "other": "fine",
            "n": ["s3cret-value-1"],
        },
        secrets=["s3cret-value-1"],
    )
    assert cleaned == {"note": MASK, "url": MASK, "other": "fine", "n": [MASK]}
    assert redact({"anything": SecretStr("x")}) == {"anything": MASK}


def test_no_settings_secret_reaches_the_stored_record(trail, raw_sql):
    settings = Settings()
    values = [
        settings.k3_password,
        settings.k3_app_secret,
        settings.dingtalk_app_secret,
        settings.ldap_bind_password,
    ]
    plain = [v.get_secret_value() for v in values]
    trail.record(
        "k3_call",
        actor="pmc0001",
        order_bill_no="P20250401",
        request={"parameters": [settings.k3_acct_id, settings.k3_user, plain[0], 2052]},
        login={"appid": settings.k3_app_id, "detail": f"secret {plain[1]} used"},
        webhook={"text": plain[2]},
        bind=plain[3],
        Token="abc",
    )
    stored = raw_sql("SELECT payload FROM audit_log WHERE id = 1")[0]["payload"]
    for secret in plain + ["abc"]:
        assert secret not in stored
    payload = json.loads(stored)
    assert payload["request"]["parameters"][:2] == [settings.k3_acct_id, settings.k3_user]
    assert payload["login"]["appid"] == settings.k3_app_id
    assert trail.verify().ok


def test_record_is_committed_before_it_returns(make_trail):
    writer, reader = make_trail(), make_trail()
    record = writer.record("inbound", actor="prod0001", conversation_id="cidPROD0001", text="报工 50")
    assert [r.hash for r in reader.tail(1)] == [record.hash]


def test_concurrent_writers_keep_one_valid_chain(make_trail):
    trails = [make_trail(), make_trail()]  # two engines: like two processes
    per_thread, threads_per_trail = 15, 4
    errors: list[BaseException] = []
    start = threading.Barrier(len(trails) * threads_per_trail)

    def write(trail, n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                trail.record("nlu", actor=f"pmc000{n}", seq=i, writer=n)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    workers = [
        threading.Thread(target=write, args=(trail, n))
        for n, trail in enumerate(t for t in trails for _ in range(threads_per_trail))
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not errors
    total = per_thread * len(workers)
    result = trails[0].verify()
    assert result.ok and result.checked == total
    records = trails[1].tail(total)
    assert [r.id for r in records] == list(range(1, total + 1))
    assert len({r.prev_hash for r in records}) == total  # no link was extended twice


def _wait_until(condition, timeout_s: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        time.sleep(0.01)


def test_records_arriving_while_one_is_written_share_the_next_commit(make_trail, audit_url):
    """Group commit: while the chain head is locked (another process appending), five callers of
    one process wait; the first holds its own transaction, the four behind it go in one more
    commit, in arrival order. Each returns its own committed record; the chain is whole."""
    from sqlalchemy import event, text

    from rasa_project import db

    trail, reader = make_trail(), make_trail()
    engine = trail._sessionmaker.kw["bind"]
    commits: list[int] = []
    event.listen(engine, "commit", lambda _conn: commits.append(1))
    other_process = db.make_engine(audit_url).connect()
    held = other_process.begin()
    other_process.execute(text("UPDATE audit_chain_head SET last_id = last_id WHERE id = 1"))  # takes the head's lock
    returned: dict[int, object] = {}
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            returned[n] = trail.record("nlu", actor="pmc0001", seq=n)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(n,)) for n in range(5)]
    try:
        workers[0].start()
        _wait_until(lambda: trail._writing)  # the first writer waits for the head's lock
        for queued, worker in enumerate(workers[1:], start=1):
            worker.start()
            _wait_until(lambda n=queued: len(trail._queue) == n)  # queued one after another, in order
        assert not returned  # nobody returned before a commit
    finally:
        held.rollback()
        other_process.close()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors
    assert len(commits) == 2  # one for the first record, one for the four queued behind it
    assert [returned[n].id for n in range(5)] == [1, 2, 3, 4, 5]
    assert [json.loads(r.payload)["seq"] for r in reader.tail(5)] == [0, 1, 2, 3, 4]
    result = reader.verify()
    assert result.ok and result.checked == 5
