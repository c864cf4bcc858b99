"""A small HTTP fault proxy for the S3 tests: a ThreadingHTTPServer on 127.0.0.1 (free port) that
forwards every request to a target (moto's server) and can be scripted to misbehave on the next
requests that match:

- ``slow_down(n, retry_after, skip=0)``: answer the next ``n`` object PUTs (after letting
  ``skip`` through) with ``503 SlowDown`` and a ``Retry-After`` header, without forwarding them;
- ``corrupt_next_put()``: flip one byte of the next object PUT's body on the way;
- ``drop_next_put_response()``: forward the next object PUT (it IS stored) and close the
  connection without answering — "response lost";
- ``refuse(method, subresource, status, code)``: answer the next matching bucket request
  (e.g. ``PUT ?cors``) with an S3 error.

moto stores whatever ``x-amz-checksum-sha256`` the client claims without checking it, so the
proxy does what S3 does: with ``verify_checksums`` (the default) it refuses an object PUT whose
body does not match its ``x-amz-checksum-sha256`` (``400 BadDigest``) or its hex
``x-amz-content-sha256`` (``400 XAmzContentSHA256Mismatch``), before forwarding.

    with HttpFaultProxy(moto_endpoint) as proxy:
        proxy.slow_down(2, retry_after="7")
        ... a client with endpoint_url=proxy.url ...
        proxy.object_puts  # how many object PUTs reached the proxy
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests.background import Background

_SUBRESOURCES = {"cors", "versions", "versioning", "delete", "location", "policy", "acl"}
_BAD_DIGEST = "The SHA256 you specified did not match the calculated checksum."
_CONTENT_MISMATCH = "The provided 'x-amz-content-sha256' header does not match what was computed."
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "expect"}


@dataclass
class Fault:
    """One scripted fault: what it matches and what it does (``error``, ``corrupt``, ``drop``)."""

    action: str
    method: str = "PUT"
    subresource: str | None = None  # None: object requests (bucket/key); else "cors", …
    status: int = 503
    code: str = "SlowDown"
    message: str = "Please reduce your request rate."
    retry_after: str | None = None
    count: int = 1
    skip: int = 0  # let this many matching requests through first


class HttpFaultProxy(Background):
    """A loopback HTTP reverse proxy with scriptable faults (see the module docstring)."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        assert parts.hostname and parts.port
        self.target = (parts.hostname, parts.port)
        self.verify_checksums = True
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, int]] = []  # (method, path?query, status answered)
        self.object_puts = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.log.clear()
            self.object_puts = 0
            self.verify_checksums = True

    # -- scripting ------------------------------------------------------------------------

    def slow_down(self, count: int = 1, retry_after: str | None = "1", skip: int = 0) -> None:
        self._add(Fault("error", count=count, retry_after=retry_after, skip=skip))

    def corrupt_next_put(self) -> None:
        self._add(Fault("corrupt"))

    def drop_next_put_response(self) -> None:
        self._add(Fault("drop"))

    def refuse(
        self,
        method: str,
        subresource: str | None,
        status: int = 403,
        code: str = "AccessDenied",
        message: str = "Access Denied",
        count: int = 1,
    ) -> None:
        self._add(Fault("error", method, subresource, status, code, message, None, count))

    def _add(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def _take(self, method: str, subresource: str | None) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method == method and fault.subresource == subresource:
                    if fault.skip > 0:
                        fault.skip -= 1
                        return None
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None


def _handler(proxy: HttpFaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # so "Expect: 100-continue" gets its "100 Continue"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:
            self._relay()

        def do_HEAD(self) -> None:
            self._relay()

        def do_PUT(self) -> None:
            self._relay()

        def do_POST(self) -> None:
            self._relay()

        def do_DELETE(self) -> None:
            self._relay()

        def _relay(self) -> None:
            self.close_connection = True  # one request per connection keeps this simple
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            is_object = "/" in parts.path.strip("/")
            query = {item.split("=", 1)[0] for item in parts.query.split("&") if item}
            known = sorted(query & _SUBRESOURCES)
            subresource = None if is_object else (known[0] if known else "")
            object_put = self.command == "PUT" and is_object
            if object_put:
                with proxy._lock:
                    proxy.object_puts += 1
            fault = proxy._take(self.command, subresource)
            if fault is not None and fault.action == "error":
                self._error(fault.status, fault.code, fault.message, fault.retry_after)
                return
            if fault is not None and fault.action == "corrupt" and body:
                middle = len(body) // 2
                body = body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1 :]
            if object_put and proxy.verify_checksums and self._damaged(body):
                return
            status, headers, answer = self._forward(body)
            if fault is not None and fault.action == "drop":
                self._record(0)
                return  # close without a word: the object was stored
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in _HOP:
                    self.send_header(name, value)
            if self.command == "HEAD":
                self.send_header("Content-Length", dict(headers).get("Content-Length", "0"))
            else:
                self.send_header("Content-Length", str(len(answer)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer)
            self._record(status)

        def _damaged(self, body: bytes) -> bool:
            """Answer 400 as S3 does when the body does not match what the client signed."""
            claimed = self.headers.get("x-amz-checksum-sha256")
            if claimed and base64.b64encode(hashlib.sha256(body).digest()).decode() != claimed:
                self._error(400, "BadDigest", _BAD_DIGEST)
                return True
            content = self.headers.get("x-amz-content-sha256", "")
            if len(content) == 64 and hashlib.sha256(body).hexdigest() != content.lower():
                self._error(400, "XAmzContentSHA256Mismatch", _CONTENT_MISMATCH)
                return True
            return False

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            connection = http.client.HTTPConnection(*proxy.target, timeout=10)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                headers["Content-Length"] = str(len(body))
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                return response.status, response.getheaders(), answer
            finally:
                connection.close()

        def _error(
            self, status: int, code: str, message: str, retry_after: str | None = None
        ) -> None:
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{code}</Code><Message>{message}</Message>"
                "<RequestId>FAULTPROXY</RequestId></Error>"
            ).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            if retry_after is not None:
                self.send_header("Retry-After", retry_after)
            self.send_header("Content-Length", str(len(xml)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(xml)
            self._record(status)

        def _record(self, status: int) -> None:
            with proxy._lock:
                proxy.log.append((self.command, self.path, status))

    return Handler
