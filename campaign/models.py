"""The engine's records: frozen values, no I/O.

A :class:`Case` holds only the public fields of a case record. The private fields travel in a
separate :class:`PrivateFields` value that the loader hands back beside the cases, so code that
renders or sends a ``Case`` has no way to reach them.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from pathlib import Path

from campaign.problems import Problem, Severity


class Sex(enum.StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Status(enum.StrEnum):
    ACTIVE = "active"
    RESOLVED = "resolved"


class Category(enum.StrEnum):
    MISSING = "missing"
    ENDANGERED = "endangered"
    FAMILY_ABDUCTION = "family_abduction"
    NONFAMILY_ABDUCTION = "nonfamily_abduction"
    RUNAWAY = "runaway"


class Publicity(enum.StrEnum):
    PUBLIC = "public"
    RESTRICTED = "restricted"
    NONE = "none"


class Hair(enum.StrEnum):
    BLACK = "black"
    BROWN = "brown"
    BLONDE = "blonde"
    RED = "red"
    GREY = "grey"
    WHITE = "white"
    BALD = "bald"
    OTHER = "other"


class Eyes(enum.StrEnum):
    BROWN = "brown"
    BLUE = "blue"
    GREEN = "green"
    HAZEL = "hazel"
    GREY = "grey"
    BLACK = "black"
    OTHER = "other"


@dataclass(frozen=True)
class Origin:
    """Where a record came from: the file, the line its record starts on, the id it had there."""

    file: str
    line: int
    source_id: str | None = None


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year, month or day (PFIF allows ``1970`` and ``1970-01``)."""

    year: int
    month: int | None = None
    day: int | None = None

    def isoformat(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month is not None:
            parts.append(f"{self.month:02d}")
            if self.day is not None:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)

    def earliest(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)


@dataclass(frozen=True)
class AgeRange:
    """An age in whole years; ``low == high`` when exact (PFIF allows ranges such as ``35-45``)."""

    low: int
    high: int

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


@dataclass(frozen=True)
class Case:
    """One validated case record: the public fields only (see docs/case-record.md)."""

    case_id: str
    case_ref: str
    origin: Origin
    missing_since: dt.date | dt.datetime
    missing_country: str
    photo: Path | str  # a path inside the cases folder, or an https URL
    authority_ref: str
    consent: bool
    given_name: str | None = None
    family_name: str | None = None
    full_name: str | None = None
    alternate_names: tuple[str, ...] = ()
    status: Status = Status.ACTIVE
    category: Category = Category.MISSING
    publicity: Publicity = Publicity.PUBLIC
    sex: Sex = Sex.UNKNOWN
    date_of_birth: PartialDate | None = None
    age_at_missing: AgeRange | None = None
    missing_city: str | None = None
    missing_region: str | None = None
    missing_region_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    height_cm: float | None = None
    weight_kg: float | None = None
    hair: Hair | None = None
    eyes: Eyes | None = None
    distinguishing_marks: str | None = None
    clothing: str | None = None
    description: str | None = None
    descriptions: tuple[tuple[str, str], ...] = ()  # (BCP 47 tag, text) translations
    source_locale: str = "en"
    photo_date: dt.date | None = None
    age_progressed_photo: Path | str | None = None
    age_progressed_to: int | None = None
    contact_agency: str | None = None
    contact_phone: str | None = None
    locales: tuple[str, ...] = ()
    review_by: dt.date | None = None

    @property
    def display_name(self) -> str:
        """The name as printed: ``full_name`` when given, else given then family name."""
        if self.full_name:
            return self.full_name
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    def problem(
        self, severity: Severity, code: str, message: str, field: str | None = None
    ) -> Problem:
        """A problem about this case, pointing at the line its record starts on."""
        return Problem(
            severity, code, message, self.origin.file, self.origin.line, field, self.case_id
        )

    def description_in(self, locale: str) -> str | None:
        """The description translated into ``locale`` when the record has one."""
        return dict(self.descriptions).get(locale)


@dataclass(frozen=True)
class PrivateFields:
    """Fields that are stored but never rendered or sent. ``repr`` never shows the values."""

    case_id: str
    values: tuple[tuple[str, str], ...] = field(default=())

    def __repr__(self) -> str:
        names = ", ".join(name for name, _ in self.values)
        return f"PrivateFields(case_id={self.case_id!r}, fields=[{names}])"

    __str__ = __repr__

    def get(self, name: str) -> str | None:
        return dict(self.values).get(name)


@dataclass(frozen=True)
class Rendition:
    """One rendered file of a build, as the manifest lists it (``path`` relative to the build)."""

    case_id: str
    case_ref: str
    locale: str
    format: str
    path: str
    media_type: str
    sha256: str
    bytes: int
    width: int | None = None
    height: int | None = None
    alt: str | None = None
    qr_url: str | None = None
    embed: str | None = None  # path of the HTML embed code beside the file (web banners)
    key: str | None = None  # the job key (build cache): a digest of every input of the bytes
    problems: tuple[Problem, ...] = ()  # what its render reported (kept for skipped rebuilds)


# -- delivery (the ledger's records; campaign.ledger keeps them) ------------------------------


class DeliveryStatus(enum.StrEnum):
    """The closed vocabulary of a delivery's state."""

    PENDING = "pending"  # recorded, not tried yet
    SENDING = "sending"  # claimed by an engine (until lease_until)
    SENT = "sent"  # the receiver accepted it
    DEFERRED = "deferred"  # a try failed for now; tried again at next_attempt
    FAILED = "failed"  # refused for good (the address or endpoint is suppressed)
    POSSIBLE_DUPLICATE = "possible_duplicate"  # accepted, and an earlier try may have arrived too
    EXPIRED = "expired"  # not accepted within the channel's lifetime
    CANCELLED = "cancelled"  # not sent: case resolved, address suppressed, rendition changed


OPEN = frozenset({DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.DEFERRED})
FINAL = frozenset(DeliveryStatus) - OPEN
RECEIVED = frozenset({DeliveryStatus.SENT, DeliveryStatus.POSSIBLE_DUPLICATE})
# A case version in a delivery in one of these is not planned again for that recipient.
TAKEN = OPEN | RECEIVED


@dataclass(frozen=True)
class DeliveryItem:
    """One rendition a delivery carries (``path`` relative to the delivery's build folder)."""

    case_ref: str
    locale: str
    format: str
    path: str
    sha256: str


@dataclass(frozen=True)
class NewDelivery:
    """A delivery to record: who, through which channel table, in which language, with what."""

    channel: str
    kind: str
    recipient: str
    locale: str
    build_dir: str
    items: tuple[DeliveryItem, ...]
    recipient_name: str = ""
    priority: int = 10
    key: str = ""  # a fixed idempotency key (withdrawal work: recorded once however often asked)


@dataclass(frozen=True)
class Delivery:
    """A delivery as the ledger holds it."""

    id: int
    key: str
    channel: str
    kind: str
    recipient: str
    recipient_name: str
    locale: str
    build_dir: str
    status: DeliveryStatus
    attempts: int
    uncertain: bool
    created: float
    first_attempt: float | None
    remote_id: str | None
    detail: str
    items: tuple[DeliveryItem, ...] = ()
    priority: int = 10  # 0: withdrawal work

    @property
    def case_refs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(item.case_ref for item in self.items))
