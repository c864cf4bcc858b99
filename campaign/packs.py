"""What each recipient gets, as values the channels turn into bytes: the e-mail digest of a
subscriber (cases matched to them, in their language) and, for partners and printers, packs."""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from campaign.audience import Area, Subscriber
from campaign.config import Config
from campaign.ledger import Delivery, Item
from campaign.qr import Tracking, qr_url

if TYPE_CHECKING:
    from campaign.buildview import Build


@dataclass(frozen=True)
class Attachment:
    """A file carried in a message or pack (``filename`` built from opaque ids only)."""

    filename: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class DigestEntry:
    """One case in a digest, in the language chosen for the recipient."""

    case_ref: str
    locale: str  # the language of the rendition (best match for the recipient)
    alt: str  # the localized one-sentence description (the rendition's alt text)
    url: str  # the case page, tracked for e-mail
    image: Attachment  # the banner shown inline (JPEG or PNG)
    poster: Attachment | None = None  # attached when email.poster = "attach"
    poster_url: str | None = None  # linked when email.poster = "link"


@dataclass(frozen=True)
class EmailDigest:
    """One message to one subscriber: its idempotency ``key`` (the Message-ID is made from it)
    and ``created`` (its Date header) are fixed when the delivery is planned, so every retry
    produces the same bytes."""

    key: str
    subscriber: Subscriber
    locale: str  # the language of the message text (the subscriber's, after fallback)
    entries: tuple[DigestEntry, ...]
    created: dt.datetime


class StaleDelivery(Exception):
    """A recorded delivery can no longer be made as planned: a file it carries changed or went
    missing, or its approval is gone. The delivery is cancelled (a new batch plans it again)."""


def email_digest(delivery: Delivery, build: Build, config: Config) -> EmailDigest:
    """The digest a recorded e-mail delivery carries, read back from its build folder; raises
    :class:`StaleDelivery` when a file is not the version that was planned."""
    email = config.audience.email
    entries: list[DigestEntry] = []
    posters = {i.case_ref: i for i in delivery.items if i.format == email.poster_format}
    for item in delivery.items:
        if item.format == email.poster_format:
            continue
        rendition = build.renditions.get((item.case_ref, item.locale, item.format))
        if rendition is None or rendition["sha256"] != item.sha256:
            raise StaleDelivery(f"{item.path} is no longer the version that was planned")
        poster = posters.get(item.case_ref)
        entries.append(
            DigestEntry(
                case_ref=item.case_ref,
                locale=item.locale,
                alt=str(rendition.get("alt") or item.case_ref),
                url=qr_url(config.case_url, item.case_ref, _tracking(config, delivery)),
                image=_attachment(build.root, item),
                poster=_attachment(build.root, poster) if poster else None,
                poster_url=_poster_url(email.poster_url, item) if email.poster == "link" else None,
            )
        )
    return EmailDigest(
        key=delivery.key,
        subscriber=Subscriber(
            address=delivery.recipient,
            name=delivery.recipient_name or None,
            locale=delivery.locale,
            area=Area(),
            consent_date=dt.date.min,  # not needed to write the message
            list_name=delivery.channel.removeprefix("lists."),
            line=0,
        ),
        locale=delivery.locale,
        entries=tuple(entries),
        created=dt.datetime.fromtimestamp(delivery.created, dt.UTC),
    )


def _tracking(config: Config, delivery: Delivery) -> Tracking:
    return Tracking("email", "email", config.utm_campaign, delivery.channel.removeprefix("lists."))


def _poster_url(template: str | None, item: Item) -> str | None:
    if template is None:
        return None
    return template.replace("{ref}", item.case_ref).replace("{locale}", item.locale)


def _attachment(root: Path, item: Item) -> Attachment:
    data = read_item(root, item)
    suffix = Path(item.path).suffix
    media = mimetypes.guess_type(item.path)[0] or "application/octet-stream"
    return Attachment(f"{item.case_ref}-{item.locale}-{item.format}{suffix}", media, data)


def read_item(root: Path, item: Item) -> bytes:
    """The bytes of ``item`` in the build at ``root``, checked against the digest the delivery
    recorded (:class:`StaleDelivery` when missing, outside the build or changed)."""
    path = (root / item.path).resolve()
    if not path.is_relative_to(root):
        raise StaleDelivery(f"{item.path} is outside the build folder")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise StaleDelivery(f"{item.path} cannot be read: {err.strerror}") from None
    if hashlib.sha256(data).hexdigest() != item.sha256:
        raise StaleDelivery(f"{item.path} changed since the batch was planned")
    return data


def planned(
    delivery: Delivery, build: Build, items: Iterable[Item] | None = None
) -> Iterator[tuple[Item, Mapping[str, Any], bytes]]:
    """Each item of ``delivery`` (or ``items``) with its manifest entry and bytes, exactly the
    version that was planned: otherwise :class:`StaleDelivery` — except for withdrawal work
    (priority 0), which leaves out what changed since rather than not going at all."""
    for item in delivery.items if items is None else items:
        rendition = build.renditions.get((item.case_ref, item.locale, item.format))
        try:
            if rendition is None or rendition["sha256"] != item.sha256:
                raise StaleDelivery(f"{item.path} is no longer the version that was planned")
            data = read_item(build.root, item)
        except StaleDelivery:
            if delivery.priority == 0:
                continue
            raise
        yield item, rendition, data
