"""The channel contract every way of delivering follows (after django-anymail's backends):
``from_config`` checks settings without I/O; ``open``/``close`` hold one connection per run;
``send`` runs three fixed steps — ``build_payload`` (pure) → ``transmit`` (the only I/O, where
library errors become :class:`ChannelError`) → ``parse_result`` — and returns a
:class:`Receipt`, never a bare bool."""

from __future__ import annotations

import datetime as dt
import email.utils
import enum
import ssl
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, Self

from campaign.channels.settings import ChannelSettings
from campaign.clock import Clock
from campaign.errors import CampaignError


class Outcome(enum.StrEnum):
    """What a channel knows after one attempt."""

    ACCEPTED = "accepted"  # the receiver took it (SMTP 250, HTTP 2xx, an S3 version id)
    UNKNOWN = "unknown"  # it may or may not have arrived (reply lost after SMTP ".")


@dataclass(frozen=True)
class Outgoing:
    """One delivery as a channel gets it: the idempotency ``key`` (Message-ID, webhook-id, object
    name), the address, and the exact bytes — the same on every retry."""

    key: str
    recipient: str  # an e-mail address, or the partner/vendor name
    data: bytes
    sender: str = ""  # the envelope sender for mail
    # email: ``data`` is the message. pack: ``files`` are the WHOLE wanted content of the
    # recipient's folder/prefix (upload what differs, delete what is not listed). print: ``files``
    # go into a new job folder named by ``key`` (nothing else touched). event: ``data`` is a JSON
    # body to POST (``key`` is its webhook-id).
    kind: str = "email"
    files: tuple[tuple[str, bytes], ...] = ()  # (relative name, bytes), names from opaque ids
    case_refs: tuple[str, ...] = ()
    created: float = 0.0  # Unix time the delivery was recorded (webhook-timestamp)
    remove: tuple[str, ...] = ()  # withdrawal: files to delete, every version (print jobs)
    folder: str = ""  # where a pack or print job lives in a local folder channel (outbox)


@dataclass(frozen=True)
class Receipt:
    """What one attempt did: the outcome, the receiver's own id or reply, and a readable detail."""

    outcome: Outcome
    remote_id: str | None = None
    detail: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


class ChannelError(CampaignError):
    """One attempt failed. ``retryable``: try again later (4xx, a dropped connection);
    otherwise permanent (5xx, a refused address), and the address is suppressed when
    ``suppress`` is set. ``unknown_outcome``: it may have arrived anyway (retry with the same
    key, flag the row ``possible_duplicate``). ``retry_after``: seconds the receiver asked for.
    ``halt``: this channel cannot work in this run (auth refused, certificate not verified,
    server unreachable or hung): stop using it now; the rows stay deferred."""

    exit_code = 4

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        unknown_outcome: bool = False,
        suppress: bool = False,
        retry_after: float | None = None,
        response: str | None = None,
        halt: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.unknown_outcome = unknown_outcome
        self.suppress = suppress
        self.retry_after = retry_after
        self.response = response
        self.halt = halt


class Channel(Protocol):
    """What the send loop calls. ``send`` may raise :class:`ChannelError` only."""

    scheme: ClassVar[str]
    settings: ChannelSettings

    @classmethod
    def from_config(cls, settings: ChannelSettings, clock: Clock) -> Self: ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def send(self, item: Outgoing) -> Receipt: ...

    def describe(self) -> str:
        """Where this channel sends, for dry runs and reports (never a secret)."""
        ...


class BaseChannel:
    """The fixed pipeline; subclasses give ``transmit`` and may override the other two steps."""

    scheme: ClassVar[str] = ""

    def __init__(self, settings: ChannelSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._next_slot: dt.datetime | None = None

    def pace(self) -> None:
        """Wait on the clock so that sends start at most ``settings.rate`` per second."""
        if not self.settings.rate:
            return
        now = self.clock.now()
        start = max(now, self._next_slot or now)
        if start > now:
            self.clock.sleep((start - now).total_seconds())
        self._next_slot = start + dt.timedelta(seconds=1 / self.settings.rate)

    @classmethod
    def from_config(cls, settings: ChannelSettings, clock: Clock) -> Self:
        return cls(settings, clock)

    def open(self) -> None:
        """Connect (or do nothing when connections are made lazily)."""

    def close(self) -> None:
        """Let go of the connection; safe to call twice."""

    def describe(self) -> str:
        return self.settings.url

    def send(self, item: Outgoing) -> Receipt:
        payload = self.build_payload(item)
        try:
            result = self.transmit(item, payload)
        except ChannelError:
            raise
        except Exception as err:  # the one place where library errors become ours
            raise ChannelError(
                f"{self.scheme}: {type(err).__name__}: {err}", retryable=True
            ) from err
        return self.parse_result(item, result)

    def build_payload(self, item: Outgoing) -> Any:
        return item.data

    def transmit(self, item: Outgoing, payload: Any) -> Any:
        raise NotImplementedError

    def parse_result(self, item: Outgoing, result: Any) -> Receipt:
        if isinstance(result, Receipt):
            return result
        return Receipt(Outcome.ACCEPTED, str(result) if result is not None else None)


def timed_out(err: BaseException | None) -> bool:
    """Whether ``err`` or anything that caused it was a timeout (libraries wrap socket
    timeouts in their own errors; the timeout stays in the chain)."""
    while err is not None:
        if isinstance(err, TimeoutError):
            return True
        err = err.__cause__ or err.__context__
    return False


def explain(err: BaseException, timeout: float) -> str:
    """A short, secret-free reason for a network failure."""
    if timed_out(err):
        return f"no answer within {timeout:g} s"
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"certificate not verified ({err.verify_message})"
    if isinstance(err, ssl.SSLError):
        return f"TLS failed ({err.reason})"
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def retry_after_seconds(value: object, now: dt.datetime) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds, or an HTTP date), else None."""
    text = value.strip() if isinstance(value, str) else ""
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def plain_relative(name: str) -> bool:
    """Whether ``name`` is a plain relative path (``a/b.pdf``): no empty, ``.`` or ``..``
    part, no leading ``/``, no backslash or control character — safe under any root."""
    return (
        bool(name)
        and not any(part in ("", ".", "..") for part in name.split("/"))
        and not any(ord(char) < 32 or char == "\\" for char in name)
    )
