"""What each recipient gets, as values the channels turn into bytes: the e-mail digest of a
subscriber (cases matched to them, in their language) and, for partners and printers, packs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from campaign.audience import Subscriber


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
