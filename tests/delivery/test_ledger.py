"""The ledger: recording, claims and leases, outcomes, retries, suppressions — on a real state
database, with a manual clock."""

from __future__ import annotations

import multiprocessing
import random
from pathlib import Path

import pytest

from campaign.channels import ChannelError, Outcome, Receipt, RetrySettings
from campaign.clock import ManualClock
from campaign.ledger import Item, Ledger, NewDelivery, Status
from campaign.state import open_state_at

RETRY = RetrySettings(base_s=300, cap_s=4000, lifetime_s=5 * 86400)


def new(recipient: str, *refs: str, sha: str = "a" * 64) -> NewDelivery:
    items = tuple(Item(ref, "en", "banner-300x250", f"{ref}/en/b.jpg", sha) for ref in refs)
    return NewDelivery("lists.weekly", "email", recipient, "en", "/build", items)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def ledger(tmp_path: Path, clock: ManualClock) -> Ledger:
    return Ledger(open_state_at(tmp_path / "state.db"), clock)


def test_record_keeps_items_keys_and_an_event(ledger: Ledger) -> None:
    keys = ledger.record([new("a@example.org", "R1", "R2"), new("b@example.org", "R1")])
    assert len(keys) == 2 and len(set(keys)) == 2 and all(len(k) == 32 for k in keys)
    first = ledger.get(1)
    assert first.status is Status.PENDING and first.key == keys[0]
    assert first.case_refs == ("R1", "R2")
    assert [e[1] for e in ledger.events(1)] == ["pending"]
    assert ledger.state.integrity_check() == "ok"


def test_a_claim_is_leased_to_one_engine(ledger: Ledger, clock: ManualClock) -> None:
    ledger.record([new("a@example.org", "R1")])
    taken = ledger.claim("engine-1", ["lists.weekly"], lease_s=60)
    assert taken is not None and taken.status is Status.SENDING and taken.attempts == 1
    assert ledger.claim("engine-2", ["lists.weekly"], lease_s=60) is None
    assert ledger.claim("engine-2", ["lists.other"], lease_s=60) is None
    clock.advance(61)  # engine-1 stopped mid-way: its lease runs out
    again = ledger.claim("engine-2", ["lists.weekly"], lease_s=60)
    assert again is not None and again.uncertain and again.attempts == 2
    assert ledger.sent(again, Receipt(Outcome.ACCEPTED, "250 ok")) is Status.POSSIBLE_DUPLICATE


def test_a_clean_send_is_sent(ledger: Ledger) -> None:
    ledger.record([new("a@example.org", "R1")])
    taken = ledger.claim("e", ["lists.weekly"], 60)
    assert taken is not None
    assert ledger.sent(taken, Receipt(Outcome.ACCEPTED, "id-1", "250 queued")) is Status.SENT
    done = ledger.get(taken.id)
    assert done.remote_id == "id-1" and done.detail == "250 queued"
    assert [e[1] for e in ledger.events(taken.id)] == ["pending", "sending", "sent"]


def test_a_retryable_failure_waits_with_full_jitter(ledger: Ledger, clock: ManualClock) -> None:
    ledger.record([new("a@example.org", "R1")])
    taken = ledger.claim("e", ["lists.weekly"], 60)
    assert taken is not None
    error = ChannelError("451 try later", retryable=True)
    assert ledger.failed(taken, error, RETRY, random.Random(1)) is Status.DEFERRED
    due = ledger.next_due(["lists.weekly"])
    now = clock.now().timestamp()
    assert due is not None and now <= due <= now + 300
    assert ledger.claim("e", ["lists.weekly"], 60) is None or due == now
    clock.advance(due - now + 0.001)
    assert ledger.claim("e", ["lists.weekly"], 60) is not None


def test_an_unknown_outcome_is_remembered(ledger: Ledger, clock: ManualClock) -> None:
    ledger.record([new("a@example.org", "R1")])
    taken = ledger.claim("e", ["lists.weekly"], 60)
    assert taken is not None
    lost = ChannelError("reply lost after DATA", retryable=True, unknown_outcome=True)
    ledger.failed(taken, lost, RetrySettings(base_s=1, jitter=False), random.Random(1))
    clock.advance(1)
    retried = ledger.claim("e", ["lists.weekly"], 60)
    assert retried is not None and retried.uncertain and retried.key == taken.key
    assert ledger.sent(retried, Receipt(Outcome.ACCEPTED)) is Status.POSSIBLE_DUPLICATE


def test_past_its_lifetime_a_delivery_expires(ledger: Ledger, clock: ManualClock) -> None:
    ledger.record([new("a@example.org", "R1")])
    short = RetrySettings(base_s=100, cap_s=100, lifetime_s=250, jitter=False)
    statuses = []
    for _ in range(4):
        taken = ledger.claim("e", ["lists.weekly"], 60)
        if taken is None:
            break
        statuses.append(ledger.failed(taken, ChannelError("x", retryable=True), short,
                                      random.Random(0)))  # fmt: skip
        clock.advance(100)
    assert statuses == [Status.DEFERRED, Status.DEFERRED, Status.EXPIRED]


def test_a_permanent_failure_suppresses_the_address(ledger: Ledger) -> None:
    ledger.record([new("Gone@Example.ORG", "R1")])
    taken = ledger.claim("e", ["lists.weekly"], 60)
    assert taken is not None
    refused = ChannelError("550 no such user", retryable=False, suppress=True)
    assert ledger.failed(taken, refused, RETRY, random.Random(0)) is Status.FAILED
    assert ledger.is_suppressed("Gone@example.org")
    assert ledger.suppressions()[0][:3] == ("gone@example.org", "bounce", "lists.weekly")


def test_a_case_version_is_recorded_once_per_recipient(ledger: Ledger, clock: ManualClock) -> None:
    ledger.record([new("a@example.org", "R1", "R2")])
    # a second engine planned the same batch before the first recorded it
    assert ledger.record([new("a@example.org", "R1", "R2"), new("b@example.org", "R1")])
    rows = ledger.deliveries()
    assert [(d.recipient, len(ledger.get(d.id).items)) for d in rows] == [
        ("a@example.org", 2),
        ("b@example.org", 1),
    ]
    # a new version of R1 (other bytes) is a new delivery
    ledger.record([new("a@example.org", "R1", sha="b" * 64)])
    assert len(ledger.deliveries()) == 3


def test_reminders_only_after_resend_days(ledger: Ledger, clock: ManualClock) -> None:
    ledger.record([new("a@example.org", "R1")])
    taken = ledger.claim("e", ["lists.weekly"], 60)
    assert taken is not None
    ledger.sent(taken, Receipt(Outcome.ACCEPTED))
    clock.advance(3 * 86400)
    since = clock.now().timestamp() - 7 * 86400
    assert ledger.record([new("a@example.org", "R1")], since) == []
    clock.advance(5 * 86400)
    since = clock.now().timestamp() - 7 * 86400
    assert len(ledger.record([new("a@example.org", "R1")], since)) == 1


def test_resolved_cases(ledger: Ledger) -> None:
    with ledger.state.transaction() as db:
        db.execute("INSERT INTO resolutions (case_ref, resolved_at) VALUES ('R1', 0)")
        db.execute(
            "INSERT INTO resolutions (case_ref, resolved_at, reopened_at) VALUES ('R3', 0, 1)"
        )
    assert ledger.resolved(["R1", "R2", "R3"]) == {"R1"}


def _claim_all(path: str, name: str, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    ledger = Ledger(open_state_at(Path(path)), ManualClock())
    got = []
    while (taken := ledger.claim(name, ["lists.weekly"], 600)) is not None:
        got.append(taken.id)
        ledger.sent(taken, Receipt(Outcome.ACCEPTED))
    out.put(got)


def test_two_engines_never_take_the_same_row(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    ledger = Ledger(open_state_at(path), ManualClock())
    ledger.record([new(f"r{n}@example.org", "R1") for n in range(200)])
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    engines = [context.Process(target=_claim_all, args=(str(path), f"e{n}", queue)) for n in (1, 2)]
    for engine in engines:
        engine.start()
    taken = [queue.get(timeout=60), queue.get(timeout=60)]
    for engine in engines:
        engine.join(60)
    assert sorted(taken[0] + taken[1]) == list(range(1, 201))
    assert not set(taken[0]) & set(taken[1])
    assert {d.status for d in ledger.deliveries()} == {Status.SENT}
    assert ledger.state.integrity_check() == "ok"


@pytest.mark.parametrize(
    ("retry", "attempt", "ceiling"),
    [
        (RetrySettings(base_s=300, cap_s=4000), 1, 300),
        (RetrySettings(base_s=300, cap_s=4000), 3, 1200),
        (RetrySettings(base_s=300, cap_s=4000), 10, 4000),
        (RetrySettings(schedule_s=(0, 5, 300)), 1, 5),
        (RetrySettings(schedule_s=(0, 5, 300)), 9, 300),
    ],
)
def test_retry_delays(retry: RetrySettings, attempt: int, ceiling: float) -> None:
    rng = random.Random(7)
    waits = [retry.delay(attempt, rng) for _ in range(200)]
    assert all(0 <= wait <= ceiling for wait in waits)
    assert max(waits) > ceiling * 0.8 and min(waits) < ceiling * 0.2  # full jitter
    assert retry.delay(attempt, rng, retry_after=ceiling + 10) == ceiling + 10


def test_a_bounce_outranks_an_unsubscribe_and_a_notice_bounce_suppresses_the_address(
    ledger: Ledger,
) -> None:
    from campaign.ledger import suppression_key

    ledger.suppress("a@example.org", "unsubscribe", "weekly")
    ledger.record([NewDelivery("lists.weekly", "notice", "a@example.org", "en", "",
                               (Item("R1", "en", "notice", "", ""),))])  # fmt: skip
    notice = ledger.claim("e", ["lists.weekly"], 60)
    assert notice is not None and suppression_key(notice) == "a@example.org"
    ledger.failed(notice, ChannelError("550 5.1.1", retryable=False, suppress=True), RETRY,
                  random.Random(0))  # fmt: skip
    assert ledger.suppression_reason("a@example.org") == "bounce"


def test_a_version_that_may_have_arrived_is_not_planned_again(
    ledger: Ledger, clock: ManualClock
) -> None:
    ledger.record([new("a@example.org", "R1")])
    taken = ledger.claim("e", ["lists.weekly"], 60)
    assert taken is not None
    lost = ChannelError("reply lost", retryable=True, unknown_outcome=True)
    short = RetrySettings(base_s=10, cap_s=10, lifetime_s=5, jitter=False)
    assert ledger.failed(taken, lost, short, random.Random(0)) is Status.EXPIRED
    assert ledger.record([new("a@example.org", "R1")]) == []  # it may be there already
