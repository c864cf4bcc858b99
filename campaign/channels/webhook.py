"""Events to a partner's webhook endpoint, ``https://HOST[:PORT]/PATH``, as Standard Webhooks.

Each send is one POST of ``item.data`` (a JSON body, see :func:`campaign.webhooks.event_body`)
with ``webhook-id`` (the delivery's key, the same on every retry), ``webhook-timestamp`` and
``webhook-signature`` (HMAC-SHA256 under this endpoint's own ``whsec_…`` secret). Before every
attempt the target passes the URL safeguards of :mod:`campaign.fetch` (a host name, never an IP
literal, resolving only to public addresses); the connection goes to the checked address and
TLS verifies the certificate for the name. Redirects are never followed. Answers: 2xx accepted;
410 endpoint gone (suppressed); 408, 429 and 5xx retried (``Retry-After`` honoured); other
3xx/4xx permanent; a connection lost after the body went out is an unknown outcome.

The timestamp signed is the time of the attempt (from the clock), not ``Outgoing.created``:
Standard Webhooks renews it on every retry, and receivers refuse timestamps more than 5 minutes
old, so a retry signed with the time the delivery was recorded would be refused from the
30-minute retry on. The id and the body stay byte for byte the same.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import http.client
import re
import ssl
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from campaign.channels.base import (
    BaseChannel,
    ChannelError,
    Outcome,
    Outgoing,
    Receipt,
    explain,
    retry_after_seconds,
    timed_out,
)
from campaign.channels.settings import ChannelSettings
from campaign.clock import Clock
from campaign.errors import ConfigError, FetchError, MissingDependency
from campaign.fetch import (
    CheckedURL,
    FetchPolicy,
    Resolver,
    check_url,
    redact_url,
    resolve_checked,
)
from campaign.fetch import PinnedHTTPConnection as _PinnedHTTP
from campaign.fetch import PinnedHTTPSConnection as _PinnedHTTPS

if TYPE_CHECKING:
    from standardwebhooks import Webhook

USER_AGENT = "campaign-webhooks/1"
TIMEOUT_RANGE_S = (15.0, 30.0)  # below 15 s only with allow_private (tests)
MIN_SECRET_BYTES = 24  # Standard Webhooks: at least 192 random bits
_ID = re.compile(r"[!-\-/-~]{1,256}")  # printable ASCII without space or "." (it is a delimiter)
_LOST = (OSError, http.client.HTTPException)
_SNIPPET = 1024


class WebhookChannel(BaseChannel):
    """POSTs each ``event`` :class:`Outgoing` to one endpoint, signed; one connection per send."""

    scheme = "https"

    def __init__(
        self, settings: ChannelSettings, clock: Clock, *, resolver: Resolver | None = None
    ) -> None:
        super().__init__(settings, clock)
        self.allow_private = settings.options.get("allow_private") is True
        self.shown = redact_url(settings.url)
        self.timeout_s = _timeout(settings.timeout_s, self.allow_private, self.shown)
        self.policy = FetchPolicy(
            allowed_hosts=(_host(settings.url, self.allow_private, self.shown),),
            schemes=("https", "http") if self.allow_private else ("https",),
            timeout_s=self.timeout_s,
            allow_private=self.allow_private,
            ca_file=str(settings.ca_file) if settings.ca_file else None,
            resolver=resolver,
        )
        self._key = _secret_key(settings, self.shown)
        self._signer = _signer(self._key)
        self._context: ssl.SSLContext | None = None

    def describe(self) -> str:
        return self.shown

    def __repr__(self) -> str:
        return f"WebhookChannel({self.shown})"

    def build_payload(self, item: Outgoing) -> bytes:
        if item.kind != "event":
            raise ChannelError(f"webhook: cannot send a {item.kind!r} delivery", retryable=False)
        if not _ID.fullmatch(item.key):
            raise ChannelError(f"webhook: unusable webhook-id {item.key!r}", retryable=False)
        try:
            item.data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ChannelError("webhook: the event body is not UTF-8", retryable=False) from err
        return item.data

    def transmit(self, item: Outgoing, payload: bytes) -> Receipt:
        self.pace()
        checked, addresses = self._target()
        headers = self._headers(item.key, payload)
        conn = self._connect(checked, addresses)
        try:
            response = self._exchange(conn, checked, payload, headers)
            return self._answer(item, response, headers["webhook-signature"])
        finally:
            conn.close()

    # -- the steps of one attempt -----------------------------------------------------------

    def _target(self) -> tuple[CheckedURL, list[str]]:
        """The checked URL and its checked addresses; a refused target is a permanent error."""
        try:
            checked = check_url(self.settings.url, self.policy)
            return checked, resolve_checked(checked, self.policy)
        except FetchError as err:
            if err.code == "fetch-numeric-host" and self.allow_private:
                return self._literal_target()
            if err.code == "fetch-dns":
                raise ChannelError(f"webhook: {err}", retryable=True, halt=True) from err
            why = str(err)
            if err.code == "fetch-numeric-host":
                why = f"{self.shown}: the target must be a host name, not an IP address"
            raise ChannelError(f"webhook: target refused: {why}", retryable=False) from err

    def _literal_target(self) -> tuple[CheckedURL, list[str]]:
        """An IP-literal URL, taken as it is (allow_private: loopback test receivers only)."""
        parts = urlsplit(self.settings.url)
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        port = parts.port or (443 if scheme == "https" else 80)
        return CheckedURL(scheme, host, port, target, self.shown), [host]

    def _headers(self, key: str, payload: bytes) -> dict[str, str]:
        stamp = int(self.clock.now().timestamp())
        when = dt.datetime.fromtimestamp(stamp, dt.UTC)
        return {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Connection": "close",
            "webhook-id": key,
            "webhook-timestamp": str(stamp),
            "webhook-signature": self._signer.sign(key, when, payload.decode("utf-8")),
        }

    def _connect(self, checked: CheckedURL, addresses: list[str]) -> http.client.HTTPConnection:
        """A connection to the first checked address that answers; none: the channel halts."""
        failure: OSError = ConnectionError("no address")
        for ip in addresses:
            conn: http.client.HTTPConnection
            if checked.scheme == "https":
                conn = _PinnedHTTPS(checked, ip, self.timeout_s, self._tls())
            else:
                conn = _PinnedHTTP(checked, ip, self.timeout_s)
            try:
                conn.connect()
                return conn
            except OSError as err:  # ssl.SSLError included: a refused certificate halts too
                conn.close()
                failure = err
                if isinstance(err, ssl.SSLError):
                    break
        raise ChannelError(
            f"webhook: cannot connect to {self.shown}: {explain(failure, self.timeout_s)}",
            retryable=True,
            halt=True,
        ) from failure

    def _exchange(
        self,
        conn: http.client.HTTPConnection,
        checked: CheckedURL,
        payload: bytes,
        headers: dict[str, str],
    ) -> http.client.HTTPResponse:
        try:
            conn.request("POST", checked.target, body=payload, headers=headers)
        except _LOST as err:  # the body did not all go out: the receiver cannot have it
            raise ChannelError(
                f"webhook: connection to {self.shown} lost while sending (not delivered): "
                + explain(err, self.timeout_s),
                retryable=True,
                halt=timed_out(err),
            ) from err
        try:
            return conn.getresponse()
        except _LOST as err:
            raise ChannelError(
                f"webhook: no answer from {self.shown} after the event was sent, it may have "
                f"arrived: {explain(err, self.timeout_s)}",
                retryable=True,
                unknown_outcome=True,
                halt=timed_out(err),
            ) from err

    def _answer(self, item: Outgoing, response: http.client.HTTPResponse, sig: str) -> Receipt:
        status = response.status
        if 200 <= status < 300:
            evidence = {"endpoint": self.shown, "status": status, "webhook_id": item.key}
            return Receipt(Outcome.ACCEPTED, item.key, f"HTTP {status}", evidence)
        said = self._snippet(response, sig)
        where = f"webhook: {self.shown} answered HTTP {status} {_phrase(status)}".rstrip()
        if status == 410:
            raise ChannelError(
                f"{where}: endpoint gone: disabled", retryable=False, suppress=True, response=said
            )
        if 300 <= status < 400:
            location = response.getheader("Location")
            to = f" to {redact_url(urljoin(self.settings.url, location))}" if location else ""
            raise ChannelError(
                f"{where}{to}: redirect not followed", retryable=False, response=said
            )
        if status in (401, 403):  # our secret or their set-up: no delivery can pass this run
            raise ChannelError(
                f"{where}: the endpoint refuses our signature; check its secret",
                retryable=True,
                halt=True,
                response=said,
            )
        if 400 <= status < 500 and status not in (408, 429):
            raise ChannelError(f"{where}: refused, not retried", retryable=False, response=said)
        wait = retry_after_seconds(response.getheader("Retry-After"), self.clock.now())
        raise ChannelError(f"{where}: will retry", retryable=True, retry_after=wait, response=said)

    # -- helpers ----------------------------------------------------------------------------

    def _snippet(self, response: http.client.HTTPResponse, sig: str) -> str:
        """The start of the answer's body, printable, with our signature and secret blanked
        (an echoing endpoint must not put them into errors and the ledger)."""
        try:
            raw = response.read(_SNIPPET)
        except _LOST:
            return ""
        text = "".join(ch if ch.isprintable() else " " for ch in raw.decode("utf-8", "replace"))
        for hidden in (sig.partition(",")[2], base64.b64encode(self._key).decode()):
            text = text.replace(hidden, "[hidden]")
        return text.strip()[:200]

    def _tls(self) -> ssl.SSLContext:
        """The verifying TLS context (system CAs plus ``ca_file``), made once per channel."""
        if self._context is None:
            try:
                self._context = ssl.create_default_context(cafile=self.policy.ca_file)
            except OSError as err:
                raise ChannelError(
                    f"webhook: cannot load ca_file for {self.shown}: {err}",
                    retryable=True,
                    halt=True,
                ) from err
        return self._context


def _timeout(value: float, allow_private: bool, shown: str) -> float:
    """``timeout_s`` kept within 15–30 s (lower only for loopback tests)."""
    if not value > 0:
        raise ConfigError(f"channel {shown}: timeout_s must be more than 0")
    low, high = TIMEOUT_RANGE_S
    return min(value, high) if allow_private else min(max(value, low), high)


def _host(url: str, allow_private: bool, shown: str) -> str:
    """The URL's host, once its scheme is https (or http for loopback tests)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as err:
        raise ConfigError(f"channel {shown}: not a valid URL ({err})") from err
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme.lower() not in schemes:
        raise ConfigError(f"channel {shown}: webhook URLs must be https://HOST/PATH")
    if not parts.hostname:
        raise ConfigError(f"channel {shown}: the URL needs a host (https://HOST/PATH)")
    return parts.hostname


def _secret_key(settings: ChannelSettings, shown: str) -> bytes:
    """This endpoint's signing key, from ``whsec_<base64>`` in the ``secret_env`` variable."""
    where = f"channel {shown}"
    if not settings.secret_env:
        raise ConfigError(
            f"{where}: secret_env is required: the NAME of the environment variable that holds "
            "this endpoint's own signing secret (whsec_… , one per endpoint)"
        )
    secret = (settings.secret() or "").strip()
    bad = ConfigError(
        f"{where}: the value of {settings.secret_env} is not a webhook signing secret "
        f"(whsec_ followed by base64 of at least {MIN_SECRET_BYTES} random bytes)"
    )
    if not secret.startswith("whsec_"):
        raise bad
    encoded = secret[len("whsec_") :]
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise bad from None
    if len(key) < MIN_SECRET_BYTES:
        raise bad
    return key


def _signer(key: bytes) -> Webhook:
    try:
        from standardwebhooks import Webhook
    except ImportError as err:
        raise MissingDependency(
            "the standardwebhooks package", command="pip install standardwebhooks"
        ) from err
    return Webhook(key)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
