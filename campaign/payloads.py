"""The bytes each recorded delivery sends — the same on every retry: an e-mail digest, a
partner's pack, a print job, the landing pages, a webhook event; and the withdrawal work: a
closure notice, an ``appeal.withdrawn`` event, a print cancellation."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from campaign.audience import Partner
from campaign.buildview import Build
from campaign.channels import Outgoing
from campaign.config import Config
from campaign.errors import CampaignError
from campaign.landing import LANDING, landing_files
from campaign.ledger import Delivery, Ledger, NewDelivery
from campaign.packs import EmailDigest, StaleDelivery, email_digest
from campaign.partnerpack import PACK, pack_files, pack_path
from campaign.printpack import PRINT, print_files

WEBHOOK = ".webhook"  # the channel table of a partner's webhook: partners.NAME.webhook
EVENT = "event"
NOTICE = "notice"  # a neutral closure notice to one past recipient of an appeal
WITHDRAWAL = "withdrawal"  # an appeal.withdrawn webhook event
CANCEL = "cancel"  # a print cancellation: manifest uploaded, the case's files deleted
WITHDRAWAL_KINDS = frozenset({NOTICE, WITHDRAWAL, CANCEL})
CANCEL_INSTRUCTION = (
    "Stop printing the listed jobs for these case references, destroy unprinted stock and "
    "remove copies already put up. Reply to confirm."
)


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


def email_composer(config: Config) -> Callable[[EmailDigest], bytes]:
    """``compose`` bound to the campaign's e-mail settings, unsubscribe secret and DKIM key."""
    from campaign.mail.compose import compose
    from campaign.mail.dkimsign import load_dkim_key
    from campaign.mail.tokens import unsubscribe_secret

    email = config.audience.email
    secret = unsubscribe_secret(email, config.state_dir, create=True)
    key = load_dkim_key(email.dkim) if email.dkim else None
    return lambda digest: compose(digest, email, config.organisation, secret, key)


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
        self._sender = config.audience.email.sender_address
        self._vendors = {f"vendors.{v.name}": v for v in config.audience.vendors}

    def __call__(self, delivery: Delivery) -> Outgoing:
        make = {
            "email": self._email,
            PACK: self._pack,
            PRINT: self._print,
            EVENT: self._event,
            NOTICE: self._notice,
            WITHDRAWAL: self._withdrawn,
            CANCEL: self._cancel,
        }.get(delivery.kind)
        if make is None:
            raise StaleDelivery(f"no payload for '{delivery.kind}' deliveries")
        return make(delivery)

    def _out(self, delivery: Delivery, kind: str, **parts: Any) -> Outgoing:
        return Outgoing(
            delivery.key, delivery.recipient, kind=kind, case_refs=delivery.case_refs,
            created=delivery.created, **{"data": b"", **parts},
        )  # fmt: skip

    def _email(self, delivery: Delivery) -> Outgoing:
        data = self.compose(email_digest(delivery, self._build(delivery.build_dir), self.config))
        return self._out(delivery, "email", data=data, sender=self._sender)

    def _pack(self, delivery: Delivery) -> Outgoing:
        build = self._build(delivery.build_dir)
        landing = self.config.audience.landing
        if delivery.channel == LANDING and landing is not None:
            files, folder = landing_files(delivery, build, self.config, landing), "pages"
        elif delivery.channel in self._partners:
            partner = self._partners[delivery.channel]
            files = pack_files(delivery, build, self.config, partner)
            folder = f"partners/{partner.name}"
        else:
            raise StaleDelivery(f"no channel table {delivery.channel} for this pack")
        return self._out(delivery, PACK, files=files, folder=folder)

    def _print(self, delivery: Delivery) -> Outgoing:
        vendor = self._vendors.get(delivery.channel)
        if vendor is None or self.ledger is None:
            raise StaleDelivery(f"no channel table {delivery.channel} for this print job")
        files = print_files(delivery, self._build(delivery.build_dir), vendor, self.ledger)
        return self._out(delivery, PRINT, files=files)

    def _event(self, delivery: Delivery) -> Outgoing:
        partner = self._partners.get(delivery.channel.removesuffix(WEBHOOK))
        return self._out(delivery, EVENT, data=event_data(delivery, partner))

    def _notice(self, delivery: Delivery) -> Outgoing:
        from campaign.mail.notice import compose_notice

        email = self.config.audience.email
        (ref,) = delivery.case_refs
        data = compose_notice(
            delivery.key, ref, delivery.locale, delivery.recipient,
            delivery.recipient_name or None, email, self.config.organisation,
            dt.datetime.fromtimestamp(delivery.created, dt.UTC).replace(microsecond=0),
            self._dkim_key(),
        )  # fmt: skip
        return self._out(delivery, "email", data=data, sender=self._sender)

    @functools.cache  # noqa: B019 (one Payloads per run: the key file is read once)
    def _dkim_key(self) -> bytes | None:
        from campaign.mail.dkimsign import load_dkim_key

        dkim = self.config.audience.email.dkim
        return load_dkim_key(dkim) if dkim else None

    def _withdrawn(self, delivery: Delivery) -> Outgoing:
        from campaign.webhooks import event_body

        (ref,) = delivery.case_refs
        originals = sorted({key for item in delivery.items for key in item.path.split(",") if key})
        when = dt.datetime.fromtimestamp(delivery.created, dt.UTC).replace(microsecond=0)
        data = {"case_ref": ref, "original_event_ids": originals, "partner": delivery.recipient}
        return self._out(delivery, EVENT, data=event_body("appeal.withdrawn", when, data))

    def _cancel(self, delivery: Delivery) -> Outgoing:
        vendor = self._vendors.get(delivery.channel)
        rows = [
            {"case_ref": item.case_ref, "job_id": item.path.split("/", 1)[0], "file": item.path,
             "sha256": item.sha256, "locale": item.locale,
             "quantity": vendor.quantity.get(item.path.rsplit("/", 1)[-1].rsplit(".", 1)[0],
                                             vendor.default_quantity) if vendor else None}
            for item in delivery.items
        ]  # fmt: skip
        manifest = {
            "version": 1,
            "cancellation_id": delivery.key,
            "vendor": delivery.recipient,
            "instruction": CANCEL_INSTRUCTION,
            "lines": rows,
        }
        files = (
            ("cancellation.json", (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()),
            ("cancellation.csv", _csv(rows)),
        )
        return self._out(delivery, PRINT, files=files, remove=tuple(r["file"] for r in rows))

    def _build(self, build_dir: str) -> Build:
        if build_dir not in self._builds:
            try:
                self._builds[build_dir] = Build.read(Path(build_dir))
            except CampaignError as err:
                raise StaleDelivery(str(err)) from None
        return self._builds[build_dir]


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    names = ["case_ref", "job_id", "file", "locale", "quantity", "sha256"]
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
