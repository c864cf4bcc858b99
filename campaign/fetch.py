"""Fetch a photo given as a URL, with the URL safeguards of reliability.md ("Hostile input").

Every URL, and every redirect target, must pass: a scheme in ``FetchPolicy.schemes`` (only
``https`` by default); no user name or password; a host *name* (numeric hosts such as
``127.0.0.1``, ``2130706433``, ``0x7f.1``, ``127.1`` or ``[::1]`` are refused outright) that
is listed in ``allowed_hosts`` (exact, or ``*.example.org`` for names below ``example.org``);
and every address the name resolves to must be public unicast: loopback, private, link-local
(``169.254.169.254``), shared (``100.64.0.0/10``), multicast, reserved, unspecified and
documentation addresses are refused, also when wrapped in IPv6 (IPv4-mapped or -compatible,
6to4, Teredo, NAT64). The connection goes to the checked address (no second lookup, so DNS
rebinding cannot move it) while TLS verifies the certificate for the host name, with SNI.
At most ``max_redirects`` redirects; the body is capped by ``Content-Length`` and again while
reading; each socket operation has ``timeout_s`` and the whole fetch ``total_timeout_s``
(checked before every read, with an injectable clock); only ``200`` with ``image/*`` passes.

Every refusal is a :class:`FetchError` with a ``code`` and a message naming the URL as
``scheme://host[:port]/path`` (never the query string or user info, which may hold tokens).
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import NoReturn, TypeAlias
from urllib.parse import SplitResult, urljoin, urlsplit

from campaign.errors import FetchError

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver: TypeAlias = Callable[[str, int], list[str]]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
_DEFAULT_PORTS = {"https": 443, "http": 80}
_HEADERS = {"User-Agent": "campaign-photo-fetch/1", "Accept": "image/*", "Connection": "close"}
_HOST_CHARS = re.compile(r"[a-z0-9_.-]+")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")
_BLOCKED_V4_NETS = (  # shared, documentation, benchmark, 6to4 relay, reserved ranges and others
    "0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 "
    "192.0.2.0/24 192.88.99.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 "
    "224.0.0.0/4 240.0.0.0/4"
)
_BLOCKED_V4 = tuple(ipaddress.IPv4Network(net) for net in _BLOCKED_V4_NETS.split())
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NOT_AN_IP = "not an IP address"


@dataclass(frozen=True)
class FetchPolicy:
    """What may be fetched, from where, how much and for how long."""

    allowed_hosts: tuple[str, ...] = ()
    schemes: tuple[str, ...] = ("https",)
    max_bytes: int = 20_000_000
    timeout_s: float = 15.0
    total_timeout_s: float = 60.0
    max_redirects: int = 3
    allow_private: bool = False  # tests only: skips the address check (loopback servers)
    ca_file: str | None = None  # an extra CA bundle, trusted besides the system's
    resolver: Resolver | None = None  # host, port -> IP strings; default socket.getaddrinfo


@dataclass(frozen=True)
class CheckedURL:
    """A URL that passed the checks that need no network: scheme, user info, host, port."""

    scheme: str
    host: str
    port: int
    target: str  # what goes on the request line: path and query
    shown: str  # scheme://host[:port]/path, safe for messages


def fetch(url: str, policy: FetchPolicy, clock: Callable[[], float] = time.monotonic) -> bytes:
    """The body of an image at ``url``, or :class:`FetchError` saying which check refused it."""
    timer = _Timer(clock() + policy.total_timeout_s, clock, policy)
    context = _tls_context(policy)
    current = url
    for hop in range(policy.max_redirects + 1):
        try:
            checked = check_url(current, policy)
            addresses = resolve_checked(checked, policy)
            body, location = _Hop(checked, policy, timer).run(addresses, context)
        except FetchError as exc:
            if hop == 0:
                raise
            _refuse(redact_url(url), exc.code, f"redirected, and then: {exc}")
        if location is None:
            return body
        current = urljoin(current, location)
    _refuse(redact_url(url), "fetch-too-many-redirects", f"over {policy.max_redirects} redirects")


def redact_url(url: str) -> str:
    """``scheme://host[:port]/path`` of ``url``, without user info, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unreadable URL>"
    shown = f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else parts.path
    return "".join(ch if ch.isprintable() else "?" for ch in shown)[:200]


def check_url(url: str, policy: FetchPolicy) -> CheckedURL:
    """Refuse ``url`` unless its scheme, host and port pass the policy (no network used)."""
    shown = redact_url(url)
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        _refuse(shown, "fetch-bad-url", "the URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        _refuse(shown, "fetch-bad-url", f"not a valid URL ({exc})")
    scheme = parts.scheme.lower()
    if scheme not in policy.schemes:
        allowed = ", ".join(policy.schemes) or "none"
        _refuse(shown, "fetch-scheme", f"scheme {scheme!r} is not allowed (only {allowed})")
    if parts.username is not None or parts.password is not None:
        _refuse(shown, "fetch-userinfo", "URLs with a user name or password are refused")
    host = _checked_host(parts, shown, policy)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return CheckedURL(scheme, host, port or _DEFAULT_PORTS.get(scheme, 443), target, shown)


def resolve_checked(checked: CheckedURL, policy: FetchPolicy) -> list[str]:
    """The addresses of ``checked.host``; refused if any of them is not a public address."""
    resolver = policy.resolver or _system_resolve
    try:
        answers = resolver(checked.host, checked.port)
    except OSError as exc:
        _refuse(checked.shown, "fetch-dns", f"cannot resolve {checked.host} ({exc})")
    if not answers:
        _refuse(checked.shown, "fetch-dns", f"{checked.host} has no address")
    for answer in answers:
        reason = _answer_problem(answer)
        if reason and not (policy.allow_private and reason != _NOT_AN_IP):
            why = f"{checked.host} resolves to {answer}, {reason}; only public addresses are used"
            _refuse(checked.shown, "fetch-address", why)
    return answers


def address_problem(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be contacted, or None for a public unicast address."""
    for inner in _embedded_v4(ip):
        reason = address_problem(inner)
        if reason:
            return f"{reason} wrapped in an IPv6 address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return "an IPv4-mapped IPv6 address"
    labels = (
        ("a loopback address", ip.is_loopback),
        ("an unspecified address", ip.is_unspecified),
        ("a link-local address", ip.is_link_local),
        ("a multicast address", ip.is_multicast),
        ("a private address", ip.is_private),
        ("a reserved address", ip.is_reserved),
    )
    for label, flag in labels:
        if flag:
            return label
    if isinstance(ip, ipaddress.IPv4Address) and any(ip in net for net in _BLOCKED_V4):
        return "a special-purpose address (shared, documentation or benchmark range)"
    return None if ip.is_global else "not a public address"


def _embedded_v4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip.packed[:12] == bytes(12) and int(ip) > 1 or ip in _NAT64:  # IPv4-compatible, NAT64
        found.append(ipaddress.IPv4Address(ip.packed[12:]))
    return [inner for inner in found if inner is not None]


def _answer_problem(answer: str) -> str | None:
    try:
        return address_problem(ipaddress.ip_address(answer))
    except ValueError:
        return _NOT_AN_IP


def _checked_host(parts: SplitResult, shown: str, policy: FetchPolicy) -> str:
    raw = (parts.hostname or "").rstrip(".")
    if not raw:
        _refuse(shown, "fetch-bad-url", "the URL has no host")
    if _is_numeric_host(raw):
        why = f"numeric host {raw!r} refused; use a host name listed in allowed_hosts"
        _refuse(shown, "fetch-numeric-host", why)
    host = _ascii_host(raw)
    if host is None or not _HOST_CHARS.fullmatch(host):
        _refuse(shown, "fetch-bad-url", f"{raw!r} is not a valid host name")
    if not _host_allowed(host, policy.allowed_hosts):
        none_yet = "no host is allowed yet" if not policy.allowed_hosts else "host not allowed"
        why = f"{none_yet}; to fetch from {host}, list it in the config under [fetch] allowed_hosts"
        _refuse(shown, "fetch-host-not-allowed", why)
    return host


def _is_numeric_host(host: str) -> bool:
    """IP literals, and names whose last label is a number (URL parsers read those as IPv4)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return bool(_NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1].lower()))


def _ascii_host(host: str) -> str | None:
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None


def _host_allowed(host: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        wildcard = pattern.startswith("*.")
        name = _ascii_host(pattern[2:] if wildcard else pattern.rstrip("."))
        if name is None:
            continue
        if host == name and not wildcard or wildcard and host.endswith("." + name):
            return True
    return False


def _system_resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _tls_context(policy: FetchPolicy) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if policy.ca_file:
        context.load_verify_locations(cafile=policy.ca_file)
    return context


class _Timer:
    """The whole-fetch deadline, and the socket timeout for the next operation."""

    def __init__(self, deadline: float, clock: Callable[[], float], policy: FetchPolicy) -> None:
        self.deadline, self.clock, self.policy = deadline, clock, policy

    def next_timeout(self, shown: str) -> float:
        left = self.deadline - self.clock()
        if left <= 0:
            _refuse(shown, "fetch-timeout", f"not done within {self.policy.total_timeout_s:g} s")
        return min(self.policy.timeout_s, left)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked IP address, with SNI and certificate checks for the host name."""

    def __init__(self, checked: CheckedURL, ip: str, timeout: float, context: ssl.SSLContext):
        super().__init__(checked.host, checked.port, timeout=timeout, context=context)
        self.pinned_ip, self.tls_context = ip, context

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_ip, self.port), self.timeout)
        try:
            self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP to a checked IP address (only when the policy lists ``http``)."""

    def __init__(self, checked: CheckedURL, ip: str, timeout: float):
        super().__init__(checked.host, checked.port, timeout=timeout)
        self.pinned_ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_ip, self.port), self.timeout)


class _Hop:
    """One GET of a checked URL: (body, None) for a 200 image, (b"", location) for a redirect."""

    def __init__(self, checked: CheckedURL, policy: FetchPolicy, timer: _Timer) -> None:
        self.checked, self.policy, self.timer, self.shown = checked, policy, timer, checked.shown

    def run(self, addresses: list[str], context: ssl.SSLContext) -> tuple[bytes, str | None]:
        with _network_errors(self.shown, self.policy):
            conn = self._connect(addresses, context)
            try:
                sock = conn.sock  # kept: getresponse() drops it from conn on "Connection: close"
                conn.request("GET", self.checked.target, headers=_HEADERS)
                return self._answer(conn.getresponse(), sock)
            finally:
                conn.close()

    def _connect(self, addresses: list[str], context: ssl.SSLContext) -> http.client.HTTPConnection:
        failure = OSError("no address")
        for ip in addresses:  # every one was checked; the first that answers is used
            conn: http.client.HTTPConnection
            timeout = self.timer.next_timeout(self.shown)
            if self.checked.scheme == "https":
                conn = PinnedHTTPSConnection(self.checked, ip, timeout, context)
            else:
                conn = PinnedHTTPConnection(self.checked, ip, timeout)
            try:
                conn.connect()
                return conn
            except ssl.SSLError:
                raise
            except OSError as exc:
                failure = exc
        raise failure

    def _answer(
        self, response: http.client.HTTPResponse, sock: socket.socket
    ) -> tuple[bytes, str | None]:
        status, shown = response.status, self.shown
        if status in _REDIRECTS:
            location = response.getheader("Location")
            if not location:
                _refuse(shown, "fetch-status", f"redirect ({status}) without a Location")
            return b"", location
        if status != 200:
            _refuse(shown, "fetch-status", f"the server answered HTTP {status} {_phrase(status)}")
        media = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if not media.startswith("image/"):
            _refuse(shown, "fetch-content-type", f"not an image (type {media[:60] or 'missing'})")
        if response.length is not None and response.length > self.policy.max_bytes:
            self._too_large()
        return self._read_capped(response, sock), None

    def _read_capped(self, response: http.client.HTTPResponse, sock: socket.socket) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            sock.settimeout(self.timer.next_timeout(self.shown))  # no read waits past the deadline
            chunk = response.read1(_CHUNK)
            if not chunk:
                return b"".join(parts)
            total += len(chunk)
            if total > self.policy.max_bytes:
                self._too_large()
            parts.append(chunk)

    def _too_large(self) -> NoReturn:
        _refuse(self.shown, "fetch-too-large", f"over the {self.policy.max_bytes:,} bytes allowed")


def _refuse(shown: str, code: str, why: str) -> NoReturn:
    raise FetchError(f"{shown}: {why.rstrip()}", code)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


@contextmanager
def _network_errors(shown: str, policy: FetchPolicy) -> Iterator[None]:
    """Turn socket, TLS and HTTP failures into FetchErrors naming the URL."""
    try:
        yield
    except FetchError:
        raise
    except ssl.SSLCertVerificationError as exc:
        _refuse(shown, "fetch-tls", f"the server's certificate was refused ({exc.verify_message})")
    except ssl.SSLError as exc:
        _refuse(shown, "fetch-tls", f"TLS failed ({exc.reason})")
    except TimeoutError:
        _refuse(shown, "fetch-timeout", f"no answer within {policy.timeout_s:g} s")
    except http.client.HTTPException as exc:
        _refuse(shown, "fetch-protocol", f"broken HTTP answer ({type(exc).__name__})")
    except OSError as exc:
        _refuse(shown, "fetch-connect", f"cannot connect ({exc.strerror or exc})")
