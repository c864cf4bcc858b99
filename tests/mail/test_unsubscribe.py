"""The unsubscribe endpoint, served for real on a loopback port."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.types import WSGIApplication

import pytest

from campaign.mail.tokens import make_unsubscribe_token
from campaign.mail.unsubscribe import app_from_config, make_app

SECRET = b"unsubscribe-endpoint-secret"
TOKEN = make_unsubscribe_token(SECRET, "appeals-mx", "ana@example.com")
ONE_CLICK = b"List-Unsubscribe=One-Click"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Server:
    url: str
    recorded: list[tuple[str, str]] = field(default_factory=list)
    fail: bool = False


def serve(app: WSGIApplication) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/unsubscribe"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def endpoint() -> Iterator[Server]:
    state = Server("")

    def record(list_name: str, address: str) -> None:
        if state.fail:
            raise RuntimeError(f"database locked for {address}")
        state.recorded.append((list_name, address))

    for url in serve(make_app(record, SECRET)):
        state.url = url
        yield state


def request(
    url: str, method: str = "GET", body: bytes | None = None
) -> tuple[int, dict[str, str], str]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers), err.read().decode("utf-8")


def test_one_click_post_records_once(endpoint: Server) -> None:
    status, headers, text = request(f"{endpoint.url}?token={TOKEN}", "POST", ONE_CLICK)
    assert status == 200
    assert "unsubscribed" in text
    assert headers["Cache-Control"] == "no-store"
    assert endpoint.recorded == [("appeals-mx", "ana@example.com")]


def test_token_in_the_form_body(endpoint: Server) -> None:
    body = f"token={quote(TOKEN)}&List-Unsubscribe=One-Click".encode()
    assert request(endpoint.url, "POST", body)[0] == 200
    assert endpoint.recorded == [("appeals-mx", "ana@example.com")]


def test_get_shows_a_button_and_records_nothing(endpoint: Server) -> None:
    status, headers, page = request(f"{endpoint.url}?token={TOKEN}")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Cache-Control"] == "no-store"
    assert '<form method="post">' in page
    assert f'name="token" value="{TOKEN}"' in page
    assert "ana@example.com" not in page
    assert endpoint.recorded == []


@pytest.mark.parametrize(
    "query",
    ["", "?token=", "?token=abc.def", f"?token={TOKEN[:-2]}xx", "?other=1"],
)
def test_bad_or_missing_tokens_get_400(endpoint: Server, query: str) -> None:
    assert request(f"{endpoint.url}{query}", "POST", ONE_CLICK)[0] == 400
    assert request(f"{endpoint.url}{query}")[0] == 400
    assert endpoint.recorded == []


def test_a_token_made_with_another_secret_is_forged(endpoint: Server) -> None:
    forged = make_unsubscribe_token(b"guessed", "appeals-mx", "ana@example.com")
    status, headers, _ = request(f"{endpoint.url}?token={forged}", "POST", ONE_CLICK)
    assert status == 400
    assert headers["Cache-Control"] == "no-store"
    assert endpoint.recorded == []


def test_other_methods_get_405(endpoint: Server) -> None:
    status, headers, _ = request(f"{endpoint.url}?token={TOKEN}", "PUT", ONE_CLICK)
    assert status == 405
    assert headers["Allow"] == "GET, POST"
    assert endpoint.recorded == []


def test_large_bodies_get_413(endpoint: Server) -> None:
    status, _, _ = request(f"{endpoint.url}?token={TOKEN}", "POST", b"x=" + b"y" * 5000)
    assert status == 413
    assert endpoint.recorded == []


def test_a_failing_store_gets_503_without_the_address(
    endpoint: Server, caplog: pytest.LogCaptureFixture
) -> None:
    endpoint.fail = True
    status, _, text = request(f"{endpoint.url}?token={TOKEN}", "POST", ONE_CLICK)
    assert status == 503
    assert "ana@example.com" not in text
    assert "ana@example.com" not in caplog.text


def test_app_from_config_uses_the_senders_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "campaign.toml"
    config.write_text('[campaign]\nstate_dir = "state"\n', encoding="utf-8")
    monkeypatch.setenv("CAMPAIGN_UNSUBSCRIBE_SECRET", SECRET.decode())
    monkeypatch.setenv("CAMPAIGN_CONFIG", str(config))
    for url in serve(app_from_config()):
        status, _, page = request(f"{url}?token={TOKEN}")
        assert status == 200
        assert "appeals-mx" in page
