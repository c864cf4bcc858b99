"""A small build of the example (banners and screen posters, once per session) and campaigns
around it: a config with an e-mail list, its own state database, approvals given."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from campaign.approval import approve_build
from campaign.clock import Clock, ManualClock
from campaign.config import Config, load_config
from campaign.ledger import Ledger
from campaign.state import open_state
from tests.conftest import AS_OF, csv_text

FORMATS = ("banner-300x250", "poster-a4-screen")
COLUMNS = ("email", "name", "locale", "country", "region", "lat", "lon", "radius_km",
           "consent_date")  # fmt: skip


@pytest.fixture(scope="session")
def mail_build(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's publishable cases as banners and screen posters (built once)."""
    from campaign.build import BuildRequest, build
    from campaign.intake import IntakeOptions, intake

    config = load_config(demo_dir / "campaign.toml")
    loaded = intake(demo_dir / "cases.csv", config, IntakeOptions(AS_OF, {}, persist_refs=True))
    out = tmp_path_factory.mktemp("mail-build")
    build(loaded, config, BuildRequest(out, AS_OF, FORMATS))
    return out


def subscriber(email: str, locale: str = "en", **area: str) -> dict[str, str]:
    return {"email": email, "name": "", "locale": locale, "consent_date": "2026-01-01", **area}


@dataclass
class Campaign:
    """A campaign folder: campaign.toml, subscribers.csv, its own .campaign state."""

    root: Path
    build: Path

    @property
    def config_path(self) -> Path:
        return self.root / "campaign.toml"

    def config(self) -> Config:
        return load_config(self.config_path)

    @contextmanager
    def ledger(self, clock: Clock | None = None) -> Iterator[Ledger]:
        with open_state(self.config()) as state:
            yield Ledger(state, clock or ManualClock())

    def manifest(self) -> dict[str, Any]:
        return dict(json.loads((self.build / "manifest.json").read_text()))

    def ref(self, case_id: str) -> str:
        return next(c["case_ref"] for c in self.manifest()["cases"] if c["case_id"] == case_id)

    def outbox(self) -> list[Path]:
        return sorted((self.root / "outbox" / "new").glob("*.eml"))

    def approve(self) -> None:
        with open_state(self.config()) as state:
            approve_build(
                state, self.build, "Test reviewer", dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
            )


MakeCampaign = Callable[..., Campaign]


@pytest.fixture
def make_campaign(tmp_path: Path, mail_build: Path, demo_dir: Path) -> MakeCampaign:
    """``make_campaign(subscribers, channel=…, extra=…, approve=True)``."""

    def make(
        subscribers: Sequence[Mapping[str, str]],
        channel: str = '{ url = "outbox:outbox" }',
        extra: str = "",
        approve: bool = True,
        poster: str = "attach",
    ) -> Campaign:
        root = tmp_path / "campaign"
        root.mkdir(exist_ok=True)
        (root / "subscribers.csv").write_text(csv_text(subscribers, COLUMNS), encoding="utf-8")
        (root / "campaign.toml").write_text(
            textwrap.dedent(
                f"""\
                [campaign]
                allow_unreviewed_locales = true

                [email]
                from = "Appeals (fictional) <appeals@example.org>"
                unsubscribe_mailto = "unsubscribe@example.org"
                poster = "{poster}"

                [lists.weekly]
                subscribers = "subscribers.csv"
                channel = {channel}
                """
            )
            + extra,
            encoding="utf-8",
        )
        state = root / ".campaign"
        state.mkdir(exist_ok=True)
        key = demo_dir / ".campaign" / "case-ref.key"  # the key the shared build was made with
        shutil.copy(key, state / "case-ref.key")
        build = tmp_path / "build"  # a copy: sends read it, a withdrawal purges from it
        if not build.exists():
            shutil.copytree(mail_build, build)
        campaign = Campaign(root, build)
        if approve:
            campaign.approve()
        return campaign

    return make


@pytest.fixture(scope="session")
def _mail_server() -> Iterator[Any]:
    from tests.smtpserver import SmtpServer

    with SmtpServer("plain") as server:
        yield server


@pytest.fixture
def mail_server(_mail_server: Any) -> Any:
    """A plain aiosmtpd server on 127.0.0.1 (session-wide), its messages and faults reset."""
    _mail_server.reset()
    return _mail_server


def smtp_channel(server: Any, port: int | None = None, **extra: Any) -> str:
    """The inline channel table for ``server`` (or a proxy on ``port`` in front of it)."""
    keys = "".join(f", {key} = {value!r}".replace("'", '"') for key, value in extra.items())
    return f'{{ url = "smtp://127.0.0.1:{port or server.port}", tls = "none"{keys} }}'
