"""The URL safeguards of campaign.fetch, against a real HTTPS server on loopback."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pytest
import trustme

from campaign.errors import FetchError
from campaign.fetch import FetchPolicy, address_problem, fetch, redact_url

JPEG = b"\xff\xd8\xff\xe0" + b"photo-bytes" * 100
CERT_NAMES = ("photos.example.org", "cdn.example.org")
RESOLVES = {
    "photos.example.org": ["127.0.0.1"],
    "cdn.example.org": ["127.0.0.1"],
    "other.example.org": ["127.0.0.1"],  # listed, but the certificate does not name it
    "evil.example.org": ["127.0.0.1", "169.254.169.254", "10.0.0.5"],
    "metadata.example.org": ["169.254.169.254"],
    "intranet.example.org": ["93.184.216.34", "10.0.0.5"],
    "mapped.example.org": ["::ffff:127.0.0.1"],
    "sixtofour.example.org": ["2002:a00:5::1"],
    "shared.example.org": ["100.64.1.2"],
}


def resolver(host: str, port: int) -> list[str]:
    if host not in RESOLVES:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return RESOLVES[host]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: PhotoServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes, ctype: str = "image/jpeg", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", headers.pop("length", str(len(body))))
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        path = self.path.split("?")[0]
        if path == "/photo.jpg":
            self.send(200, JPEG, "image/jpeg; charset=binary")
        elif path == "/to-unlisted":
            self.send(302, b"", "text/plain", Location=f"https://unlisted.example.org:{port}/x")
        elif path == "/to-cdn":
            self.send(301, b"", "text/plain", Location=f"https://cdn.example.org:{port}/photo.jpg")
        elif path == "/to-metadata":
            self.send(302, b"", "text/plain", Location="https://metadata.example.org/latest")
        elif path == "/to-http":
            self.send(302, b"", "text/plain", Location=f"http://photos.example.org:{port}/x")
        elif path == "/loop":
            self.send(302, b"", "text/plain", Location="/loop")
        elif path == "/declared-big":
            self.send(200, b"x" * 100, length="5000")
        elif path == "/chunked-big":
            self.chunked(b"y" * 400, 10)
        elif path == "/many-chunks":
            self.send(200, b"z" * (16 * 64 * 1024))
        elif path == "/page.html":
            self.send(200, b"<html></html>", "text/html")
        elif path == "/stall":
            self.server.release.wait(5)
            self.send(200, JPEG)
        else:
            self.send(404, b"not here", "text/plain")

    def chunked(self, piece: bytes, count: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            for _ in range(count):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client hung up once the cap was reached


class PhotoServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    release: threading.Event

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early are part of the tests


@dataclass
class Served:
    port: int
    ca_file: str
    server: PhotoServer

    def url(self, path: str, host: str = "photos.example.org") -> str:
        return f"https://{host}:{self.port}{path}"

    def policy(self, **changes: object) -> FetchPolicy:
        base = FetchPolicy(
            allowed_hosts=("photos.example.org", "*.example.org"),
            allow_private=True,
            ca_file=self.ca_file,
            resolver=resolver,
            timeout_s=2.0,
        )
        return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*CERT_NAMES).configure_cert(context)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = PhotoServer(("127.0.0.1", 0), Handler)
    server.release = threading.Event()
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Served(server.server_address[1], str(ca_file), server)
    server.release.set()
    server.shutdown()
    server.server_close()


def refused(call: Callable[[], object], code: str) -> str:
    with pytest.raises(FetchError) as info:
        call()
    assert info.value.code == code, str(info.value)
    return str(info.value)


def test_fetches_an_image_from_a_listed_host(served: Served) -> None:
    assert fetch(served.url("/photo.jpg?size=large"), served.policy()) == JPEG


def test_empty_allowlist_refuses_and_says_where_to_list_the_host(served: Served) -> None:
    message = refused(
        lambda: fetch(served.url("/photo.jpg"), served.policy(allowed_hosts=())),
        "fetch-host-not-allowed",
    )
    assert "[fetch] allowed_hosts" in message and "photos.example.org" in message


def test_unlisted_host_refused(served: Served) -> None:
    policy = served.policy(allowed_hosts=("photos.example.org",))
    message = refused(
        lambda: fetch(served.url("/x", "cdn.example.org"), policy), "fetch-host-not-allowed"
    )
    assert "cdn.example.org" in message


def test_wildcard_matches_subdomains_only() -> None:
    policy = FetchPolicy(allowed_hosts=("*.example.org",), resolver=resolver)
    refused(lambda: fetch("https://example.org/x", policy), "fetch-host-not-allowed")
    refused(lambda: fetch("https://badexample.org/x", policy), "fetch-host-not-allowed")


@pytest.mark.parametrize(
    "url",
    [
        "http://photos.example.org/a.jpg",
        "file:///etc/passwd",
        "ftp://photos.example.org/a.jpg",
        "data:image/png;base64,iVBORw0KGgo=",
        "gopher://photos.example.org/",
    ],
)
def test_schemes_other_than_https_refused(url: str) -> None:
    policy = FetchPolicy(allowed_hosts=("photos.example.org",), resolver=resolver)
    refused(lambda: fetch(url, policy), "fetch-scheme")


def test_userinfo_refused_without_echoing_the_password() -> None:
    policy = FetchPolicy(allowed_hosts=("photos.example.org",), resolver=resolver)
    url = "https://staff:hunter2@photos.example.org/a.jpg"
    message = refused(lambda: fetch(url, policy), "fetch-userinfo")
    assert "hunter2" not in message and "staff" not in message


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "2130706433",
        "0x7f.1",
        "127.1",
        "017700000001",
        "0x7f000001",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "169.254.169.254",
        "[fe80::1%25eth0]",
        "photos.example.org.0x1",
    ],
)
def test_numeric_hosts_refused_before_resolution(host: str) -> None:
    def no_resolving(host: str, port: int) -> list[str]:
        raise AssertionError("numeric hosts must be refused before any lookup")

    policy = FetchPolicy(allowed_hosts=("*.example.org", "127.0.0.1"), resolver=no_resolving)
    message = refused(lambda: fetch(f"https://{host}/a.jpg", policy), "fetch-numeric-host")
    assert "allowed_hosts" in message


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("photos.example.org", "loopback"),
        ("evil.example.org", "loopback"),
        ("metadata.example.org", "link-local"),
        ("intranet.example.org", "private"),
        ("mapped.example.org", "IPv6"),
        ("sixtofour.example.org", "IPv6"),
        ("shared.example.org", "address"),
    ],
)
def test_private_addresses_refused_after_resolution(host: str, reason: str) -> None:
    policy = FetchPolicy(allowed_hosts=("*.example.org",), resolver=resolver)
    message = refused(lambda: fetch(f"https://{host}/a.jpg", policy), "fetch-address")
    assert reason in message and host in message


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:8.8.8.8",
        "::127.0.0.1",
        "2002:7f00:1::",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",
        "64:ff9b::a00:1",
        "192.0.2.1",
        "198.18.0.1",
    ],
)
def test_address_classes_refused(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


def test_unresolvable_host_refused() -> None:
    policy = FetchPolicy(allowed_hosts=("*.example.org",), resolver=resolver)
    refused(lambda: fetch("https://nowhere.example.org/a.jpg", policy), "fetch-dns")


def test_redirect_to_unlisted_host_refused(served: Served) -> None:
    policy = served.policy(allowed_hosts=("photos.example.org",))
    message = refused(lambda: fetch(served.url("/to-unlisted"), policy), "fetch-host-not-allowed")
    assert "redirected" in message and "unlisted.example.org" in message


def test_redirect_to_listed_host_followed(served: Served) -> None:
    assert fetch(served.url("/to-cdn"), served.policy()) == JPEG


def test_redirect_target_gets_the_address_check(served: Served) -> None:
    refused(
        lambda: fetch(served.url("/to-metadata"), served.policy(allow_private=False)),
        "fetch-address",
    )


def test_redirect_to_http_refused(served: Served) -> None:
    refused(lambda: fetch(served.url("/to-http"), served.policy()), "fetch-scheme")


def test_too_many_redirects(served: Served) -> None:
    message = refused(
        lambda: fetch(served.url("/loop"), served.policy()), "fetch-too-many-redirects"
    )
    assert "3 redirects" in message


def test_declared_length_over_cap_refused(served: Served) -> None:
    policy = served.policy(max_bytes=1000)
    refused(lambda: fetch(served.url("/declared-big"), policy), "fetch-too-large")


def test_chunked_body_over_cap_refused_while_reading(served: Served) -> None:
    policy = served.policy(max_bytes=1000)
    refused(lambda: fetch(served.url("/chunked-big"), policy), "fetch-too-large")
    assert len(fetch(served.url("/chunked-big"), served.policy(max_bytes=4000))) == 4000


def test_wrong_content_type_refused(served: Served) -> None:
    message = refused(
        lambda: fetch(served.url("/page.html"), served.policy()), "fetch-content-type"
    )
    assert "text/html" in message


def test_not_found_names_status_but_not_query(served: Served) -> None:
    url = served.url("/missing.jpg?token=SECRET123")
    message = refused(lambda: fetch(url, served.policy()), "fetch-status")
    assert "404" in message and "photos.example.org" in message and "/missing.jpg" in message
    assert "SECRET123" not in message


def test_stalled_server_times_out(served: Served) -> None:
    served.server.release.clear()
    try:
        message = refused(
            lambda: fetch(served.url("/stall"), served.policy(timeout_s=0.3)), "fetch-timeout"
        )
    finally:
        served.server.release.set()
    assert "0.3" in message


def test_total_deadline_checked_between_reads(served: Served) -> None:
    ticks = iter(range(1000))

    def clock() -> float:
        return float(next(ticks))  # one second passes on every look at the clock

    policy = served.policy(total_timeout_s=6.0, max_bytes=10_000_000)
    message = refused(
        lambda: fetch(served.url("/many-chunks"), policy, clock=clock), "fetch-timeout"
    )
    assert "6 s" in message


def test_certificate_for_another_name_refused(served: Served) -> None:
    message = refused(
        lambda: fetch(served.url("/photo.jpg", "other.example.org"), served.policy()), "fetch-tls"
    )
    assert "other.example.org" in message


def test_untrusted_certificate_refused(served: Served) -> None:
    refused(lambda: fetch(served.url("/photo.jpg"), served.policy(ca_file=None)), "fetch-tls")


def test_connects_to_the_checked_address_not_a_new_lookup(served: Served) -> None:
    answers = iter([["127.0.0.1"], ["169.254.169.254"]])  # a rebinding resolver

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    assert fetch(served.url("/photo.jpg"), served.policy(resolver=rebinding)) == JPEG


def test_redact_url_drops_query_and_userinfo() -> None:
    assert (
        redact_url("https://u:p@h.example.org:8443/a/b.jpg?sig=1#f")
        == "https://h.example.org:8443/a/b.jpg"
    )
