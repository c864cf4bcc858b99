"""The unsubscribe endpoint: a small WSGI app for the links in every digest.

- ``POST`` with a valid token (``?token=…`` in the URL, or ``token`` in the form body) records
  the unsubscription and answers 200. Mail providers send RFC 8058 one-click requests this
  way: ``POST <List-Unsubscribe URL>`` with the body ``List-Unsubscribe=One-Click``.
- ``GET`` with a valid token shows a page with a button that POSTs. A GET never unsubscribes:
  mail scanners and link previews follow every link in a message.
- A missing, forged or garbled token gets 400; other methods 405; bodies over 4 KB 413.
  Every answer carries ``Cache-Control: no-store`` and no referrer leaves the page.

Deployment: the token secret must be the one the sender used (``[email]
unsubscribe_secret_env`` or ``STATE_DIR/unsubscribe.key``); point the app at the same
``campaign.toml``, e.g. ::

    CAMPAIGN_CONFIG=/srv/campaign/campaign.toml \\
        gunicorn --bind 127.0.0.1:8025 'campaign.mail.unsubscribe:app_from_config()'

behind a TLS-terminating proxy that serves the ``[email] unsubscribe_url``. Unsubscriptions
are recorded as suppressions in the campaign's ledger."""

from __future__ import annotations

import functools
import html
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from campaign.config import Config, find_config, load_config
from campaign.mail.tokens import unsubscribe_secret, verify_unsubscribe_token

MAX_BODY = 4096
CONFIG_ENV = "CAMPAIGN_CONFIG"
_log = logging.getLogger(__name__)
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Unsubscribe</title></head>
<body><h1>Unsubscribe</h1>
<p>Stop receiving missing-child appeals from the list <strong>{list_name}</strong>?</p>
<form method="post"><input type="hidden" name="token" value="{token}">
<button type="submit">Unsubscribe</button></form></body></html>
"""


class _Reply(Exception):
    """An early answer: status and plain text."""

    def __init__(self, status: str, text: str) -> None:
        super().__init__(status)
        self.status = status
        self.text = text


_CSP = "default-src 'none'; form-action 'self'; frame-ancestors 'none'"
_TEXT = "text/plain; charset=utf-8"


def _headers(content_type: str, body: bytes) -> list[tuple[str, str]]:
    return [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
        ("Content-Security-Policy", _CSP),
    ]


def _fields(text: str) -> dict[str, list[str]]:
    try:
        return parse_qs(text, max_num_fields=8)
    except ValueError:
        raise _Reply("400 Bad Request", "Too many fields.") from None


def _form_body(environ: WSGIEnvironment) -> dict[str, list[str]]:
    """The url-encoded form of a POST, at most ``MAX_BODY`` bytes."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise _Reply("400 Bad Request", "Bad Content-Length.") from None
    if length < 0:
        raise _Reply("400 Bad Request", "Bad Content-Length.")
    if length > MAX_BODY:
        raise _Reply("413 Content Too Large", "Request body too large.")
    data = environ["wsgi.input"].read(length) if length else b""
    return _fields(data.decode("latin-1"))


def _token(
    environ: WSGIEnvironment, form: dict[str, list[str]], secret: bytes
) -> tuple[str, str, str]:
    """The first token given (URL before body) and the list and address it names."""
    query = _fields(environ.get("QUERY_STRING", ""))
    for token in (query.get("token", []) + form.get("token", []))[:1]:
        found = verify_unsubscribe_token(token, secret)
        if found is not None:
            return token, found[0], found[1]
    raise _Reply("400 Bad Request", "This unsubscribe link is not valid.")


def _answer(
    environ: WSGIEnvironment, record: Callable[[str, str], None], secret: bytes
) -> tuple[str, str, str]:
    """Status, content type and body text for one request."""
    method = environ.get("REQUEST_METHOD", "GET").upper()
    if method == "GET":
        token, list_name, _address = _token(environ, {}, secret)
        page = _PAGE.format(list_name=html.escape(list_name), token=html.escape(token))
        return "200 OK", "text/html; charset=utf-8", page
    if method != "POST":
        raise _Reply("405 Method Not Allowed", "Use GET or POST.")
    _token_text, list_name, address = _token(environ, _form_body(environ), secret)
    try:
        record(list_name, address)
    except Exception as err:
        # Logged without the address or the error's text, which may quote it.
        _log.error("recording an unsubscription from list %s failed: %s", list_name, type(err))
        raise _Reply("503 Service Unavailable", "Please try again later.") from None
    return "200 OK", _TEXT, "You have been unsubscribed.\n"


def make_app(record: Callable[[str, str], None], secret: bytes) -> WSGIApplication:
    """The WSGI app; ``record(list_name, address)`` stores one unsubscription."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            status, content_type, text = _answer(environ, record, secret)
        except _Reply as reply:
            status, content_type, text = (
                reply.status,
                "text/plain; charset=utf-8",
                reply.text + "\n",
            )
        body = text.encode("utf-8")
        headers = _headers(content_type, body)
        if status.startswith("405"):
            headers.append(("Allow", "GET, POST"))
        start_response(status, headers)
        return [body]

    return app


def record_unsubscribe(config: Config, list_name: str, address: str) -> None:
    """Suppress ``address`` in the campaign's ledger (source: the list it left)."""
    from campaign.ledger import open_ledger  # type: ignore[import-not-found,unused-ignore]

    with open_ledger(config) as ledger:
        ledger.suppress(address, reason="unsubscribe", source=list_name)


def app_from_config(config_path: str | None = None) -> WSGIApplication:
    """The app for a campaign config (``config_path``, else ``$CAMPAIGN_CONFIG``, else
    ``./campaign.toml``)."""
    given = config_path or os.environ.get(CONFIG_ENV) or None
    config = load_config(find_config(Path(given) if given else None))
    secret = unsubscribe_secret(config.audience.email, config.state_dir, create=True)
    return make_app(functools.partial(record_unsubscribe, config), secret)
