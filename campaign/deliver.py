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

from campaign.audience import DeliverySettings, Partner
from campaign.batch import Batch, plan_batch, preview_delivery
from campaign.buildview import Build
from campaign.channels import Channel, ChannelError, Outgoing, make_channel
from campaign.channels.settings import ChannelSettings
from campaign.clock import Clock, SystemClock
from campaign.config import Config
from campaign.errors import CampaignError
from campaign.landing import LANDING, landing_files
from campaign.ledger import Delivery, Ledger, NewDelivery, Status, suppression_key
from campaign.packs import EmailDigest, StaleDelivery, email_digest
from campaign.partnerpack import PACK, pack_files, pack_path
from campaign.printpack import PRINT, print_files
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


class Payloads:
    """Turns a recorded delivery into the bytes its channel sends (the same on every retry)."""

    def __init__(
        self, config: Config, compose: Callable[..., bytes], ledger: Ledger | None = None
    ) -> None:
        self.config = config
        self.compose = compose
        self.ledger = ledger
        self._builds: dict[str, Build] = {}
        self._partners = {f"partners.{p.name}": p for p in config.audience.partners}
        self._vendors = {f"vendors.{v.name}": v for v in config.audience.vendors}

    def __call__(self, delivery: Delivery) -> Outgoing:
        build = self._build(delivery.build_dir)
        files: tuple[tuple[str, bytes], ...] = ()
        data, sender = b"", ""
        landing = self.config.audience.landing
        if delivery.kind == PACK and delivery.channel == LANDING and landing is not None:
            files = landing_files(delivery, build, self.config, landing)
        elif delivery.kind == PACK and delivery.channel in self._partners:
            files = pack_files(delivery, build, self.config, self._partners[delivery.channel])
        elif delivery.kind == PRINT and delivery.channel in self._vendors and self.ledger:
            vendor = self._vendors[delivery.channel]
            files = print_files(delivery, build, vendor, self.ledger)
        elif delivery.kind == EVENT:
            data = event_data(delivery, self._partners.get(delivery.channel.removesuffix(WEBHOOK)))
        elif delivery.kind == "email":
            data = self.compose(email_digest(delivery, build, self.config))
            sender = self.config.audience.email.sender_address
        else:
            raise StaleDelivery(f"no channel table {delivery.channel} for this {delivery.kind}")
        return Outgoing(delivery.key, delivery.recipient, data, sender, delivery.kind, files,
                        delivery.case_refs, delivery.created)  # fmt: skip

    def _build(self, build_dir: str) -> Build:
        if build_dir not in self._builds:
            try:
                self._builds[build_dir] = Build.read(Path(build_dir))
            except CampaignError as err:
                raise StaleDelivery(str(err)) from None
        return self._builds[build_dir]


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
        self._opened: set[str] = set()

    def run(self, wait_s: float = 0.0, progress: Progress | None = None) -> SendReport:
        """Send every due delivery; with ``wait_s``, also wait (on the clock) for retries that
        come due within that many seconds."""
        deadline = self.clock.now().timestamp() + wait_s
        total = self._open_count()
        try:
            while True:
                live = [name for name in self.channels if name not in self.report.halted]
                delivery = self.ledger.claim(self.worker, live, self.settings.lease_s)
                if delivery is None:
                    due = self.ledger.next_due(live)
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
        try:
            item = self.payload(delivery)
        except (StaleDelivery, ValueError) as err:
            self.ledger.cancel(delivery, f"not sent: {err}")
            return Status.CANCELLED
        channel = self.channels[delivery.channel]
        try:
            self._open(delivery.channel, channel)
            if self.ledger.resolved(delivery.case_refs):  # the last moment before the call
                self.ledger.cancel(delivery, "a case in it was resolved")
                return Status.CANCELLED
            receipt = channel.send(item)
        except ChannelError as err:
            return self._failed(delivery, channel, err)
        status = self.ledger.sent(delivery, receipt)
        if delivery.kind == PACK and f"{delivery.channel}{WEBHOOK}" in self.channels:
            self.ledger.record([announcement(delivery)])  # tell the partner's webhook
        return status

    def _stop_reason(self, delivery: Delivery) -> str | None:
        if self.ledger.resolved(delivery.case_refs):
            maybe = "; an earlier try may have arrived" if delivery.uncertain else ""
            return "a case in it was resolved" + maybe
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


WEBHOOK = ".webhook"  # the channel table of a partner's webhook: partners.NAME.webhook
EVENT = "event"


def announcement(pack: Delivery) -> NewDelivery:
    """The ``appeal.published`` event of a pack just delivered (its webhook-id is its own key)."""
    return NewDelivery(f"{pack.channel}{WEBHOOK}", EVENT, pack.recipient, pack.locale,
                       pack.build_dir, pack.items)  # fmt: skip


def event_data(delivery: Delivery, partner: Partner | None) -> bytes:
    """The JSON body of an event delivery: the pack's manifest URL and every file's digest."""
    from campaign.webhooks import event_body

    cases: dict[str, list[dict[str, str]]] = {}
    for item in delivery.items:
        path = pack_path(item, item.path)
        cases.setdefault(item.case_ref, []).append({"path": path, "sha256": item.sha256})
    base = partner.public_url if partner is not None else None
    data = {
        "partner": delivery.recipient,
        "manifest_url": f"{base}manifest.json" if base else None,
        "cases": [{"case_ref": ref, "files": files} for ref, files in sorted(cases.items())],
    }
    when = dt.datetime.fromtimestamp(delivery.created, dt.UTC).replace(microsecond=0)
    return event_body("appeal.published", when, data)


def open_channels(config: Config, clock: Clock) -> dict[str, Channel]:
    """A channel (not yet connected) for every configured channel table."""
    return {name: make_channel(table, clock) for name, table in channel_tables(config).items()}


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
    chosen = channels if channels is not None else open_channels(config, ledger.clock)
    loop = Loop(ledger, chosen, Payloads(config, email_composer(config), ledger),
                config.audience.delivery, ledger.clock)  # fmt: skip
    return SendResult(batch, recorded, loop.run(wait_s, progress))


def email_composer(config: Config) -> Callable[[EmailDigest], bytes]:
    """``compose`` bound to the campaign's e-mail settings, unsubscribe secret and DKIM key."""
    from campaign.mail.compose import compose
    from campaign.mail.dkimsign import load_dkim_key
    from campaign.mail.tokens import unsubscribe_secret

    email = config.audience.email
    secret = unsubscribe_secret(email, config.state_dir, create=True)
    key = load_dkim_key(email.dkim) if email.dkim else None
    return lambda digest: compose(digest, email, config.organisation, secret, key)


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
