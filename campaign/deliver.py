"""The send loop: claim a due delivery → check it may still go → build its bytes → the channel
sends → commit the outcome. Retries wait for their turn (backoff with full jitter from the
channel's schedule); a channel that cannot work in this run (refused login, unverifiable
certificate, a hung server) is stopped and its rows stay deferred for the next run.

Right before every external call the loop re-checks that no case in the delivery was resolved,
that the address is not suppressed, and that every file is still the approved version."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import secrets
import socket
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from campaign.audience import DeliverySettings
from campaign.batch import Batch, plan_batch, preview_delivery
from campaign.channels import Channel, ChannelError, Outgoing, Receipt, make_channel
from campaign.channels.settings import ChannelSettings
from campaign.clock import Clock, SystemClock
from campaign.config import Config
from campaign.errors import CampaignError
from campaign.landing import LANDING
from campaign.ledger import WITHDRAWAL_FORMATS, Delivery, Ledger, Status, suppression_key
from campaign.packs import StaleDelivery
from campaign.partnerpack import PACK
from campaign.payloads import (
    NOTICE,
    WEBHOOK,
    WITHDRAWAL_KINDS,
    Payloads,
    announcement,
    email_composer,
)
from campaign.suppression import normalised_address

Payload = Callable[[Delivery], Outgoing]
Progress = Callable[[int, int, Delivery, Status], None]


@dataclass
class SendReport:
    """What one run of the loop did."""

    attempts: Counter[Status] = field(default_factory=Counter)  # the outcome of each attempt
    final: dict[int, Status] = field(default_factory=dict)  # each delivery's status at the end
    halted: dict[str, str] = field(default_factory=dict)  # channel table → why it stopped
    left: int = 0  # deliveries still open (deferred or not yet due) when the loop ended

    @property
    def attempted(self) -> int:
        return sum(self.attempts.values())

    @property
    def outcomes(self) -> Counter[Status]:
        """How many deliveries this run ended in each status."""
        return Counter(self.final.values())

    def incomplete(self) -> bool:
        """Whether anything is left to do or failed (exit code 4)."""
        bad = {Status.FAILED, Status.EXPIRED, Status.DEFERRED}
        return self.left > 0 or bool(self.halted) or any(s in bad for s in self.final.values())


def channel_tables(config: Config) -> dict[str, ChannelSettings]:
    """Every configured channel table by its name (``lists.weekly``, ``partners.ngo-mx``)."""
    found = {f"lists.{item.name}": item.channel for item in config.audience.lists}
    found |= {f"partners.{item.name}": item.channel for item in config.audience.partners}
    found |= {f"vendors.{item.name}": item.channel for item in config.audience.vendors}
    if config.audience.landing is not None:
        found[LANDING] = config.audience.landing.channel
    found |= {
        f"partners.{item.name}{WEBHOOK}": item.webhook
        for item in config.audience.partners
        if item.webhook is not None
    }
    return found


def outboxes(config: Config) -> list[Path]:
    """The Maildir ``new/`` folders of the configured outbox channels (to show staff)."""
    from campaign.channels.outbox import OutboxChannel

    tables = channel_tables(config).values()
    return [
        OutboxChannel(table, SystemClock()).root / "new"
        for table in tables
        if table.scheme == "outbox"
    ]


def worker_name() -> str:
    """This engine's name in the ledger: host, process and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Loop:
    """One engine's pass over the ledger."""

    def __init__(
        self,
        ledger: Ledger,
        channels: Mapping[str, Channel],
        payload: Payload,
        settings: DeliverySettings,
        clock: Clock,
    ) -> None:
        self.ledger = ledger
        self.channels = channels
        self.payload = payload
        self.settings = settings
        self.clock = clock
        self.rng = random.Random(settings.seed)  # noqa: S311 (jitter, not secrets)
        self.worker = worker_name()
        self.report = SendReport()
        self.urgent_only = False  # only withdrawal work (resolve runs it ahead of the backlog)
        # called when a delivery turned out to carry a case resolved while it was being sent
        self.on_resolved: Callable[[Delivery, set[str]], None] | None = None
        self._opened: set[str] = set()

    def run(self, wait_s: float = 0.0, progress: Progress | None = None) -> SendReport:
        """Send every due delivery; with ``wait_s``, also wait (on the clock) for retries that
        come due within that many seconds."""
        deadline = self.clock.now().timestamp() + wait_s
        total = self._open_count()
        try:
            while True:
                live = [name for name in self.channels if name not in self.report.halted]
                delivery = self.ledger.claim(
                    self.worker, live, self.settings.lease_s, self.urgent_only
                )
                if delivery is None:
                    due = self.ledger.next_due(live, self.urgent_only)
                    now = self.clock.now().timestamp()
                    if due is None or due > deadline:
                        break
                    self.clock.sleep(max(0.0, due - now) + 0.001)  # past it, despite rounding
                    continue
                status = self.attempt(delivery)
                self.report.attempts[status] += 1
                self.report.final[delivery.id] = status
                if progress is not None:
                    progress(self.report.attempted, max(total, self.report.attempted),
                             delivery, status)  # fmt: skip
        finally:
            self.close()
        self.report.left = self._open_count()
        return self.report

    def attempt(self, delivery: Delivery) -> Status:
        """One attempt at ``delivery``, its outcome committed to the ledger."""
        reason = self._stop_reason(delivery)
        if reason is not None:
            self.ledger.cancel(delivery, reason)
            return Status.CANCELLED
        channel = self.channels[delivery.channel]
        try:
            item = self.payload(delivery)
        except (StaleDelivery, ValueError) as err:
            self.ledger.cancel(delivery, f"not sent: {err}")
            return Status.CANCELLED
        except Exception as err:  # noqa: BLE001 - a broken set-up must not leave a lease behind
            return self._failed(delivery, channel, _unexpected(err))
        try:
            self._open(delivery.channel, channel)
            if self._appeal_refs(delivery) and self.ledger.resolved(self._appeal_refs(delivery)):
                self.ledger.cancel(delivery, "a case in it was resolved")  # the last moment
                return Status.CANCELLED
            receipt = channel.send(item)
            if item.remove:
                receipt = _merged(receipt, remove_files(channel, item.remove))
        except ChannelError as err:
            return self._failed(delivery, channel, err)
        except Exception as err:  # noqa: BLE001 - e.g. a client that cannot even be made
            return self._failed(delivery, channel, _unexpected(err))
        status = self.ledger.sent(delivery, receipt)
        if delivery.kind == PACK and f"{delivery.channel}{WEBHOOK}" in self.channels:
            self.ledger.record([announcement(delivery)])  # tell the partner's webhook
        late = self.ledger.resolved(self._appeal_refs(delivery))
        if late and self.on_resolved is not None:  # resolved while this one was on its way
            self.on_resolved(delivery, late)
        return status

    @staticmethod
    def _appeal_refs(delivery: Delivery) -> tuple[str, ...]:
        """The cases a delivery publishes (withdrawal work about a case does not count)."""
        if delivery.kind in WITHDRAWAL_KINDS:
            return ()
        return tuple(dict.fromkeys(
            item.case_ref for item in delivery.items if item.format not in WITHDRAWAL_FORMATS
        ))  # fmt: skip

    def _stop_reason(self, delivery: Delivery) -> str | None:
        refs = self._appeal_refs(delivery)
        if refs and self.ledger.resolved(refs):
            maybe = "; an earlier try may have arrived" if delivery.uncertain else ""
            return "a case in it was resolved" + maybe
        if delivery.kind == NOTICE:  # transactional: also to people who unsubscribed since
            bounced = self.ledger.suppression_reason(delivery.recipient) == "bounce"
            return "the address bounced: no notice" if bounced else None
        if self.ledger.is_suppressed(suppression_key(delivery)):
            return (
                "the address is suppressed"
                if delivery.kind == "email"
                else ("the endpoint is disabled (it answered 410 Gone)")
            )
        return None

    def _failed(self, delivery: Delivery, channel: Channel, err: ChannelError) -> Status:
        if getattr(err, "halt", False):
            self.report.halted[delivery.channel] = str(err)
            self.ledger.release(delivery, f"channel stopped: {err}", err.unknown_outcome)
            return Status.DEFERRED
        return self.ledger.failed(delivery, err, channel.settings.retry, self.rng)

    def _open(self, name: str, channel: Channel) -> None:
        if name not in self._opened:
            channel.open()
            self._opened.add(name)

    def close(self) -> None:
        for name in self._opened:
            with contextlib.suppress(ChannelError):  # a broken connection: nothing is lost
                self.channels[name].close()
        self._opened.clear()

    def _open_count(self) -> int:
        names = list(self.channels)
        if not names:
            return 0
        marks = ", ".join("?" for _ in names)
        rows = self.ledger.state.query(
            f"SELECT COUNT(*) FROM deliveries WHERE channel IN ({marks}) "  # noqa: S608
            "AND status IN ('pending', 'deferred', 'sending')",
            names,
        )
        return int(rows[0][0])


def _unexpected(err: Exception) -> ChannelError:
    """Any other failure of one delivery: the channel stops for this run, the row waits."""
    return ChannelError(f"{type(err).__name__}: {err}", retryable=True, halt=True)


def remove_files(channel: Channel, names: tuple[str, ...]) -> Receipt:
    """Delete ``names`` (every version) where the channel can: S3 keys, SFTP files, outbox."""
    remover = getattr(channel, "withdraw_keys", None) or getattr(channel, "withdraw_files", None)
    if remover is None:
        raise ChannelError(f"{channel.describe()}: cannot delete files", retryable=False)
    return cast(Receipt, remover(list(names)))


def _merged(first: Receipt, then: Receipt) -> Receipt:
    evidence = {**first.evidence, "removed": then.evidence}
    return Receipt(first.outcome, first.remote_id, f"{first.detail}; {then.detail}", evidence)


def open_channels(
    config: Config, clock: Clock, broken: dict[str, str] | None = None
) -> dict[str, Channel]:
    """A channel (not yet connected) for every configured channel table; with ``broken``, a
    table whose channel cannot be made (a secret's variable unset, a package missing) is left
    out and its reason kept there, so the other channels carry on."""
    found: dict[str, Channel] = {}
    for name, table in channel_tables(config).items():
        try:
            found[name] = make_channel(table, clock)
        except CampaignError as err:
            if broken is None:
                raise
            broken[name] = str(err)
    return found


@dataclass
class SendResult:
    """A send: the batch planned, how many deliveries were recorded, what the loop did."""

    batch: Batch
    recorded: int = 0
    report: SendReport | None = None


def send_build(
    config: Config,
    build_dir: Path,
    ledger: Ledger,
    today: dt.date,
    *,
    dry_run: bool = False,
    wait_s: float = 0.0,
    progress: Progress | None = None,
    channels: Mapping[str, Channel] | None = None,
) -> SendResult:
    """Plan the batch of ``build_dir``; unless ``dry_run``, record it and run the send loop
    (which also takes up earlier deliveries that are due)."""
    batch = plan_batch(config, build_dir, ledger, today)
    if dry_run:
        return SendResult(batch)
    resend = config.audience.delivery.resend_after_days
    since = ledger.clock.now().timestamp() - resend * 86400 if resend else None
    recorded = len(ledger.record(batch.deliveries, since))
    broken: dict[str, str] = {}
    chosen = channels if channels is not None else open_channels(config, ledger.clock, broken)
    loop = Loop(ledger, chosen, Payloads(config, email_composer(config), ledger),
                config.audience.delivery, ledger.clock)  # fmt: skip
    from campaign.withdraw import late_withdrawal  # (withdraw builds on this module)

    loop.on_resolved = late_withdrawal(config, ledger)
    report = loop.run(wait_s, progress)
    report.halted.update(broken)
    return SendResult(batch, recorded, report)


def send_preview(
    config: Config, build_dir: Path, ledger: Ledger, to: str, locale: str, today: dt.date
) -> str:
    """Send one real digest of every approved case to the staff address ``to`` through the
    first list's channel (recorded nowhere); returns what was done."""
    address = normalised_address(to)
    new = preview_delivery(config, build_dir, ledger, address, locale)
    created = ledger.clock.now().timestamp()
    delivery = Delivery(0, "preview-" + secrets.token_hex(12), new.channel, new.kind, address,
                        "", locale, new.build_dir, Status.PENDING, 0, False, created, None,
                        None, "", new.items)  # fmt: skip
    channel = make_channel(channel_tables(config)[new.channel], ledger.clock)
    item = Payloads(config, email_composer(config))(delivery)
    try:
        channel.open()
        receipt = channel.send(item)
    finally:
        channel.close()
    cases = len(delivery.case_refs)
    return (
        f"sent a preview of {cases} cases in '{locale}' to {address} through {new.channel} "
        f"({channel.describe()}): {receipt.detail or receipt.remote_id}"
    )
